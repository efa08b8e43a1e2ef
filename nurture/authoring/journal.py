"""What a scenario can look back on, and the journal that lets it resume after continue-as-new.

A scenario is a coroutine, and a coroutine cannot be carried to the next run. Instead each
scenario run keeps a journal of what it did (sends, waits with their deadlines) and read
(score, events, time). The next run calls the scenario again from the top; each call finds
its entry and returns the recorded answer without touching Temporal, until the journal is
exhausted and the scenario carries on live from where it was.
"""

from __future__ import annotations

from typing import Protocol

from nurture.authoring.state import JournalEntry, LoggedEvent, ScenarioRun

CARRIED_EVENTS = 200  # recent events a resumed scenario can still look back on


class EventLog(Protocol):
    """What a scenario reads of the lead's behaviour events, numbered in arrival order
    (the lead workflow keeps them in its state: `workflows.lead_state.StateEvents`)."""

    @property
    def total(self) -> int: ...

    def since(self, seq: int, types: tuple[str, ...]) -> list[LoggedEvent]: ...

    def matching(self, types: tuple[str, ...]) -> list[LoggedEvent]: ...


class Journal:
    """Reads and writes one scenario run's journal; `recall` answers while fast-forwarding."""

    def __init__(self, run: ScenarioRun) -> None:
        self.run = run
        self._cursor = 0
        self.diverged = False

    @property
    def replaying(self) -> bool:
        return self._cursor < len(self.run.journal)

    def recall(self, op: str, key: str) -> JournalEntry | None:
        """The recorded entry for this call, or None to go live.

        A call that does not match the journal (the scenario took another path, say because
        the profile changed) drops the rest of the journal: the scenario goes on live.
        """
        if not self.replaying:
            return None
        entry = self.run.journal[self._cursor]
        if entry.op != op or entry.key != key:
            del self.run.journal[self._cursor :]
            self.diverged = True
            return None
        self._cursor += 1
        return entry

    def recall_if_next(self, op: str, key: str) -> JournalEntry | None:
        """Like `recall`, but a mismatch is no divergence: the entry is simply not there
        (a `patched` check added after the journal was written)."""
        if self.replaying:
            entry = self.run.journal[self._cursor]
            if entry.op == op and entry.key == key:
                self._cursor += 1
                return entry
        return None

    def record(self, entry: JournalEntry) -> JournalEntry:
        self.run.journal.append(entry)
        self._cursor = len(self.run.journal)
        return entry

    def sends_of(self, step: str) -> int:
        """How many times this run has sent `step` (so a repeated step gets a new outbox key)."""
        return sum(1 for e in self.run.journal if e.op == "send" and e.key == step)
