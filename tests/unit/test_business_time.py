"""Business hours on the Tokyo calendar: weekends and Japanese public holidays skipped."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from nurture.rules.business_time import BusinessCalendar

JST = ZoneInfo("Asia/Tokyo")
CAL = BusinessCalendar(timezone="Asia/Tokyo", opens=time(9), closes=time(18), country="JP")
H = timedelta(hours=1)


def jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JST)


@pytest.mark.parametrize(
    ("start", "work", "due"),
    [
        (jst(2026, 11, 25, 10, 0), 2 * H, jst(2026, 11, 25, 12, 0)),  # same Wednesday
        (jst(2026, 11, 25, 7, 30), 2 * H, jst(2026, 11, 25, 11, 0)),  # before opening
        (jst(2026, 11, 25, 20, 0), 2 * H, jst(2026, 11, 26, 11, 0)),  # after closing
        (jst(2026, 11, 25, 17, 0), 9 * H, jst(2026, 11, 26, 17, 0)),  # one business day
        # Friday 17:00 + 2h: 1h on Friday, the weekend, Monday 23 Nov is Labour
        # Thanksgiving Day (a holiday), so the second hour is Tuesday 9:00-10:00.
        (jst(2026, 11, 20, 17, 0), 2 * H, jst(2026, 11, 24, 10, 0)),
        (jst(2026, 11, 21, 12, 0), H, jst(2026, 11, 24, 10, 0)),  # from a Saturday
        # Golden Week 2026: 3 (Sun), 4, 5, 6 (substitute) May are off.
        (jst(2026, 5, 1, 17, 30), H, jst(2026, 5, 7, 9, 30)),
        (jst(2026, 12, 31, 17, 0), 2 * H, jst(2027, 1, 4, 10, 0)),  # New Year's Day
    ],
)
def test_add(start: datetime, work: timedelta, due: datetime) -> None:
    assert CAL.add(start, work) == due


def test_adding_nothing_at_closing_time_stays_there() -> None:
    assert CAL.add(jst(2026, 11, 25, 18, 0), timedelta(0)) == jst(2026, 11, 25, 18, 0)


def test_add_keeps_the_callers_zone() -> None:
    start = datetime(2026, 11, 25, 1, 0, tzinfo=ZoneInfo("UTC"))  # 10:00 in Tokyo
    due = CAL.add(start, 2 * H)
    assert due.tzinfo == ZoneInfo("UTC") and due == jst(2026, 11, 25, 12, 0)


@pytest.mark.parametrize(
    ("start", "end", "work"),
    [
        (jst(2026, 11, 25, 10, 0), jst(2026, 11, 25, 12, 30), timedelta(hours=2, minutes=30)),
        (jst(2026, 11, 20, 17, 0), jst(2026, 11, 24, 10, 0), 2 * H),
        (jst(2026, 11, 21, 0, 0), jst(2026, 11, 23, 23, 0), timedelta(0)),  # weekend + holiday
        (jst(2026, 11, 24, 10, 0), jst(2026, 11, 20, 17, 0), -2 * H),
    ],
)
def test_between(start: datetime, end: datetime, work: timedelta) -> None:
    assert CAL.between(start, end) == work


def test_holidays_are_japanese_ones() -> None:
    assert not CAL.is_business_day(jst(2026, 11, 23).date())  # 勤労感謝の日
    assert not CAL.is_business_day(jst(2026, 11, 3).date())  # 文化の日
    assert CAL.is_business_day(jst(2026, 11, 24).date())
    assert not CAL.is_business_day(jst(2026, 11, 28).date())  # Saturday


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add(datetime(2026, 11, 25, 10), H)


def test_the_sla_calendar_closes_over_the_new_year_break() -> None:
    from scenarios.sla import SLA

    monday = jst(2026, 12, 28, 17, 0)  # + 2 business hours: 1 h that day, then 4 January
    assert SLA.calendar.add(monday, 2 * H) == jst(2027, 1, 4, 10, 0)
    assert CAL.add(monday, 2 * H) == jst(2026, 12, 29, 10, 0)  # without the break


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (jst(2026, 11, 25, 8, 0), 0, jst(2026, 11, 25, 10, 0)),  # today, still ahead
        (jst(2026, 11, 25, 11, 0), 0, jst(2026, 11, 26, 10, 0)),  # today's has passed
        (jst(2026, 11, 25, 11, 0), 2, jst(2026, 11, 27, 10, 0)),  # Wednesday + 2: Friday
        # Friday + 1: the weekend, then Monday 23 Nov (Labour Thanksgiving Day): Tuesday.
        (jst(2026, 11, 20, 9, 0), 1, jst(2026, 11, 24, 10, 0)),
        (jst(2026, 11, 21, 12, 0), 0, jst(2026, 11, 24, 10, 0)),  # Saturday: next working day
    ],
)
def test_business_day_at(start: datetime, days: int, due: datetime) -> None:
    assert CAL.business_day_at(start, days, time(10)) == due


def test_business_day_at_refuses_going_back() -> None:
    with pytest.raises(ValueError, match="days"):
        CAL.business_day_at(jst(2026, 11, 25), -1, time(10))
