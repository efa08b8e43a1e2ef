"""`python -m tests.chaos [SCENARIO ...]`: run fault scenarios, one figure line each.

Exit status 0 only when every scenario says ok. Progress goes to stderr; the figure lines
(and nothing else) to stdout. A failed scenario's logs and databases are kept.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from tests.chaos.catalog import SCENARIOS, Scenario
from tests.chaos.figures import Figures, collect
from tests.chaos.run import NotSettled, Options, Run
from tests.chaos.stack import StackError
from tests.chaos.traffic import TrafficError

log = logging.getLogger("chaos")
COLLECT_SECONDS = 180.0


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    listing = "\n".join(f"  {s.name:<17} {s.summary}" for s in SCENARIOS.values())
    p = argparse.ArgumentParser(
        prog="python -m tests.chaos",
        description="The nurture fault suite: faults on a real stack, one figure line each.",
        epilog=f"scenarios (default: all, in this order):\n{listing}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="scenarios to run")
    p.add_argument("--leads", type=int, help="leads per scenario (default: each its own)")
    p.add_argument("--kills", type=int, help="kills per kill scenario (default: each its own)")
    p.add_argument("--outage", type=float, default=30.0, help="seconds a relay fault lasts")
    p.add_argument("--lock-seconds", type=float, default=45.0, help="db-locked: lock length")
    p.add_argument("--seed", type=int, default=1, help="seed of the random kill moments")
    p.add_argument("--keep", action="store_true", help="keep every scenario's folder")
    args = p.parse_args(argv)
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        p.error(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    return args


async def run_one(scenario: Scenario, options: Options, workdir: Path) -> Figures:
    """The scenario within its time bound, then its figures, whatever happened before."""
    run = Run(scenario.name, workdir, options, scenario.leads)
    bound = scenario.bound(run.leads)
    started = time.monotonic()
    try:
        try:
            await asyncio.wait_for(scenario.run(run), bound)
        except TimeoutError:
            run.ledger.problem(f"did not finish within {bound:.0f} s (while {run.stage})")
        except (NotSettled, TrafficError, StackError) as err:
            run.ledger.problem(f"{err} (while {run.stage})")
        except Exception as err:  # a harness bug must not hide the other scenarios' figures
            log.exception("%s broke while %s", scenario.name, run.stage)
            run.ledger.problem(f"harness error {type(err).__name__}: {err} (while {run.stage})")
        fig = await _figures(run)
    finally:
        await run.close()
    fig.seconds = time.monotonic() - started
    return fig


async def _figures(run: Run) -> Figures:
    for part in run.stack.exited():
        run.ledger.problem(part)
    try:
        if run.stack.worker is not None and not run.stack.worker.alive():
            await run.stack.start_worker()  # queries need a worker
        return await asyncio.wait_for(collect(run), COLLECT_SECONDS)
    except Exception as err:  # figures must come out even from a broken stack
        log.exception("collecting figures of %s", run.name)
        fig = Figures(run.name, extras=dict(run.ledger.extras), problems=list(run.ledger.problems))
        fig.problems.append(f"figures not collected: {type(err).__name__}: {err}")
        return fig


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM/SIGHUP unwind like Ctrl-C, so every started process is stopped."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("chaos").setLevel(logging.INFO)
    options = Options(args.leads, args.kills, args.outage, args.lock_seconds, args.seed)
    root = Path(tempfile.mkdtemp(prefix="nurture-chaos-"))
    chosen = [SCENARIOS[name] for name in args.scenarios] or list(SCENARIOS.values())
    failed = 0
    for scenario in chosen:
        workdir = root / scenario.name
        workdir.mkdir()
        fig = asyncio.run(run_one(scenario, options, workdir))
        print(fig.line(), flush=True)
        if fig.ok and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            failed += not fig.ok
            log.info("%s: logs and databases kept in %s", scenario.name, workdir)
    if not any(root.iterdir()):
        root.rmdir()
    log.info("%d of %d scenario(s) ok", len(chosen) - failed, len(chosen))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
