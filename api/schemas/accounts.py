"""Accounts as the API shows them: the leads of one company, and whether its buying group
is ready."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class AccountLead(BaseModel):
    id: uuid.UUID
    stage: str
    score: int
    engagement: int = Field(description="behaviour points: the score without attribute points")
    engaged: bool = Field(
        description="engaged enough to count in the buying group (people still in play: not "
        "unsubscribed, bounced, disqualified, stopped by ops or won)"
    )
    job_title: str


class AccountHandedOver(BaseModel):
    """The account's newest handoff as a whole: its buying group was ready."""

    lead_id: uuid.UUID = Field(description="the lead whose handoff carries the account")
    leads: list[uuid.UUID] = Field(description="the engaged people handed over, that lead first")
    at: datetime = Field(description="when the buying group was found ready")
    outcome: str | None = Field(
        None, description="how that handoff ended (won, lost, rejected, withdrawn); null: open"
    )


class AccountSummary(BaseModel):
    id: uuid.UUID
    name: str = Field(description="the company, as its first lead gave it")
    domain: str = Field(description="the company's registrable email domain")
    leads: int
    engaged_leads: int
    engagement: int = Field(description="the engagement of all its leads together")
    buying_group_ready: bool = Field(description="enough engaged people (scenarios/scoring.py)")
    with_sales: bool = Field(description="a lead of it has an open handoff")
    rep_id: uuid.UUID | None = Field(None, description="the rep of its newest open handoff")
    rep: str | None = Field(None, description="that rep's name")
    customer: bool = Field(
        False,
        description="a deal of it was won: its people go to sales on their own scores, "
        "never again as a group",
    )
    handed_over: AccountHandedOver | None = Field(
        None, description="its newest handoff as a whole, once its buying group was ready"
    )


class AccountPage(BaseModel):
    total: int
    items: list[AccountSummary]


class AccountDetail(AccountSummary):
    members: list[AccountLead] = Field(description="its leads, oldest first")
