"""The workflow runners' own cost, without a server: every recorded history in
`tests/histories` replayed through each `NURTURE_WORKFLOW_RUNNER` choice, in one process,
rounds interleaved (sandbox passthrough unsandboxed unsandboxed passthrough sandbox ...), CPU
time of this process per replayed run (issue 13, goal 3).

A replay builds the workflow's instance (the sandbox's per-run `create_instance`: its
re-import of the workflow modules) and runs every activation of the history, which is the
worker's share of a lead's CPU that the runner decides; the server, activities and the
database are not in it. CPU time (not wall time) is read, so a busy machine blurs the
figures less, but it still does: the ratios to `sandbox` in the same run are the result.

    .venv/bin/python bench/runners.py              # about 1 minute
    .venv/bin/python bench/runners.py --rounds 4 --repeat 2
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

from ingest_machine import machine_info
from ingest_stats import mean
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from nurture.settings import WorkflowRunnerKind
from workflows.registry import WORKFLOWS, workflow_runner

ROOT = Path(__file__).resolve().parent.parent
HISTORIES = ROOT / "tests" / "histories"
RESULTS_DIR = ROOT / "bench" / "results"
KINDS: tuple[WorkflowRunnerKind, ...] = get_args(WorkflowRunnerKind)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--rounds", type=int, default=2, help="rounds; each runs every runner twice")
    p.add_argument("--repeat", type=int, default=1, help="replays of every history per turn")
    p.add_argument("--no-json", action="store_true", help="do not write bench/results/*.json")
    args = p.parse_args(argv)
    if args.rounds < 1 or args.repeat < 1:
        p.error("--rounds and --repeat must be at least 1")
    return args


async def turn(kind: WorkflowRunnerKind, histories: list[WorkflowHistory], repeat: int) -> float:
    """CPU seconds of this process to replay every history `repeat` times with `kind`."""
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(kind),
    )
    gc.collect()
    t0 = time.process_time()
    for _ in range(repeat):
        for history in histories:
            await replayer.replay_workflow(history)
    return time.process_time() - t0


async def run(args: argparse.Namespace) -> dict[str, Any]:
    files = sorted(HISTORIES.glob("*.json"))
    histories = [WorkflowHistory.from_json(p.stem, p.read_text()) for p in files]
    runs = len(histories) * args.repeat
    events = sum(len(h.events) for h in histories)
    await turn("sandbox", histories, 1)  # warm-up: imports, caches
    order = [*KINDS, *reversed(KINDS)] * args.rounds
    ms_per_run: dict[str, list[float]] = {k: [] for k in KINDS}
    for kind in order:
        seconds = await turn(kind, histories, args.repeat)
        ms_per_run[kind].append(1000 * seconds / runs)
        print(f"  {kind:<12} {1000 * seconds / runs:6.2f} ms CPU per replayed run")
    base = mean(ms_per_run["sandbox"])
    summary = {
        k: {
            "ms_per_run": round(mean(v), 2),
            "min_ms": round(min(v), 2),
            "max_ms": round(max(v), 2),
            "ratio_to_sandbox": round(mean(v) / base, 3),
        }
        for k, v in ms_per_run.items()
    }
    return {
        "benchmark": "runners",
        "date": datetime.now(UTC).date().isoformat(),
        "command": " ".join([".venv/bin/python", "bench/runners.py", *sys.argv[1:]]),
        "machine": machine_info(),
        "load_average": os.getloadavg(),
        "config": {
            "histories": len(histories),
            "events": events,
            "repeat": args.repeat,
            "order": order,
        },
        "summary": summary,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    print(f"replaying tests/histories through {', '.join(KINDS)}")
    result = asyncio.run(run(args))
    gc.collect()  # the replayers' runtime must go before the interpreter exits
    n = result["config"]
    print(f"\n{n['histories']} histories ({n['events']} events) x {n['repeat']} per turn")
    print(f"{'runner':<12} {'ms CPU/run':>10} {'min':>7} {'max':>7} {'x sandbox':>10}")
    for kind, s in result["summary"].items():
        print(
            f"{kind:<12} {s['ms_per_run']:>10.2f} {s['min_ms']:>7.2f} {s['max_ms']:>7.2f} "
            f"{s['ratio_to_sandbox']:>10.2f}"
        )
    print("load average at the end: " + ", ".join(f"{x:.2f}" for x in result["load_average"]))
    if not args.no_json:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"runners-{result['date']}.json"
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
