"""The form a rep's action page posts (urlencoded; every field a string, as browsers send)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LinkForm(BaseModel):
    """`confirm` is the page's short-lived value (nurture.rep_links.make_confirm)."""

    model_config = ConfigDict(extra="ignore")

    confirm: str = Field(default="", max_length=1000)
    reason: str = Field(default="", max_length=100)
    note: str = Field(default="", max_length=2000)
    amount: str = Field(default="", max_length=40)
