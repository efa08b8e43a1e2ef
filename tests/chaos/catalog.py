"""Every scenario, its default size and its time bound, in the order `make chaos` runs them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tests.chaos import api_faults, infra_faults, mail_faults, ops_faults, scale_faults
from tests.chaos.run import Run


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[Run], Awaitable[None]]
    leads: int  # default lead count (`--leads` overrides)
    base_seconds: float  # time bound: base + per lead
    per_lead_seconds: float
    summary: str

    def bound(self, leads: int) -> float:
        return self.base_seconds + self.per_lead_seconds * leads


SCENARIOS = {
    s.name: s
    for s in (
        Scenario(
            "kill-worker",
            mail_faults.kill_worker,
            100,
            240,
            1.0,
            "worker kill -9 at random moments during the sends, restarted each time",
        ),
        Scenario(
            "kill-one-of-two",
            scale_faults.kill_one_of_two,
            100,
            240,
            1.0,
            "two workers on one task queue, one kill -9ed mid-send, the other carries on",
        ),
        Scenario(
            "kill-after-250",
            mail_faults.kill_after_250,
            20,
            300,
            2.0,
            "worker kill -9 aimed just after the relay's 250 (10x) and during DATA (3x)",
        ),
        Scenario(
            "smtp-down",
            mail_faults.smtp_down,
            30,
            240,
            1.0,
            "relay refuses connections for --outage seconds, then comes back",
        ),
        Scenario(
            "smtp-4xx",
            mail_faults.smtp_4xx,
            30,
            240,
            1.0,
            "relay answers 421/451 for --outage seconds",
        ),
        Scenario(
            "smtp-550",
            mail_faults.smtp_550,
            20,
            180,
            1.0,
            "relay refuses one recipient with 550: that lead bounces",
        ),
        Scenario(
            "smtp-auth",
            mail_faults.smtp_auth,
            10,
            360,
            2.0,
            "relay requires AUTH, worker has the wrong password, then the right one",
        ),
        Scenario(
            "temporal-restart",
            infra_faults.temporal_restart,
            60,
            300,
            1.0,
            "dev server SIGTERM restart, then SIGKILL restart, on its db file",
        ),
        Scenario(
            "db-locked",
            infra_faults.db_locked,
            30,
            360,
            1.0,
            "SQLite file write-locked (BEGIN EXCLUSIVE) while mail is in DATA",
        ),
        Scenario(
            "webhook-retries",
            api_faults.webhook_retries,
            10,
            150,
            1.0,
            "the same signed batch 5x in a row and 5x at once",
        ),
        Scenario(
            "intake-case",
            api_faults.intake_case,
            1,
            120,
            10.0,
            "10 concurrent intakes of one address in different letter case",
        ),
        Scenario(
            "kill-api",
            infra_faults.kill_api,
            20,
            240,
            1.0,
            "API kill -9 during a 500-event POST, the client retrying (--kills times)",
        ),
        Scenario(
            "ops",
            ops_faults.ops,
            6,
            360,
            0.0,
            "temporal workflow reset/cancel/terminate, nurture leads stop/resume",
        ),
    )
}
