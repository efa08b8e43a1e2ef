"""The life of one benchmark run, shared by `ingest.py` and `intake.py`: a fresh stack in a
temporary folder, the run under a time limit, the stack stopped whatever happened (its logs
and database kept when something went wrong), then the report and the JSON result."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from bench_signals import stopping_uninterrupted, terminate_on_sigterm
from ingest_stack import LOOPBACK, BenchError, Stack

from nurture.mailsink import MailSink, free_port

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"

Run = Callable[[argparse.Namespace, Stack, Sequence[str]], Awaitable[dict[str, Any]]]


def run_bench(
    args: argparse.Namespace,
    argv: Sequence[str],
    run: Run,
    print_report: Callable[[dict[str, Any]], None],
    name: str,
    *,
    keep_mails: int | None = None,
) -> int:
    """Run `run` on a fresh stack; print its report and write `results/<name>-<date>.json`
    (unless --no-json). `keep_mails` bounds the mails the sink keeps in memory (it counts
    them all). The exit status: 0, 1 on an error, 130 when interrupted."""
    workdir = Path(tempfile.mkdtemp(prefix=f"nurture-{name}-"))
    db_path = workdir / "nurture.db"
    stack = Stack(
        workdir=workdir,
        temporal_port=free_port(),
        api_port=free_port(),
        task_queue=f"bench-{uuid.uuid4().hex[:8]}",
        database_url=f"sqlite:///{db_path}",
        db_path=db_path,
        sink=MailSink(host=LOOPBACK, port=0, keep=keep_mails),
    )
    keep = args.keep
    with terminate_on_sigterm():
        try:
            stack.sink.start()
            result = asyncio.run(asyncio.wait_for(run(args, stack, argv), args.max_seconds))
        except KeyboardInterrupt:
            print("\ninterrupted; stopping the stack", file=sys.stderr)
            return 130
        except TimeoutError:
            print(
                f"error: the run took longer than --max-seconds {args.max_seconds:.0f}",
                file=sys.stderr,
            )
            keep = True
            return 1
        except BenchError as err:
            print(f"error: {err}", file=sys.stderr)
            keep = True
            return 1
        except BaseException:
            keep = True
            raise
        finally:
            with stopping_uninterrupted():
                stack.stop()
            if keep:
                print(f"logs and database kept in {workdir}", file=sys.stderr)
            else:
                shutil.rmtree(workdir, ignore_errors=True)
    print_report(result)
    for error in result["errors"]:
        print(f"error: {error}", file=sys.stderr)
    if not args.no_json:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"{name}-{result['date']}.json"
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"\nwrote {path.relative_to(ROOT)}")
    return 1 if result["errors"] else 0
