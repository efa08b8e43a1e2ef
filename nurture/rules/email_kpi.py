"""Email figures per scenario step: open, click, unsubscribe and bounce rates.

Pure arithmetic over the counts `nurture/repo/kpi_email.py` reads.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepMail:
    scenario: str
    step: str
    sent: int  # handed to the relay: delivered, bounced, or of unknown fate
    delivered: int
    bounced: int
    opens: int  # unique people, machine hits excluded
    clicks: int
    unsubscribes: int
    uncertain: int = 0  # a worker died while the relay took it: never re-sent, maybe delivered
    held: int = 0  # waiting for the relay or our configuration to be fixed
    failed: int = 0  # given up after the hold: never delivered

    def _of_delivered(self, n: int) -> float | None:
        return round(n / self.delivered, 4) if self.delivered else None

    @property
    def open_rate(self) -> float | None:
        return self._of_delivered(self.opens)

    @property
    def click_rate(self) -> float | None:
        return self._of_delivered(self.clicks)

    @property
    def unsubscribe_rate(self) -> float | None:
        return self._of_delivered(self.unsubscribes)

    @property
    def bounce_rate(self) -> float | None:
        return round(self.bounced / self.sent, 4) if self.sent else None
