"""The rep-link tokens alone (nurture.rep_links): what a link and its page's form accept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nurture import rep_links

SECRET = "s3cret"
NOW = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)


def _link(expires: datetime = NOW + timedelta(hours=72), secret: str = SECRET) -> str:
    return rep_links.make_link(secret, "handoff-x-1", "rep-1", "ack", expires)


def test_a_link_names_one_rep_one_handoff_one_action_until_it_expires() -> None:
    claim = rep_links.read_link(SECRET, _link(), NOW)
    assert (claim.handoff_id, claim.rep_id, claim.action) == ("handoff-x-1", "rep-1", "ack")
    with pytest.raises(rep_links.LinkRefused, match="expired"):
        rep_links.read_link(SECRET, _link(NOW), NOW)


@pytest.mark.parametrize(
    "token",
    [_link(secret="other"), _link()[:-2], _link().replace(".", ""), "", "a.b"],
)
def test_a_link_not_signed_by_us_is_invalid(token: str) -> None:
    with pytest.raises(rep_links.LinkRefused, match="invalid"):
        rep_links.read_link(SECRET, token, NOW)


def test_the_page_form_works_only_for_its_link_its_browser_and_a_while() -> None:
    link, other = _link(), rep_links.make_link(SECRET, "handoff-y-1", "rep-1", "ack", NOW)
    confirm = rep_links.make_confirm(SECRET, link, "nonce-1", NOW)
    rep_links.check_confirm(SECRET, link, confirm, "nonce-1", NOW + timedelta(minutes=29))
    refused = [
        (other, confirm, "nonce-1", NOW),  # another link's page
        (link, confirm, "", NOW),  # no cookie: a scanner replaying the form
        (link, confirm, "nonce-2", NOW),  # another browser's cookie
        (link, confirm, "nonce-1", NOW + timedelta(minutes=31)),  # a stale page
        (link, link, "nonce-1", NOW),  # the link token is not a form value
    ]
    for token, value, nonce, at in refused:
        with pytest.raises(rep_links.LinkRefused, match="stale_page"):
            rep_links.check_confirm(SECRET, token, value, nonce, at)
