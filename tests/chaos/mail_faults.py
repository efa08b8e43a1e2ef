"""Scenarios around the send: a dying worker, and a relay that is down, busy or refusing."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import subprocess
import sys

from tests.chaos.relay import AFTER_250, DURING_DATA
from tests.chaos.run import Run
from tests.chaos.traffic import lead_body

SMTP_USER = "chaos"
RIGHT, WRONG = "right-password-0001", "wrong-password-0001"


async def kill_worker(run: Run) -> None:
    """N leads (3 page views each) while the worker is `kill -9`ed at random moments. The
    relay takes 50 ms per message, as a remote one does: on loopback a send is so short
    that random kills would all land between sends (`kills_in_data` counts those that
    caught a send in DATA)."""
    await run.start()
    run.relay.data_delay = 0.05
    count, kills = run.leads, run.options.kills or 4
    run.step(f"{count} leads, worker killed {kills} times during the sends")
    traffic = asyncio.create_task(run.leads_with_events(count, "kw", 3))
    done = mid_send = 0
    for _ in range(kills):
        await asyncio.sleep(run.rng.uniform(1.0, 4.0))
        if traffic.done():
            break
        mid_send += run.relay.in_data > 0
        await run.restart_worker()  # SIGKILL, then a fresh worker
        done += 1
    await traffic
    run.ledger.extras.update(kills=done, kills_in_data=mid_send)
    run.ledger.check(done == kills, f"only {done} of {kills} kills landed during the traffic")
    run.step("settling")
    await run.settle(240)


def _killer(pid: int) -> None:
    """SIGKILL the worker's process group from the relay's thread (no Python of ours runs
    between the relay's answer and the kill)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


async def kill_after_250(run: Run) -> None:
    """Worker killed right after the relay's 250 (10×) and during DATA before it (3×)."""
    await run.start()
    aimed = run.options.kills or 10
    plan = [AFTER_250] * aimed + [DURING_DATA] * 3
    count = max(run.leads, len(plan))
    intakes: list[asyncio.Task[dict[str, object]]] = []
    fired = {AFTER_250: 0, DURING_DATA: 0}
    in_window = 0  # post-250 kills after which the outbox did not say "sent": window hit
    for k, moment in enumerate(plan):
        run.step(f"kill {k + 1}/{len(plan)} aimed {moment}")
        hit = run.relay.arm(moment, functools.partial(_killer, run.stack.worker_pid))
        # A fresh lead's first mail goes at once: the armed hook meets it (or a retry).
        intakes.append(asyncio.create_task(run.api.create_lead(lead_body("k250", len(intakes)))))
        if not await asyncio.to_thread(hit.wait, 60):
            run.relay.disarm()
            run.ledger.problem(f"kill aimed {moment} never fired")
            continue
        fired[moment] += 1
        await run.stack.kill_worker()  # reaps the killed worker
        if moment == AFTER_250:
            in_window += await run.mail_status(run.relay.hits[-1][1]) != "sent"
        await run.stack.start_worker()
    while len(intakes) < count:
        intakes.append(asyncio.create_task(run.api.create_lead(lead_body("k250", len(intakes)))))
    for reply in await asyncio.gather(*intakes):
        run.ledger.lead(reply)
    run.ledger.extras.update(
        killed_after_250=fired[AFTER_250], killed_in_data=fired[DURING_DATA], in_window=in_window
    )
    run.step("settling")
    await run.settle(180)


async def smtp_down(run: Run) -> None:
    """The relay refuses connections while leads arrive, then comes back."""
    await run.start()
    run.relay.stop()
    run.step(f"relay down for {run.options.outage:.0f} s")
    await run.leads_with_events(run.leads, "sd", 2)
    await asyncio.sleep(run.options.outage)
    run.relay.start()
    run.step("relay back; settling")
    await run.settle(run.options.outage * 2 + 120)


async def smtp_4xx(run: Run) -> None:
    """421 at MAIL and 451 at RCPT, alternately, for a while; then normal service."""
    await run.start()
    run.relay.fail_temporarily(run.options.outage)
    run.step(f"relay answers 421/451 for {run.options.outage:.0f} s")
    await run.leads_with_events(run.leads, "s4", 2)
    await asyncio.sleep(run.options.outage)
    run.ledger.extras["temporary_replies"] = run.relay.temporary_replies
    run.step("relay healthy; settling")
    await run.settle(run.options.outage * 2 + 120)


async def smtp_550(run: Run) -> None:
    """One recipient refused with 550: that lead bounces, everyone else gets mail once."""
    await run.start()
    refused = lead_body("s550", 0)
    run.relay.refused.add(str(refused["email"]).lower())
    run.step("one address refused with 550")
    ids = await run.leads_with_events(run.leads, "s550", 1)
    await run.settle(120)
    lead = await run.api.lead(ids[0])
    stage = lead["stage"] if lead else "unreadable"
    run.ledger.check(stage == "bounced", f"the refused lead is {stage}, not bounced")
    statuses = await run.statuses()
    run.ledger.check(statuses.get("bounced", 0) == 1, f"outbox {statuses}: want one bounced")


async def smtp_auth(run: Run) -> None:
    """The relay requires AUTH and the worker has the wrong password: mail is held and
    shown; after a restart with the right password every held mail goes out once."""
    wrong = {"NURTURE_SMTP_USERNAME": SMTP_USER, "NURTURE_SMTP_PASSWORD": WRONG}
    await run.start(credentials=(SMTP_USER, RIGHT), worker_env=wrong)
    count = run.leads
    run.step("wrong password: leads arrive")
    await run.leads_with_events(count, "sa", 1)

    async def all_held() -> bool:
        return (await run.statuses()).get("held", 0) >= count

    run.step("waiting for the mail to be held")
    if not await run.wait_until("every mail held in the outbox", all_held, 30):
        run.ledger.problem(f"outbox while the password is wrong: {await run.statuses()}")
    status, health = await run.api.healthz()
    mail_check = str(health.get("notices", {}).get("mail", ""))
    run.ledger.check("held" in mail_check, f"GET /healthz ({status}) names no held mail")
    run.ledger.check(await _outbox_cli(run), "`nurture outbox --status held` lists no held mail")
    run.ledger.extras["auth_failures"] = run.relay.auth_failures
    run.step("right password: worker restarted; settling")
    await run.restart_worker({"NURTURE_SMTP_USERNAME": SMTP_USER, "NURTURE_SMTP_PASSWORD": RIGHT})
    await run.settle(240)
    held = (await run.statuses()).get("held", 0)
    run.ledger.check(held == 0, f"{held} mail(s) still held after the password was fixed")


async def _outbox_cli(run: Run) -> bool:
    """Whether the ops CLI lists held mail and exits 1, its "needs attention" (its output is
    not logged)."""
    argv = [sys.executable, "-m", "nurture", "outbox", "--status", "held"]
    done = await asyncio.to_thread(
        subprocess.run, argv, env=run.stack.env(), capture_output=True, text=True, timeout=60
    )
    return done.returncode == 1 and " held since " in done.stdout
