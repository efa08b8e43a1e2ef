"""How long a rep has left to acknowledge a lead, in business time, as the queue shows it.

Pure: the SLA deadline runs on the SLA calendar's working hours, so "2 h left" on a Friday
evening means two working hours on Monday, exactly as the handoff workflow counts them.
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


UNITS = {"en": ("{h} h {m} min", "{m} min"), "ja": ("{h}時間{m}分", "{m}分")}


def span(delta: timedelta, language: str = "en") -> str:
    """A duration in hours and minutes, rounded down to the minute: "2 h 5 min", "2時間5分"."""
    minutes = int(abs(delta.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    long, short = UNITS.get(language, UNITS["en"])
    return long.format(h=hours, m=minutes) if hours else short.format(m=minutes)
