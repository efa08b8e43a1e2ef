"""The fault suite (`make chaos`): a real stack on loopback, faults injected on purpose, and
one figure line per scenario counting lost, duplicated and uncertain mail, lost and
double-counted events, orphan leads and failed workflow tasks.

    .venv/bin/python -m tests.chaos                    # every scenario
    .venv/bin/python -m tests.chaos kill-worker --leads 300 --kills 8

Not collected by pytest (no test_*.py here) and not part of `make test`: it takes minutes.
"""
