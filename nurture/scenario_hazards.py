"""What scenario code must not touch, and why: the table `nurture check` applies.

Each entry names a way code inside a lead's workflow can behave differently when its
history replays (another worker, a deploy, a resumed lead) and what the authoring API
(`nurture/authoring/runtime.py`, the `Lead`) offers instead. Add a module or a name here when a
new way to reach the outside world turns up.
"""

from __future__ import annotations

from enum import Enum


class Kind(Enum):
    """Why a use breaks replay, and what a scenario does instead."""

    CLOCK = (
        "the wall clock differs on every replay",
        "use lead.now() (workflow time, recorded) or lead.enrolled_at",
    )
    SLEEP = (
        "a sleep outside the lead's journal is slept again by a resumed lead, and does not "
        "end when the lead qualifies",
        "use await lead.wait(days=...) or await lead.wait_until(when)",
    )
    RANDOM = (
        "random values differ on replay, so the lead takes another path",
        "use await lead.split(name, variants) (stable per lead), or branch on what the lead did",
    )
    UUID = (
        "a new ID on every replay",
        "derive it from lead.id (uuid.uuid5(namespace, lead.id) is stable)",
    )
    IO = (
        "I/O is repeated on replay and may answer differently",
        "a scenario only sends (await lead.send(step)) and reads the lead "
        "(lead.attributes, lead.events()); do other I/O in an activity",
    )
    ENV = (
        "the environment differs between workers and deploys",
        "write the value in the scenario module, or read it from lead.attributes",
    )
    THREAD = (
        "threads run off the workflow's event loop, where nothing is replayed",
        "await the lead's calls one after another",
    )
    HASH = (
        "hash() of text is salted per process, so workers disagree",
        "use await lead.split(name, variants), or hashlib for a stable digest",
    )
    SET_ORDER = (
        "a set's order of text differs between worker processes",
        "iterate a list or a tuple, or sorted(...)",
    )

    @property
    def why(self) -> str:
        return str(self.value[0])

    @property
    def instead(self) -> str:
        return str(self.value[1])


# Modules a scenario must not import at all (a name, or a package and all below it).
MODULES: dict[str, Kind] = {
    "time": Kind.CLOCK,
    "random": Kind.RANDOM,
    "secrets": Kind.RANDOM,
    "threading": Kind.THREAD,
    "_thread": Kind.THREAD,
    "concurrent": Kind.THREAD,
    "multiprocessing": Kind.THREAD,
    "sched": Kind.THREAD,
    **dict.fromkeys(
        (
            "socket",
            "ssl",
            "select",
            "selectors",
            "subprocess",
            "shutil",
            "tempfile",
            "glob",
            "fileinput",
            "sqlite3",
            "http.client",
            "http.server",
            "urllib.request",  # urllib.parse is string handling, pure
            "urllib3",
            "requests",
            "httpx",
            "aiohttp",
            "smtplib",
            "aiosmtplib",
            "ftplib",
            "sqlalchemy",
            "sqlmodel",
            "psycopg",
            "psycopg2",
        ),
        Kind.IO,
    ),
}

# Names a scenario must not use, however it imported them (as resolved, not as written).
NAMES: dict[str, Kind] = {
    "datetime.datetime.now": Kind.CLOCK,
    "datetime.datetime.utcnow": Kind.CLOCK,
    "datetime.datetime.today": Kind.CLOCK,
    "datetime.date.today": Kind.CLOCK,
    "time.sleep": Kind.SLEEP,
    "asyncio.sleep": Kind.SLEEP,
    "uuid.uuid1": Kind.UUID,
    "uuid.uuid4": Kind.UUID,
    "os.urandom": Kind.RANDOM,
    "os.getrandom": Kind.RANDOM,
    "builtins.hash": Kind.HASH,
    "asyncio.to_thread": Kind.THREAD,
    **dict.fromkeys(
        ("os.environ", "os.environb", "os.getenv", "os.getenvb", "os.putenv", "os.unsetenv"),
        Kind.ENV,
    ),
    **dict.fromkeys(
        (
            "builtins.open",
            "builtins.input",
            "io.open",
            "os.open",
            "os.read",
            "os.write",
            "os.system",
            "os.popen",
            "os.fork",
            "os.listdir",
            "os.scandir",
            "os.walk",
            "os.stat",
            "os.remove",
            "os.unlink",
            "os.mkdir",
            "os.makedirs",
            "os.rename",
            "os.replace",
            "os.rmdir",
            "os.getcwd",
            "os.getpid",
            "os.path.exists",
            "os.path.isfile",
            "os.path.isdir",
            "os.path.getsize",
            "os.path.getmtime",
            "asyncio.open_connection",
            "asyncio.start_server",
            "asyncio.create_subprocess_exec",
            "asyncio.create_subprocess_shell",
        ),
        Kind.IO,
    ),
}
OS_PREFIXES = {"os.spawn": Kind.IO, "os.exec": Kind.IO}
BUILTINS = frozenset({"open", "input", "hash", "set", "frozenset"})
# pathlib: a Path is plain data until one of these touches the disk.
PATH_IO = frozenset(
    {
        "read_text",
        "read_bytes",
        "write_text",
        "write_bytes",
        "open",
        "exists",
        "is_file",
        "is_dir",
        "iterdir",
        "glob",
        "rglob",
        "walk",
        "stat",
        "lstat",
        "touch",
        "mkdir",
        "unlink",
        "rmdir",
        "rename",
        "replace",
        "resolve",
        "home",
        "cwd",
        "expanduser",
        "samefile",
        "readlink",
        "chmod",
        "owner",
        "group",
        "symlink_to",
        "hardlink_to",
    }
)
# Methods that are I/O or threads whatever their receiver turns out to be.
ANY_RECEIVER = {
    **dict.fromkeys(("read_text", "read_bytes", "write_text", "write_bytes"), Kind.IO),
    "run_in_executor": Kind.THREAD,
}


def name_kind(qualified: str) -> Kind | None:
    """Why `qualified` (a resolved dotted name, e.g. `datetime.datetime.now`) is off limits."""
    if qualified in NAMES:
        return NAMES[qualified]
    for prefix, kind in OS_PREFIXES.items():
        if qualified.startswith(prefix):
            return kind
    head, _, last = qualified.rpartition(".")
    if head.split(".")[0] == "pathlib" and last in PATH_IO:
        return Kind.IO
    return module_kind(head) if head else None  # a member of a module off limits as a whole


def module_kind(name: str) -> Kind | None:
    """Why importing module `name` is off limits (None: it is not)."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        kind = MODULES.get(".".join(parts[:n]))
        if kind is not None:
            return kind
    return None
