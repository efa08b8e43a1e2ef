"""The rates a manager reads on the dashboard, from counts alone."""

from __future__ import annotations

from decimal import Decimal

from nurture.rules.email_kpi import StepMail
from nurture.rules.funnel_kpi import FUNNEL, CampaignRow, Funnel


def test_each_stage_is_a_share_of_the_one_before_and_of_new_leads() -> None:
    funnel = Funnel()
    funnel.counts.update(new=200, nurturing=180, mql=45, sales_pending=40, won=0)
    assert funnel.rate("new") is None  # nothing comes before new
    assert funnel.rate("nurturing") == 0.9
    assert funnel.rate("mql") == 0.25
    assert funnel.of_new("mql") == 0.225
    assert funnel.rate("sales_accepted") == 0.0
    assert funnel.rate("opportunity") is None  # no accepted lead: no rate, not 0 %
    assert list(funnel.counts) == list(FUNNEL)


def test_campaign_cost_per_lead_per_mql_and_roi() -> None:
    expo = CampaignRow(
        "expo", "Expo", "offline", Decimal("300000"), 120, 9, 3, 1, Decimal("1200000")
    )
    assert (expo.cpl, expo.cost_per_mql, expo.roi) == (
        Decimal("2500.00"),
        Decimal("33333.33"),
        Decimal("3.0000"),
    )
    free = CampaignRow("seo", "SEO", "online", Decimal("0"), 0, 0, 0, 0, Decimal("0"))
    assert (free.cpl, free.cost_per_mql, free.roi) == (None, None, None)


def test_an_unknown_cost_is_not_free() -> None:
    unknown = CampaignRow("fair", "fair", "unknown", None, 40, 4, 1, 1, Decimal("900000"))
    assert (unknown.cpl, unknown.cost_per_mql, unknown.roi) == (None, None, None)
    free = CampaignRow("seo", "SEO", "seo", Decimal("0"), 40, 4, 1, 1, Decimal("900000"))
    assert (free.cpl, free.cost_per_mql, free.roi) == (Decimal("0.00"), Decimal("0.00"), None)


def test_mail_rates_are_of_delivered_mail_and_bounces_of_sent() -> None:
    step = StepMail(
        "whitepaper",
        "thanks",
        sent=50,
        delivered=40,
        bounced=10,
        opens=20,
        clicks=5,
        unsubscribes=1,
    )
    assert (step.open_rate, step.click_rate, step.unsubscribe_rate) == (0.5, 0.125, 0.025)
    assert step.bounce_rate == 0.2
    nothing = StepMail("whitepaper", "hearing", 0, 0, 0, 0, 0, 0)
    assert (nothing.open_rate, nothing.bounce_rate) == (None, None)
