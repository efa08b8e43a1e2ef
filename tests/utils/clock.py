"""Pinning the clock a test depends on: the time-skipping server moved to a chosen moment.

A test about business hours must not pass or fail with the hour, the weekday or the
season it happens to run in; it moves the test server's clock to a moment it names.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio.testing import WorkflowEnvironment

from nurture.rules.business_time import BusinessCalendar
from scenarios.email_policy import SEND_WINDOW

TOKYO = SEND_WINDOW.calendar("Asia/Tokyo")


def _no_holiday_ahead(day: datetime, calendar: BusinessCalendar) -> bool:
    dates = [(day + timedelta(days=d)).date() for d in range(6)]
    return all(calendar.is_business_day(d) for d in dates if d.weekday() < 5)


def next_quiet(
    now: datetime, weekday: int, hour: int, calendar: BusinessCalendar = TOKYO
) -> datetime:
    """The next `weekday` (0 = Monday) at `hour` local time with no holiday in the week after."""
    local = now.astimezone(calendar.zone).replace(hour=hour, minute=0, second=0, microsecond=0)
    day = local + timedelta(days=1)
    while day.weekday() != weekday or not _no_holiday_ahead(day, calendar):
        day += timedelta(days=1)
    return day


async def skip_to(
    env: WorkflowEnvironment, weekday: int, hour: int, calendar: BusinessCalendar = TOKYO
) -> datetime:
    """Move the time-skipping server's clock to the next such `weekday` and `hour`."""
    start = next_quiet(await env.get_current_time(), weekday, hour, calendar)
    await env.sleep(start - await env.get_current_time())
    return start
