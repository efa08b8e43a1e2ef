"""The lead a Segment message is about: found by its keys, or created and updated by identify."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass

from sqlmodel import Session

from api.deps import AppState
from api.schemas.segment import SegmentMessage
from api.segment.spec import lead_id_of
from api.services import leads as lead_service
from nurture.models import EnrolRequest
from nurture.orchestration.intake import LeadIn
from nurture.orchestration.lead_runs import LeadHalted, company_of, profile_of
from nurture.repo import leads as repo
from nurture.repo import segment as identities
from nurture.tables import Lead


@dataclass(frozen=True)
class LeadKeys:
    """How a message names its lead, strongest first: our id, the email, the CDP's ids."""

    lead_id: uuid.UUID | None = None
    email: str | None = None
    user: str | None = None
    anonymous: str | None = None


def keys_of(message: SegmentMessage) -> LeadKeys:
    """Raises ValueError when the message names a lead id that is not one."""
    email = message.all_traits.get("email") or message.properties.get("email")
    return LeadKeys(
        lead_id=lead_id_of(message),
        email=repo.normalise_email(email) if isinstance(email, str) and email.strip() else None,
        user=identities.identity_digest(message.user_id) if message.user_id else None,
        anonymous=(
            identities.identity_digest(message.anonymous_id) if message.anonymous_id else None
        ),
    )


def find_leads(session: Session, keys: list[LeadKeys]) -> list[Lead | None]:
    """The lead of each set of keys (None: nobody known by them), in two queries at most."""
    rows = repo.leads_by_ids_or_emails(
        session,
        {k.lead_id for k in keys if k.lead_id},
        {k.email for k in keys if k.email},
    )
    identified = identities.leads_by_identities(
        session,
        {k.user for k in keys if k.user},
        {k.anonymous for k in keys if k.anonymous},
    )
    by_id = {row.id: row for row in rows}
    by_email = {row.email: row for row in rows}
    by_user: dict[str | None, Lead] = {}
    by_anonymous: dict[str | None, Lead] = {}
    for row in identified:  # least recently updated first: the newest identify wins
        by_user[row.attributes.get(identities.USER_KEY)] = row
        by_anonymous[row.attributes.get(identities.ANONYMOUS_KEY)] = row
    found: list[Lead | None] = []
    for k in keys:
        candidates = (
            by_id.get(k.lead_id) if k.lead_id else None,
            by_email.get(k.email) if k.email else None,
            by_user.get(k.user) if k.user else None,
            by_anonymous.get(k.anonymous) if k.anonymous else None,
        )
        found.append(next((c for c in candidates if c is not None), None))
    return found


@dataclass(frozen=True)
class Identified:
    lead: Lead
    created: bool
    profile_changed: bool


def store_identity(
    session: Session, data: LeadIn, attributes: dict[str, object], source_defaulted: bool = False
) -> Identified:
    """Create or update the lead by email, keeping the attributes it had (CDP ids, language).

    Args:
        source_defaulted: `data.source` is the destination's or write key's default, not a
            trait: only a new lead takes it; one known before keeps the campaign it came from.
    """
    before = repo.leads_by_ids_or_emails(session, (), [str(data.email)])
    old = profile_of(before[0]) if before else None
    kept = before[0].attributes if before else {}
    excluded = {"email", "scenario"}
    if before and source_defaulted:
        excluded.add("source")
    fields = data.model_dump(exclude=excluded)
    fields["attributes"] = {**kept, **data.attributes, **attributes}
    email = str(data.email)
    lead, created = repo.upsert_lead(session, email, data.scenario, fields, company_of(email))
    return Identified(lead, created, created or profile_of(lead) != old)


async def apply_identity(
    state: AppState,
    data: LeadIn,
    attributes: dict[str, object],
    scenario_asked: bool,
    *,
    source_defaulted: bool = False,
) -> Identified:
    """Store the identify and tell the lead's workflow what changed (nothing: no call)."""
    done = await state.db.run(store_identity, data, attributes, source_defaulted)
    state.leads.put(done.lead)
    switch = not done.created and scenario_asked and data.scenario != done.lead.scenario
    if done.lead.halted:
        return done  # the row is updated; a halted lead takes no enrolment until resumed
    if done.created or switch or done.profile_changed:
        # Nobody waits for a worker: a CDP reads no state back (see lead_runs.enrol_later).
        request = None
        if not done.created:
            request = EnrolRequest(
                profile=profile_of(done.lead), scenario=data.scenario if switch else None
            )
        with contextlib.suppress(LeadHalted):  # the row is updated; no enrolment when halted
            await lead_service.enrol_later(state, done.lead, request)
    return done
