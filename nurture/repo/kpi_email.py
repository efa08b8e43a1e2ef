"""Email KPIs per scenario step: sent, delivered, people who opened, clicked, unsubscribed."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from nurture.tables import EmailMessage, TrackingHit


@dataclass(frozen=True)
class StepMail:
    scenario: str
    step: str
    sent: int  # handed to SMTP: delivered plus bounced
    delivered: int
    bounced: int
    opens: int  # unique people, machine hits excluded
    clicks: int
    unsubscribes: int

    def _of_delivered(self, n: int) -> float | None:
        return round(n / self.delivered, 4) if self.delivered else None

    @property
    def open_rate(self) -> float | None:
        return self._of_delivered(self.opens)

    @property
    def click_rate(self) -> float | None:
        return self._of_delivered(self.clicks)

    @property
    def unsubscribe_rate(self) -> float | None:
        return self._of_delivered(self.unsubscribes)

    @property
    def bounce_rate(self) -> float | None:
        return round(self.bounced / self.sent, 4) if self.sent else None


def per_step(session: Session, start: datetime | None, end: datetime | None) -> list[StepMail]:
    query = select(EmailMessage).where(
        EmailMessage.kind == "nurture", col(EmailMessage.status).in_(["sent", "bounced"])
    )
    if start is not None:
        query = query.where(col(EmailMessage.scheduled_at) >= start)
    if end is not None:
        query = query.where(col(EmailMessage.scheduled_at) < end)
    mails = list(session.exec(query).all())
    step_of = {m.tracking_id: (m.scenario, m.step) for m in mails}
    people: dict[tuple[str, str], dict[str, set[uuid.UUID]]] = defaultdict(lambda: defaultdict(set))
    hits = session.exec(
        select(TrackingHit.tracking_id, TrackingHit.kind, TrackingHit.lead_id).where(
            col(TrackingHit.tracking_id).in_(list(step_of)), col(TrackingHit.machine).is_(False)
        )
    )
    for tracking_id, kind, lead_id in hits.all():
        people[step_of[tracking_id]][kind].add(lead_id)
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for m in mails:
        counts[(m.scenario, m.step)][0 if m.status == "sent" else 1] += 1
    return [
        StepMail(
            scenario=scenario,
            step=step,
            sent=delivered + bounced,
            delivered=delivered,
            bounced=bounced,
            opens=len(people[(scenario, step)]["open"]),
            clicks=len(people[(scenario, step)]["click"]),
            unsubscribes=len(people[(scenario, step)]["unsubscribe"]),
        )
        for (scenario, step), (delivered, bounced) in sorted(counts.items())
    ]
