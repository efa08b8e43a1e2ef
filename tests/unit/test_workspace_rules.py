"""The /sales workspace's pure pieces: the business-time countdown and its words, the
sign-in link token and the forms' CSRF value (nurture.rules.countdown, its words in
nurture.rules.rep_words.span, nurture.workspace_tokens)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nurture import workspace_tokens as wt
from nurture.rules.countdown import countdown
from nurture.rules.rep_words import span
from scenarios.sla import SLA

JST = SLA.calendar.zone
SECRET = "s3cret"
# Tuesday 2026-12-01 and Friday 2026-12-04, no holidays near.
TUESDAY_10 = datetime(2026, 12, 1, 10, 0, tzinfo=JST)
FRIDAY_17 = datetime(2026, 12, 4, 17, 0, tzinfo=JST)


def test_the_countdown_counts_working_hours_only() -> None:
    # Friday 17:00 to Monday 11:00: one hour on Friday, two on Monday; the weekend is free.
    monday_11 = datetime(2026, 12, 7, 11, 0, tzinfo=JST)
    c = countdown(SLA.calendar, FRIDAY_17, monday_11)
    assert c == countdown(SLA.calendar, FRIDAY_17.astimezone(UTC), monday_11)
    assert not c.overdue and c.left == timedelta(hours=3)


def test_a_missed_deadline_is_overdue_by_the_working_time_since() -> None:
    c = countdown(SLA.calendar, TUESDAY_10 + timedelta(hours=1, minutes=30), TUESDAY_10)
    assert c.overdue and c.left == timedelta(hours=1, minutes=30)
    # Read in the evening, a deadline at closing time is overdue though no working time passed.
    closing = datetime(2026, 12, 1, 18, 0, tzinfo=JST)
    evening = countdown(SLA.calendar, closing + timedelta(hours=3), closing)
    assert evening.overdue and evening.left == timedelta(0)
    assert countdown(SLA.calendar, closing, closing).overdue


@pytest.mark.parametrize(
    ("delta", "en", "ja"),
    [
        (timedelta(minutes=5, seconds=59), "5 min", "5分"),
        (timedelta(hours=2, minutes=5), "2 h 5 min", "2時間5分"),
        (timedelta(hours=-1), "1 h", "1時間"),
        (timedelta(hours=30, minutes=1), "30 h 1 min", "30時間1分"),  # business hours: no days
    ],
)
def test_countdowns_read_in_hours_and_minutes(delta: timedelta, en: str, ja: str) -> None:
    assert span(delta, "en", days=False) == en and span(delta, "ja", days=False) == ja


def test_a_sign_in_link_carries_a_random_value_until_it_expires() -> None:
    value = wt.new_value()
    token = wt.make_sign_in(SECRET, value, TUESDAY_10 + timedelta(minutes=15))
    assert wt.read_sign_in(SECRET, token, TUESDAY_10) == value
    assert "@" not in token and len(wt.digest(value)) == 64
    with pytest.raises(wt.SignInRefused, match="expired"):
        wt.read_sign_in(SECRET, token, TUESDAY_10 + timedelta(minutes=15))


@pytest.mark.parametrize("mangle", [lambda t: t[:-2], lambda t: "x" + t, lambda t: "", str.upper])
def test_a_tampered_or_foreign_sign_in_link_is_invalid(mangle: object) -> None:
    token = wt.make_sign_in(SECRET, wt.new_value(), TUESDAY_10 + timedelta(minutes=15))
    assert callable(mangle)
    with pytest.raises(wt.SignInRefused, match="invalid"):
        wt.read_sign_in(SECRET, mangle(token), TUESDAY_10)
    with pytest.raises(wt.SignInRefused, match="invalid"):
        wt.read_sign_in("another secret", token, TUESDAY_10)


def test_the_csrf_value_belongs_to_one_session_and_one_secret() -> None:
    one, two = wt.new_value(), wt.new_value()
    value = wt.csrf_for(SECRET, one)
    assert wt.csrf_ok(SECRET, one, value)
    assert not wt.csrf_ok(SECRET, two, value)
    assert not wt.csrf_ok("another secret", one, value)
    assert not wt.csrf_ok(SECRET, one, "")
    assert one not in value
