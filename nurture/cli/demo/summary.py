"""What one demo run did, counted as it happens, and the lines `nurture demo` prints."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Summary:
    leads: int = 0
    campaigns: int = 0
    pending_intake: int = 0  # stored, but no worker answered in time
    intake_seconds: float = 0.0
    in_hours: int = 0  # leads inside their send window (working hours) at intake
    mails: int = 0
    opens: int = 0
    clicks: int = 0
    handoffs: Counter[str] = field(default_factory=Counter)
    revenue: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def worked(self) -> int:
        return sum(n for outcome, n in self.handoffs.items() if outcome != "pending")


def report(summary: Summary, api_base: str, mail_folder: Path) -> list[str]:
    """The summary as the lines `nurture demo` prints."""
    s, h = summary, summary.handoffs
    acked = h["ack"] + h["opportunity"] + h["won"] + h["lost"]
    lines = [
        f"demo: {s.leads} leads in {s.campaigns} campaigns in {s.seconds:.0f} s "
        f"(intake {s.intake_seconds:.0f} s, {s.pending_intake} before a worker answered)",
        f"  email: {s.mails} mails delivered to demo leads ({s.in_hours} leads were in their "
        f"working hours), {s.opens} opened, {s.clicks} clicked (by people, not gateways)",
        f"  sales: {sum(h.values())} handoffs, {s.worked} worked: {acked} acknowledged "
        f"({h['ack']} in progress, {h['opportunity']} opportunities open, {h['won']} won "
        f"for {s.revenue:,}, {h['lost']} lost), {h['reject']} rejected, "
        f"{h['pending']} left pending",
    ]
    if not mail_folder.is_dir():
        lines.append(
            f"  note: no mail folder at {mail_folder}: nobody read mail. The dev sink keeps "
            "mail in .nurture/mail under the folder `nurture dev` runs in (--mail-folder)."
        )
    elif not s.mails:
        lines.append(
            "  note: no demo mail arrived yet: marketing mail waits for each lead's working "
            "hours (9:00-18:00 weekdays, their time zone), so read it with a later run."
        )
    lines.append(f"open {api_base}/dashboard")
    return lines
