"""When marketing mail may go out: the lead's working hours and a rolling frequency cap.

Pure functions of workflow time, so the lead workflow defers sends deterministically.
Mail to reps is not marketing mail and is never held back by these rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from nurture.rules.business_time import BusinessCalendar


@dataclass(frozen=True)
class SendWindow:
    """Working hours in the lead's time zone; holidays where a country is known for the zone."""

    opens: time
    closes: time
    default_timezone: str
    holiday_country_by_timezone: dict[str, str]
    _calendars: dict[str, BusinessCalendar] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built here, outside workflow code: holiday tables come from the `holidays` package.
        calendars = {
            tz: BusinessCalendar(timezone=tz, opens=self.opens, closes=self.closes, country=country)
            for tz, country in self.holiday_country_by_timezone.items()
        }
        object.__setattr__(self, "_calendars", calendars)

    def calendar(self, timezone: str | None) -> BusinessCalendar:
        tz = timezone or self.default_timezone
        known = self._calendars.get(tz)
        if known is not None:
            return known
        return BusinessCalendar(timezone=tz, opens=self.opens, closes=self.closes, country=None)

    def next_slot(self, now: datetime, timezone: str | None) -> datetime:
        return self.calendar(timezone).next_open(now)


@dataclass(frozen=True)
class FrequencyCap:
    """At most `max_mails` marketing mails to one lead in any `per` window, across scenarios."""

    max_mails: int
    per: timedelta

    def free_at(self, sent: Sequence[datetime], now: datetime) -> datetime:
        """`now` when one more mail fits, else when the oldest counted mail leaves the window."""
        recent = sorted(t for t in sent if t > now - self.per)
        if len(recent) < self.max_mails:
            return now
        return recent[-self.max_mails] + self.per
