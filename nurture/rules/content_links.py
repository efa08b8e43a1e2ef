"""Content links in mail: pages of the company's site (or a campaign's asset) with UTM tags.

Every content link carries `utm_source=nurture`, `utm_medium=email`, `utm_campaign=<the
lead's campaign key, else the scenario>` and `utm_content=<scenario>/<step>`, so the site's
analytics and nurture's own attribution (the click's URL names the campaign) read the same
touch. Nurture's four tags replace any the URL already had: they describe this mail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content")
# http(s), a host name (or address) and an optional port, then anything but white space.
# After the host, no space and no control character; written so that Python's `re` and
# the ECMAScript regex of the API document (JSON Schema `pattern`) accept the same URLs
# (their `\s` differ on U+001C-U+001F, U+0085 and U+FEFF).
WEB_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][^\s\x00-\x1f\x7f-\x9f\ufeff]*)?")
WEBINAR_CHANNEL = "webinar"  # a webinar campaign's asset is the webinar; others' a document


class BadContentLink(ValueError):
    """A template asked for a link that is not a path on the site; the message says which."""


@dataclass(frozen=True)
class Utm:
    campaign: str
    content: str

    def pairs(self) -> list[tuple[str, str]]:
        return list(zip(UTM_KEYS, ("nurture", "email", self.campaign, self.content), strict=True))


def utm_for(source: str | None, scenario: str, step: str) -> Utm:
    """The tags of a step mail: the lead's campaign key, else the scenario's name."""
    return Utm(campaign=source or scenario, content=f"{scenario}/{step}")


def is_web_url(url: object) -> bool:
    """An absolute http(s) URL with a host (WEB_URL: as the API documents it)."""
    return isinstance(url, str) and WEB_URL.fullmatch(url) is not None


def tagged(url: str, utm: Utm) -> str:
    """`url` with nurture's UTM tags after its own query parameters (kept byte for byte,
    except UTM keys, which nurture's replace) and before its fragment."""
    parts = urlsplit(url)
    kept = [
        piece
        for piece in parts.query.split("&")
        if piece and unquote_plus(piece.partition("=")[0]).lower() not in UTM_KEYS
    ]
    query = "&".join([*kept, urlencode(utm.pairs())])
    return urlunsplit(parts._replace(query=query))


@dataclass(frozen=True)
class CampaignAsset:
    """What a campaign offers: its asset (title, URL) and named links (recording, slides)."""

    channel: str
    title: str | None = None
    url: str | None = None
    links: Mapping[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """The asset's name in templates: `webinar` for a webinar campaign, else `paper`."""
        return "webinar" if self.channel == WEBINAR_CHANNEL else "paper"


@dataclass(frozen=True)
class ContentLinks:
    """The content links of one mail: `site(path)` and `link(name, path)` in templates."""

    site_url: str
    utm: Utm
    named: Mapping[str, str] = field(default_factory=dict)

    def site(self, path: str) -> str:
        """The site's page at `path` ("/book-a-demo", query and fragment allowed), tagged."""
        if not path.startswith("/") or path.startswith("//"):
            raise BadContentLink(f"site() takes a path on the site like '/pricing', not {path!r}")
        return tagged(f"{self.site_url.rstrip('/')}{path}", self.utm)

    def link(self, name: str, path: str) -> str:
        """The campaign's or lead's link called `name` (paper, webinar, recording, slides),
        else the site's page at `path`; tagged either way."""
        url = self.named.get(name)
        return tagged(url, self.utm) if url else self.site(path)


ATTRIBUTE_PREFIX = {"paper": "whitepaper", "webinar": "webinar"}


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def resolve_assets(
    attributes: Mapping[str, object],
    campaign: CampaignAsset | None,
    site_url: str | None = None,
) -> tuple[dict[str, str | None], dict[str, str]]:
    """The titles (`paper`, `webinar`) and named links a mail shows.

    The lead's own `whitepaper_title` / `webinar_title` (and `..._url`) win: the form tool
    said which paper the lead took. The campaign's asset fills in unless the lead names a
    different title, so a mail never names one paper and links another. A lead's own URL
    is linked only on a host the company's mail already links (the site's, the campaign's
    asset and links): intake attributes come from forms anyone fills in, and the company's
    mail must not send a lead to a host someone typed.
    """
    titles: dict[str, str | None] = {}
    links: dict[str, str] = {}
    trusted = {_host(site_url)} if site_url else set()
    if campaign is not None:
        trusted |= {_host(u) for u in (campaign.url, *campaign.links.values()) if u}
    for kind, prefix in ATTRIBUTE_PREFIX.items():
        own_title = _text(attributes.get(f"{prefix}_title"))
        own_url = attributes.get(f"{prefix}_url")
        mine = campaign if campaign is not None and campaign.kind == kind else None
        if mine is not None and (own_title is None or mine.title in (None, own_title)):
            links.update({k: v for k, v in mine.links.items() if is_web_url(v)})
            if mine.url:
                links[kind] = mine.url
            own_title = own_title or mine.title
        if isinstance(own_url, str) and is_web_url(own_url) and _host(own_url) in trusted:
            links[kind] = own_url
        titles[kind] = own_title
    return titles, links


def template_values(
    site_url: str,
    utm: Utm,
    attributes: Mapping[str, object],
    campaign: CampaignAsset | None,
) -> dict[str, object]:
    """What a step template gets for content: `site`, `link`, and the `paper` and `webinar`
    titles (None: the template's own generic words)."""
    titles, named = resolve_assets(attributes, campaign, site_url)
    links = ContentLinks(site_url=site_url, utm=utm, named=named)
    return {"site": links.site, "link": links.link, **titles}


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip() or None
