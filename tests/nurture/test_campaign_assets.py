"""A campaign's asset and named links, stored and read back for its leads' mails, on SQLite
and PostgreSQL alike."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.engine import Engine

from nurture.db import create_schema, session_scope
from nurture.repo import campaigns, kpi
from nurture.rules.content_links import CampaignAsset
from nurture.tables import Campaign

LINKS = {"recording": "https://video.example.com/dx-live", "slides": "https://x.example/s.pdf"}


def _put(engine: Engine, **columns: object) -> None:
    row = Campaign(key="webinar-nov", name="DX Live", channel="webinar", cost=Decimal(0))
    for name, value in columns.items():
        setattr(row, name, value)
    with session_scope(engine) as session:
        kpi.upsert_campaign(session, row)


def test_the_asset_is_read_back_and_replaced_whole(empty_db: Engine) -> None:
    create_schema(empty_db)
    with session_scope(empty_db) as session:
        assert campaigns.asset_of(session, "webinar-nov") is None
        assert campaigns.asset_of(session, None) is None
    _put(empty_db, asset_title="DX Live", asset_url="https://www.example.com/dx", links=LINKS)
    with session_scope(empty_db) as session:
        assert campaigns.asset_of(session, "webinar-nov") == CampaignAsset(
            channel="webinar", title="DX Live", url="https://www.example.com/dx", links=LINKS
        )
    _put(empty_db)  # a PUT without asset or links clears them
    with session_scope(empty_db) as session:
        assert campaigns.asset_of(session, "webinar-nov") == CampaignAsset(channel="webinar")
