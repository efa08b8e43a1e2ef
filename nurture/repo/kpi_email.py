"""Email KPIs per scenario step: sent, delivered, people who opened, clicked, unsubscribed.

Counted in SQL with GROUP BY and a join from hits to their mail, so the number of
parameters does not grow with the number of mails (psycopg refuses more than 65,535).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from nurture.rules.email_kpi import StepMail
from nurture.tables import EmailMessage, Lead, TrackingHit

# Every fate a mail can meet once it is due, except `skipped` (the lead had unsubscribed).
COUNTED = ("sent", "bounced", "uncertain", "sending", "held", "failed")


def _mail_filter(
    start: datetime | None, end: datetime | None, campaign: str | None
) -> list[sa.ColumnElement[bool]]:
    """Nurture mail handed to SMTP in [start, end), of leads whose source is `campaign`."""
    where = [EmailMessage.kind == "nurture", col(EmailMessage.status).in_(COUNTED)]
    if start is not None:
        where.append(col(EmailMessage.scheduled_at) >= start)
    if end is not None:
        where.append(col(EmailMessage.scheduled_at) < end)
    if campaign is not None:
        where.append(col(EmailMessage.lead_id).in_(select(Lead.id).where(Lead.source == campaign)))
    return where  # type: ignore[return-value]


def per_step(
    session: Session,
    start: datetime | None,
    end: datetime | None,
    campaign: str | None = None,
) -> list[StepMail]:
    """Per (scenario, step) for the mail selected by `_mail_filter`."""
    where = _mail_filter(start, end, campaign)
    scenario, step = col(EmailMessage.scenario), col(EmailMessage.step)
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for sc, st, status, n in session.exec(
        select(scenario, step, EmailMessage.status, sa.func.count())
        .where(*where)
        .group_by(scenario, step, col(EmailMessage.status))
    ).all():
        counts[(sc, st)][status] = n
    people: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    hits = (
        select(
            scenario, step, TrackingHit.kind, sa.func.count(sa.distinct(col(TrackingHit.lead_id)))
        )
        .join(EmailMessage, col(EmailMessage.tracking_id) == col(TrackingHit.tracking_id))
        .where(*where, col(TrackingHit.machine).is_(False))
        .group_by(scenario, step, col(TrackingHit.kind))
    )
    for sc, st, kind, n in session.exec(hits).all():
        people[(sc, st)][kind] = n
    return [
        StepMail(
            scenario=sc,
            step=st,
            sent=by["sent"] + by["bounced"] + by["uncertain"],
            delivered=by["sent"],
            bounced=by["bounced"],
            opens=people[(sc, st)]["open"],
            clicks=people[(sc, st)]["click"],
            unsubscribes=people[(sc, st)]["unsubscribe"],
            uncertain=by["uncertain"],
            held=by["held"] + by["sending"],  # `sending`: on its way right now
            failed=by["failed"],
        )
        for (sc, st), by in sorted(counts.items())
    ]
