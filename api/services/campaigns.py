"""Campaigns: what a lead source cost, so the KPIs can show CPL and ROI."""

from __future__ import annotations

from api.database import Database
from api.schemas.campaigns import CampaignAsset, CampaignIn, CampaignOut, Channel
from nurture.repo import kpi
from nurture.tables import Campaign, utcnow


async def put_campaign(db: Database, key: str, body: CampaignIn) -> bool:
    """Create or replace the campaign of leads whose `source` is `key`; True when new."""
    row = Campaign(**CampaignOut(key=key, **body.model_dump()).columns(), updated_at=utcnow())
    return await db.run(kpi.upsert_campaign, row)


async def list_campaigns(db: Database) -> list[CampaignOut]:
    rows = await db.run(kpi.list_campaigns)
    return [
        CampaignOut(
            key=c.key,
            name=c.name,
            channel=Channel(c.channel),
            cost=c.cost,
            starts_on=c.starts_on,
            ends_on=c.ends_on,
            asset=CampaignAsset(title=c.asset_title, url=c.asset_url)
            if c.asset_title and c.asset_url
            else None,
            links=c.links or {},
        )
        for c in rows
    ]
