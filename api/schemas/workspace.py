"""The forms the /sales pages post (urlencoded; every field a string, as browsers send)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WorkspaceForm(BaseModel):
    """`csrf` is the session's form value (nurture.workspace_tokens.csrf_for); `confirm` the
    sign-in link page's value bound to its cookie; `next` the page a signed-out person was
    going to (api.services.workspace_auth.safe_next decides whether it may be)."""

    model_config = ConfigDict(extra="ignore")

    csrf: str = Field(default="", max_length=100)
    confirm: str = Field(default="", max_length=1000)
    email: str = Field(default="", max_length=320)
    reason: str = Field(default="", max_length=100)
    note: str = Field(default="", max_length=2000)
    amount: str = Field(default="", max_length=40)
    to_rep: str = Field(default="", max_length=64)
    from_rep: str = Field(default="", max_length=64)  # the rep the team page showed it with
    next: str = Field(default="", max_length=1000)  # the /sales page to land on once signed in
