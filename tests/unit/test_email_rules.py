"""Send windows and the frequency cap, with known answers."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from scenarios.email_policy import FREQUENCY_CAP, SEND_WINDOW

JST = ZoneInfo("Asia/Tokyo")
UTC = ZoneInfo("UTC")


def test_inside_working_hours_sends_now() -> None:
    now = datetime(2026, 11, 25, 10, 30, tzinfo=JST)
    assert SEND_WINDOW.next_slot(now, None) == now


def test_night_waits_for_the_morning() -> None:
    night = datetime(2026, 11, 25, 22, 0, tzinfo=JST)
    assert SEND_WINDOW.next_slot(night, "Asia/Tokyo") == datetime(2026, 11, 26, 9, 0, tzinfo=JST)


def test_friday_evening_waits_past_the_weekend_and_a_holiday() -> None:
    friday = datetime(2026, 11, 20, 19, 0, tzinfo=JST)
    assert SEND_WINDOW.next_slot(friday, None) == datetime(2026, 11, 24, 9, 0, tzinfo=JST)


def test_another_time_zone_uses_its_own_hours_without_japanese_holidays() -> None:
    ny = ZoneInfo("America/New_York")
    monday_night_tokyo = datetime(2026, 11, 23, 12, 0, tzinfo=JST)  # Sunday 22:00 in New York
    slot = SEND_WINDOW.next_slot(monday_night_tokyo, "America/New_York")
    assert slot == datetime(2026, 11, 23, 9, 0, tzinfo=ny)


def test_cap_allows_three_a_week_then_defers() -> None:
    now = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    two = [now - timedelta(days=6), now - timedelta(days=1)]
    assert FREQUENCY_CAP.free_at(two, now) == now
    three = [now - timedelta(days=6), now - timedelta(days=2), now - timedelta(days=1)]
    assert FREQUENCY_CAP.free_at(three, now) == now + timedelta(days=1)
    old = [now - timedelta(days=9), now - timedelta(days=8), now - timedelta(days=7)]
    assert FREQUENCY_CAP.free_at(old, now) == now
