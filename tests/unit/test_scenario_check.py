"""The determinism check on small scenario files: each way out of the workflow is named at
its line with what to use instead, however it was imported; the authoring API passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from nurture.scenario_check import Finding, check

HEAD = "from nurture.authoring.runtime import Lead\n\n\nasync def scenario(lead: Lead) -> None:\n"
BODY_LINE = 5  # the first line of a scenario body written after HEAD


def _check(tmp_path: Path, source: str, name: str = "bad.py") -> list[Finding]:
    path = tmp_path / name
    path.write_text(source)
    return check([path]).findings


def _in_body(*lines: str, imports: str = "") -> str:
    return imports + HEAD + "".join(f"    {line}\n" for line in lines)


# (what a marketing engineer might write, the module-level imports it needs, advice expected)
BAD_CALLS = {
    "datetime.now": ("now = datetime.now()", "from datetime import datetime\n", "lead.now()"),
    "datetime.utcnow": ("now = datetime.utcnow()", "from datetime import datetime\n", "lead.now"),
    "datetime.today": ("now = datetime.today()", "from datetime import datetime\n", "lead.now"),
    "date.today": ("day = date.today()", "from datetime import date\n", "lead.now()"),
    "module datetime": ("now = datetime.datetime.now()", "import datetime\n", "lead.now()"),
    "time.time": ("t = time.time()", "import time\n", "lead.now()"),
    "time.monotonic": ("t = time.monotonic()", "import time\n", "lead.now()"),
    "time.sleep": ("time.sleep(60)", "import time\n", "await lead.wait("),
    "asyncio.sleep": ("await asyncio.sleep(60)", "import asyncio\n", "await lead.wait("),
    "random.choice": ("step = random.choice(['a', 'b'])", "import random\n", "lead.split("),
    "random.random": ("odds = random.random()", "import random\n", "lead.split("),
    "uuid4": ("key = uuid.uuid4()", "import uuid\n", "lead.id"),
    "uuid1": ("key = uuid.uuid1()", "import uuid\n", "lead.id"),
    "open": ("text = open('offers.txt').read()", "", "activity"),
    "socket": ("socket.create_connection(('crm', 80))", "import socket\n", "activity"),
    "requests": ("requests.get('https://crm.example.com')", "import requests\n", "activity"),
    "httpx": ("httpx.get('https://crm.example.com')", "import httpx\n", "activity"),
    "urllib": ("urllib.request.urlopen('https://x')", "import urllib.request\n", "activity"),
    "subprocess": ("subprocess.run(['ls'])", "import subprocess\n", "activity"),
    "os.environ[]": ("offer = os.environ['OFFER']", "import os\n", "lead.attributes"),
    "os.environ.get": ("offer = os.environ.get('OFFER')", "import os\n", "lead.attributes"),
    "os.getenv": ("offer = os.getenv('OFFER')", "import os\n", "lead.attributes"),
    "pathlib read": ("text = Path('x.txt').read_text()", "from pathlib import Path\n", "activity"),
    "pathlib write": ("Path('x.txt').write_text('x')", "from pathlib import Path\n", "activity"),
    "pathlib var": ("p = Path('x'); ok = p.exists()", "from pathlib import Path\n", "activity"),
    "threading": ("threading.Thread(target=print).start()", "import threading\n", "one after"),
    "executor": (
        "ThreadPoolExecutor().submit(print)",
        "from concurrent.futures import ThreadPoolExecutor\n",
        "one after",
    ),
    "to_thread": ("await asyncio.to_thread(print)", "import asyncio\n", "one after"),
    "hash": ("bucket = hash(lead.id) % 2", "", "lead.split("),
    "set order": ("for step in {'thanks', 'hearing'}: print(step)", "", "sorted("),
}


@pytest.mark.parametrize("case", list(BAD_CALLS))
def test_each_way_out_is_named_at_its_line_with_what_to_use(tmp_path: Path, case: str) -> None:
    line, imports, advice = BAD_CALLS[case]
    findings = _check(tmp_path, _in_body(line, imports=imports))
    at_line = imports.count("\n") + BODY_LINE
    here = [f for f in findings if f.line == at_line]
    assert here, f"{case}: nothing reported at line {at_line}; got {[str(f) for f in findings]}"
    assert advice in here[0].message, str(here[0])
    assert str(here[0]).startswith(f"{tmp_path / 'bad.py'}:{at_line}:")


@pytest.mark.parametrize(
    "imports",
    [
        "import random\n",
        "import time\n",
        "import threading\n",
        "import socket\n",
        "from concurrent.futures import ThreadPoolExecutor\n",
        "import subprocess\n",
        "from time import monotonic\n",
        "import random as r\n",
        "import requests\n",
    ],
)
def test_importing_such_a_module_at_all_is_named(tmp_path: Path, imports: str) -> None:
    findings = _check(tmp_path, imports + HEAD + "    await lead.send('thanks')\n")
    assert [(f.line, f.col) for f in findings] == [(1, 1)]
    assert findings[0].message.startswith("import ")


def test_aliases_are_seen_through(tmp_path: Path) -> None:
    source = _in_body(
        "now = dt.now()",  # line 9: four import lines, then HEAD's four
        "pick = r.choice(['a', 'b'])",
        "today = d.date.today()",
        "env = environ['OFFER']",
        imports="from datetime import datetime as dt\nimport random as r\n"
        "import datetime as d\nfrom os import environ\n",
    )
    findings = _check(tmp_path, source)
    lines = {f.line: f.message for f in findings}
    assert lines[2].startswith("import random: ")
    assert lines[9].startswith("dt.now (datetime.datetime.now): the wall clock")
    assert lines[10].startswith("r.choice (random.choice): random values")
    assert lines[11].startswith("d.date.today (datetime.date.today)")
    assert lines[12].startswith("environ (os.environ): the environment")


def test_the_authoring_api_and_plain_python_pass(tmp_path: Path) -> None:
    source = _in_body(
        "now = lead.now()",
        "later = workflow.now() + timedelta(days=2)",
        "await lead.wait_business_days(1, at=time(10, 0))",
        "await lead.wait_until(lead.enrolled_at + timedelta(days=7))",
        "variant = await lead.split('offer', {'demo': 1, 'hearing': 1})",
        "key = uuid.uuid5(uuid.NAMESPACE_URL, lead.id)",
        "digest = hashlib.sha256(lead.id.encode()).hexdigest()",
        "for step in sorted({'thanks', 'hearing'}): print(step)",
        "for n in {1, 2, 3}: print(n)",
        "path = PurePosixPath('whitepaper') / 'thanks'",
        "if lead.did('pricing_page_view', within=timedelta(days=3)): await lead.send(variant)",
        imports="import hashlib\nimport uuid\nfrom datetime import time, timedelta\n"
        "from pathlib import PurePosixPath\n\nfrom temporalio import workflow\n",
    )
    assert _check(tmp_path, source, "good.py") == []


def test_a_local_name_shadowing_a_builtin_is_not_the_builtin(tmp_path: Path) -> None:
    source = _in_body("open = lead.did", "hash = str", "print(open('x'), hash(1))")
    assert _check(tmp_path, source) == []


def test_project_modules_a_scenario_imports_are_checked_too(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text("import random\n\n\ndef pick():\n    return 1\n")
    (tmp_path / "clean.py").write_text("X = 1\n")
    _write(tmp_path / "scenarios" / "__init__.py", "")
    _write(tmp_path / "scenarios" / "trial.py", "import helpers\nfrom clean import X\n")
    report = check([tmp_path / "scenarios"])
    assert [(f.path.name, f.line) for f in report.findings] == [("helpers.py", 1)]
    assert sorted(p.name for p in report.files) == ["__init__.py", "trial.py"]
    assert sorted(p.name for p in report.imported) == ["clean.py", "helpers.py"]


def test_a_package_resolves_relative_imports(tmp_path: Path) -> None:
    _write(tmp_path / "pkg" / "__init__.py", "")
    _write(tmp_path / "pkg" / "clock.py", "from datetime import datetime\nNOW = datetime.now()\n")
    report = check([_write(tmp_path / "pkg" / "trial.py", "from .clock import NOW\n")])
    assert [(f.path.name, f.line) for f in report.findings] == [("clock.py", 2)]


def test_a_syntax_error_is_a_finding(tmp_path: Path) -> None:
    [finding] = _check(tmp_path, "async def scenario(lead):\n    await lead.send(\n")
    assert finding.line >= 2


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_modules_under_a_skipped_folder_are_not_read(tmp_path: Path) -> None:
    """Workflow code names its activities, which do I/O by design: the worker's check skips
    them, and only them."""
    _write(tmp_path / "jobs" / "__init__.py", "")
    _write(tmp_path / "jobs" / "send.py", "import smtplib\n")
    _write(tmp_path / "flows" / "__init__.py", "")
    _write(tmp_path / "flows" / "clock.py", "import time\n")
    _write(tmp_path / "flows" / "lead.py", "from jobs.send import X\nfrom flows.clock import Y\n")
    skipping = check([tmp_path / "flows"], skip=[tmp_path / "jobs"])
    assert [(f.path.name, f.line) for f in skipping.findings] == [("clock.py", 1)]
    everything = check([tmp_path / "flows"])
    assert {f.path.name for f in everything.findings} == {"clock.py", "send.py"}
