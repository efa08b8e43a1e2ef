"""Re-enrolment policies, A/B splits and the scenario journal: pure rules, known answers."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from nurture.authoring.journal import Journal
from nurture.authoring.runtime import pick_variant
from nurture.authoring.scenario_spec import Goal, Reenrol
from nurture.authoring.state import JournalEntry, ScenarioRun

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
IDS = [str(uuid.UUID(int=n * 7919 + 17)) for n in range(10_000)]


def test_never_takes_a_lead_twice() -> None:
    assert Reenrol.never().refusal("trial", None, NOW) is None
    assert Reenrol.never().refusal("trial", NOW - timedelta(days=400), NOW) == (
        "trial takes a lead only once"
    )


def test_always_takes_a_lead_again() -> None:
    assert Reenrol.always().refusal("webinar", NOW - timedelta(minutes=5), NOW) is None


def test_at_most_every_n_days() -> None:
    policy = Reenrol.at_most_every(days=30)
    assert policy.refusal("whitepaper", NOW - timedelta(days=31), NOW) is None
    refusal = policy.refusal("whitepaper", NOW - timedelta(days=29), NOW)
    assert refusal == (
        "whitepaper takes a lead at most once every 30 days (last entered 2026-10-27)"
    )


def test_goal_describes_itself() -> None:
    assert Goal(events=("meeting_booked",)).describe() == "meeting_booked"
    assert Goal(events=("a", "b"), min_score=80).describe() == "a or b or score 80"
    assert Goal(events=("a",), label="a meeting booked").describe() == "a meeting booked"


def test_a_split_is_stable_per_lead_and_even() -> None:
    picks = [pick_variant(i, "subject", ["a", "b"]) for i in IDS]
    assert picks == [pick_variant(i, "subject", ["a", "b"]) for i in IDS]  # replay-safe
    share = Counter(picks)["a"] / len(IDS)
    assert 0.48 < share < 0.52


def test_a_split_follows_its_weights() -> None:
    picks = Counter(pick_variant(i, "offer", {"demo": 80, "hearing": 20}) for i in IDS)
    assert 0.78 < picks["demo"] / len(IDS) < 0.82


def test_two_splits_are_independent() -> None:
    same = sum(
        pick_variant(i, "one", ["a", "b"]) == pick_variant(i, "two", ["a", "b"]) for i in IDS
    )
    assert 0.48 < same / len(IDS) < 0.52


def test_a_split_needs_variants() -> None:
    with pytest.raises(ValueError, match="positive weights"):
        pick_variant(IDS[0], "empty", [])


def _run(*entries: JournalEntry) -> ScenarioRun:
    return ScenarioRun(scenario="s", enrolment=1, started_at=NOW, journal=list(entries))


def test_the_journal_answers_in_order_then_goes_live() -> None:
    journal = Journal(
        _run(JournalEntry(op="send", key="thanks"), JournalEntry(op="read", key="score", result=40))
    )
    assert journal.recall("send", "thanks") is not None
    entry = journal.recall("read", "score")
    assert entry is not None and entry.result == 40
    assert journal.recall("send", "next") is None  # exhausted: live from here
    journal.record(JournalEntry(op="send", key="next"))
    assert [e.key for e in journal.run.journal] == ["thanks", "score", "next"]
    assert journal.sends_of("next") == 1


def test_a_scenario_that_takes_another_path_drops_the_rest_of_its_journal() -> None:
    journal = Journal(_run(JournalEntry(op="send", key="a"), JournalEntry(op="send", key="b")))
    assert journal.recall("send", "a") is not None
    assert journal.recall("send", "c") is None
    assert journal.diverged and [e.key for e in journal.run.journal] == ["a"]


def test_a_patch_check_added_later_is_no_divergence() -> None:
    journal = Journal(_run(JournalEntry(op="send", key="thanks")))
    assert journal.recall_if_next("patched", "welcome-video") is None
    assert not journal.diverged and journal.recall("send", "thanks") is not None
