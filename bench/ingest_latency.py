"""The ingest benchmark's latency probes, one event at a time: a webhook until the new score
shows in `GET /v1/leads/{id}`, and the event crossing the MQL threshold until the rep's mail
reaches the SMTP sink."""

from __future__ import annotations

import asyncio
import time

from ingest_load import Bench
from ingest_stack import REP, BenchError

from nurture.mailsink import MailSink
from nurture.models import EventType
from nurture.tables import Lead

SCORE_EVENT = EventType.PAGE_VIEW  # +1 point: a visible score change
QUALIFYING_EVENT = EventType.PRICING_PAGE_VIEW  # +15 points: 45 -> 60, the MQL threshold


async def score_latency(bench: Bench, samples: int) -> dict[str, list[float]]:
    """Sequentially: POST one +1 event, poll the lead until the new score shows.

    The figure is taken when the GET that shows the score returns, so it is accurate to
    about one GET (their times are reported too).
    """
    pause = bench.args.poll_interval_ms / 1000
    visible: list[float] = []
    acked: list[float] = []
    gets: list[float] = []
    expected: dict[str, int] = {}
    for i in range(samples):
        lead = bench.cold[i % len(bench.cold)]
        key = str(lead.id)
        if key not in expected:
            r = await bench.http.get(f"/v1/leads/{key}", bench.admin)
            expected[key] = int(r.json()["score"])
        expected[key] += 1
        event = {
            "event_id": f"bench-{bench.run_tag}-score-{i}",
            "lead_id": key,
            "type": SCORE_EVENT.value,
        }
        t0 = time.perf_counter()
        r = await bench.signed_post(event)
        acked.append(time.perf_counter() - t0)
        if r.status != 202:
            raise BenchError(f"POST /v1/events answered {r.status}: {r.text[:300]}")
        deadline = t0 + 15
        while True:
            t_get = time.perf_counter()
            g = await bench.http.get(f"/v1/leads/{key}", bench.admin)
            now = time.perf_counter()
            gets.append(now - t_get)
            if g.status != 200:
                raise BenchError(f"GET /v1/leads/{key} answered {g.status}: {g.text[:300]}")
            if int(g.json()["score"]) >= expected[key]:
                visible.append(now - t0)
                break
            if time.perf_counter() > deadline:
                raise BenchError(f"score of lead {key} not updated within 15 s")
            await asyncio.sleep(pause)
    bench.sent += samples
    return {"score_visible": visible, "webhook_ack": acked, "lead_get": gets}


async def mql_latency(bench: Bench) -> list[float]:
    """Sequentially: the event that crosses the threshold -> the rep's mail at the sink."""
    out: list[float] = []
    for i, lead in enumerate(bench.warm):
        before = len([m for m in bench.stack.sink.messages if REP[1] in m.envelope_to])
        event = {
            "event_id": f"bench-{bench.run_tag}-mql-{i}",
            "lead_id": str(lead.id),
            "type": QUALIFYING_EVENT.value,
        }
        t0 = time.time()
        r = await bench.signed_post(event)
        if r.status != 202:
            raise BenchError(f"POST /v1/events answered {r.status}: {r.text[:300]}")
        mail = await asyncio.to_thread(_wait_rep_mail, bench.stack.sink, before, lead, 30.0)
        out.append(mail - t0)
    bench.sent += len(bench.warm)
    return out


def _wait_rep_mail(sink: MailSink, before: int, lead: Lead, timeout: float) -> float:
    """When the rep's next mail arrived; it must name this lead (by email or name)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = len(sink.messages)
        rep_mails = [m for m in sink.messages if REP[1] in m.envelope_to]
        if len(rep_mails) > before:
            mail = rep_mails[before]
            text = f"{mail.subject}\n{mail.text()}"
            if lead.email not in text and lead.name not in text:
                raise BenchError(f"the rep mail is about another lead: {mail.subject!r}")
            return mail.received_at
        sink.wait_for(count + 1, min(0.5, deadline - time.monotonic()))
    raise BenchError(f"no rep mail for lead {lead.id} within {timeout:.0f} s (see the worker log)")
