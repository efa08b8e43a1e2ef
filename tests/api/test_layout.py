"""The API's shape holds: one session owner, SQL only in the repositories, one way an event
is built and delivered, one home for schemas and for authentication.

A reader finds each thing in one place only if it stays there; these checks fail naming the
file and line that strays, as tests/unit/test_layers.py does for imports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

API = Path(__file__).resolve().parents[2] / "api"


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(API.rglob("*.py")):
        yield str(path.relative_to(API.parent)), ast.parse(path.read_text(), str(path))


def _calls(tree: ast.Module, names: set[str]) -> list[int]:
    """Lines calling any of `names` (as `name(...)` or `module.name(...)`)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in names:
                found.append(node.lineno)
    return found


def _strays(names: set[str], allowed: set[str]) -> list[str]:
    return [
        f"{path}:{line}"
        for path, tree in _modules()
        if path not in allowed
        for line in _calls(tree, names)
    ]


def test_only_the_database_helper_opens_sessions() -> None:
    opened = {"Session", "session_scope", "run_in_threadpool", "make_engine"}
    assert _strays(opened, {"api/database.py", "api/main.py"}) == []


def test_no_sql_outside_the_repositories() -> None:
    """Outside nurture/repo a session is only a type: no query builders, no raw SQL."""
    strays = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                strays += [f"{path}:{node.lineno}" for a in node.names if a.name == "sqlalchemy"]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sql"):
                names = {a.name for a in node.names}
                if names - {"Session", "Engine", "exc"}:
                    strays.append(f"{path}:{node.lineno} {sorted(names)}")
    assert strays == []


def test_one_function_builds_behaviour_events() -> None:
    assert _strays({"BehaviourEvent"}, {"api/services/events.py"}) == []


def test_request_and_response_models_live_in_the_schemas_package() -> None:
    strays = []
    for path, tree in _modules():
        if path.startswith("api/schemas/"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if "BaseModel" in bases:
                    strays.append(f"{path}:{node.lineno} {node.name}")
    assert strays == []


def test_credentials_are_read_only_by_the_auth_module() -> None:
    strays = [
        f"{path}:{node.lineno}"
        for path, tree in _modules()
        if path != "api/auth.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in ("Authorization", "X-Signature")
    ]
    assert strays == []
