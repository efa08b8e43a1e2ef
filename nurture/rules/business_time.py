"""Business-hour arithmetic on a working calendar: weekends and public holidays skipped.

Pure and deterministic (the holiday tables are code in the `holidays` package), so the
handoff workflow computes SLA deadlines itself and the API shows the same time left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

FIRST_YEAR, LAST_YEAR = 2020, 2060


def day_span(
    first: date | None, last: date | None, zone: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """From the start of day `first` to the end of day `last` in `zone`, as the date filters
    of KPIs and the backtest mean them; None: no bound (the last day there is, 9999-12-31,
    has no end)."""
    low = datetime.combine(first, time(0), tzinfo=zone) if first else None
    if last is None or last >= date.max:
        return low, None
    return low, datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)


def japanese_new_year_break() -> frozenset[date]:
    """年末年始: most Japanese companies close from 29 December to 3 January."""
    days = [(12, 29), (12, 30), (12, 31), (1, 2), (1, 3)]
    return frozenset(
        date(year, month, day) for year in range(FIRST_YEAR, LAST_YEAR + 1) for month, day in days
    )


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours `opens`–`closes` local time, Monday to Friday, minus `country`'s holidays.

    Holidays for FIRST_YEAR..LAST_YEAR are computed once, when the calendar is made: the
    `holidays` package touches locale and clock, which workflow code must not.
    """

    timezone: str = "Asia/Tokyo"
    opens: time = time(9, 0)
    closes: time = time(18, 0)
    country: str | None = "JP"
    extra_closed_days: frozenset[date] = field(default_factory=frozenset)
    closed_days: frozenset[date] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        days: set[date] = set(self.extra_closed_days)
        if self.country is not None:
            table = holidays.country_holidays(self.country, years=range(FIRST_YEAR, LAST_YEAR + 1))
            days.update(table.keys())
        object.__setattr__(self, "closed_days", frozenset(days))

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def day_length(self) -> timedelta:
        """The business time in one working day (9:00-18:00: 9 hours)."""
        return datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)

    def is_business_day(self, day: date) -> bool:
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError(f"the calendar covers {FIRST_YEAR}-{LAST_YEAR}, not {day}")
        return day.weekday() < 5 and day not in self.closed_days

    def _open_close(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.opens, tzinfo=self.zone),
            datetime.combine(day, self.closes, tzinfo=self.zone),
        )

    def add(self, start: datetime, business: timedelta) -> datetime:
        """The moment `business` working time after `start` (aware datetimes, any zone)."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if business <= timedelta(0):
            return start  # "at the deadline" even when the deadline is closing time
        remaining = business
        cursor = start.astimezone(self.zone)
        for _ in range(3660):  # ten years of days: a calendar with no working day is a bug
            day = cursor.date()
            if self.is_business_day(day):
                opens, closes = self._open_close(day)
                cursor = max(cursor, opens)
                if cursor < closes:
                    available = closes - cursor
                    if remaining <= available:
                        return (cursor + remaining).astimezone(start.tzinfo)
                    remaining -= available
            cursor = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
        raise ValueError("no business day found within ten years")

    def next_open(self, at: datetime) -> datetime:
        """`at` itself when it falls in working hours, else the next opening time."""
        cursor = at.astimezone(self.zone)
        for _ in range(3660):
            day = cursor.date()
            if self.is_business_day(day):
                opens, closes = self._open_close(day)
                if cursor < closes:
                    return max(cursor, opens).astimezone(at.tzinfo)
            cursor = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
        raise ValueError("no business day found within ten years")

    def business_day_at(self, start: datetime, days: int, at: time) -> datetime:
        """`at` o'clock local time on the `days`-th business day after `start`'s day; for
        `days=0`, `start`'s day when it is a business day and `at` is still ahead, else the
        next business day."""
        if days < 0:
            raise ValueError("days must not be negative")
        local = start.astimezone(self.zone)
        day = local.date()
        if days == 0:
            today = datetime.combine(day, at, tzinfo=self.zone)
            if self.is_business_day(day) and today > local:
                return today.astimezone(start.tzinfo)
            days = 1
        for _ in range(3660):
            day += timedelta(days=1)
            if self.is_business_day(day):
                days -= 1
                if days == 0:
                    return datetime.combine(day, at, tzinfo=self.zone).astimezone(start.tzinfo)
        raise ValueError("no business day found within ten years")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end` (negative when `end` is earlier)."""
        if end < start:
            return -self.between(end, start)
        total = timedelta(0)
        cursor = start.astimezone(self.zone)
        end_local = end.astimezone(self.zone)
        while cursor.date() <= end_local.date():
            day = cursor.date()
            if self.is_business_day(day):
                opens, closes = self._open_close(day)
                lo, hi = max(cursor, opens), min(end_local, closes)
                if hi > lo:
                    total += hi - lo
            cursor = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
        return total
