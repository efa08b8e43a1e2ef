"""Reading a campaign's content asset for the mails of its leads."""

from __future__ import annotations

from sqlmodel import Session

from nurture.rules.content_links import CampaignAsset
from nurture.tables import Campaign


def asset_of(session: Session, key: str | None) -> CampaignAsset | None:
    """The asset of the campaign `key` (a lead's `source`); None when there is no campaign."""
    row = session.get(Campaign, key) if key else None
    if row is None:
        return None
    return CampaignAsset(
        channel=row.channel, title=row.asset_title, url=row.asset_url, links=row.links or {}
    )
