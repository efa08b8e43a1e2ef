"""`nurture demo`: realistic leads driven through the running stack, for a dashboard that
shows something on day one. Everything goes through the public API, as production traffic
would: intake, signed behaviour webhooks, people reading their mail, and sales at work.

People read the mail the dev SMTP sink kept (`.eml` files): they load the open pixel and
follow a visible tracked link, from a mail client's User-Agent, no sooner than the gateway
window after delivery (`nurture.traffic`), so the API counts them as people. The tracked
path is requested on `--api`: `NURTURE_PUBLIC_URL` may name a proxy in front of the API.
Sales work each handoff of a demo lead as soon as it appears (polled on GET /v1/handoffs),
with the admin token; every action's status is checked and failures are reported.

The parts: `population` (who the demo leads are and what they do), `intake` (leads and
their events posted), `mail_readers` (people opening and clicking), `sales_desk` (reps
working handoffs), `driver` (one run until things settle), `summary` (the tally and the
lines `nurture demo` prints), `session` (what the parts share).
"""

from nurture.cli.demo.driver import run
from nurture.cli.demo.session import Api, DemoError
from nurture.cli.demo.summary import Summary, report

__all__ = ["Api", "DemoError", "Summary", "report", "run"]
