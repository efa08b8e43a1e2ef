"""How long a rep has left to acknowledge a lead, in business time, as the queue shows it.

Pure: the SLA deadline runs on the SLA calendar's working hours, so "2 h left" on a Friday
evening means two working hours on Monday, exactly as the handoff workflow counts them.
The words for it are nurture.rules.rep_words.span(..., days=False).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from nurture.rules.business_time import BusinessCalendar


@dataclass(frozen=True)
class Countdown:
    """`left` is the business time to the deadline; when `overdue`, how long it is past."""

    overdue: bool
    left: timedelta


def countdown(calendar: BusinessCalendar, now: datetime, deadline: datetime) -> Countdown:
    """Business time from `now` to `deadline`; a deadline already past is overdue even when
    no working time has gone by since (a deadline at closing time, read in the evening)."""
    if deadline <= now:
        return Countdown(overdue=True, left=calendar.between(deadline, now))
    return Countdown(overdue=False, left=calendar.between(now, deadline))
