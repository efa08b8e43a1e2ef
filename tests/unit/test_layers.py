"""Imports go one way: entry points → orchestration → workflows → activities → scenarios → core.

A module may import its own layer or any layer below it, never one above, so no two
top-level parts import each other. `nurture/` holds three layers: the CLI and dev stack at
the top, orchestration (driving workflows from outside) in the middle, and the core
(settings, data access, rules, models, the authoring API) at the bottom. Scenarios are
configuration: they import only the public authoring API, `nurture.authoring`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PARTS = ("worker.py", "api", "workflows", "activities", "scenarios", "nurture")

# Highest first; a part may import parts of a lower rank or its own.
RANKS = {
    "nurture.cli": 5,  # the launcher: starts the API and the worker
    "nurture.__main__": 6,  # `python -m nurture`
    "api": 4,
    "worker": 4,
    "nurture.orchestration": 3,
    "workflows": 2.5,  # a workflow names its activities; an activity never names a workflow
    "activities": 2,
    "scenarios": 1,
    "nurture": 0,  # data: settings, database, tables, repo, mail
    # Pure: what workflow code imports through the sandbox must not pull in the database.
    "nurture.authoring": -1,  # the scenario API, over the rules and the models
    "nurture.rules": -2,
    "nurture.models": -3,
    "nurture.search_attributes": -3,
}


@dataclass(frozen=True)
class Import:
    source: str  # module importing
    target: str  # module imported
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def part_of(module: str) -> str | None:
    """The layer a project module belongs to, or None for one outside the project."""
    for part in sorted(RANKS, key=len, reverse=True):
        if module == part or module.startswith(part + "."):
            return part
    return None


def project_files() -> list[Path]:
    files: list[Path] = []
    for part in PARTS:
        path = ROOT / part
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return [f for f in files if "migrations" not in f.parts]


def imports_of(path: Path) -> list[Import]:
    source = module_name(path)
    package = source if path.name == "__init__.py" else source.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(source, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append(Import(source, target, node.lineno))
            # `from nurture import settings` names a module, whose layer is its own.
            found += [
                Import(source, f"{target}.{alias.name}", node.lineno)
                for alias in node.names
                if (ROOT / target.replace(".", "/") / f"{alias.name}.py").exists()
                or (ROOT / target.replace(".", "/") / alias.name / "__init__.py").exists()
            ]
    return found


def upward(imports: list[Import]) -> list[str]:
    wrong = []
    for imp in imports:
        here, there = part_of(imp.source), part_of(imp.target)
        if here is None or there is None or here == there:
            continue
        if RANKS[there] >= RANKS[here]:
            wrong.append(f"{imp.source}:{imp.line} ({here}) imports {imp.target} ({there})")
    return wrong


def test_every_import_goes_down_a_layer() -> None:
    imports = [i for f in project_files() for i in imports_of(f)]
    assert len(imports) > 300  # the walk really read the project
    assert upward(imports) == []


def test_scenarios_import_only_the_authoring_api() -> None:
    wrong = [
        f"{i.source}:{i.line} imports {i.target}"
        for f in (ROOT / "scenarios").rglob("*.py")
        for i in imports_of(f)
        if part_of(i.target) is not None
        and not i.target.startswith(("scenarios", "nurture.authoring"))
    ]
    assert wrong == []


def test_the_check_sees_an_upward_import() -> None:
    """The check catches the cycles this layout removed: the API schemas, the handoff class."""
    assert upward([Import("nurture.cli.replay", "worker", 1)]) == []
    assert upward([Import("nurture.orchestration.intake", "api.schemas", 3)]) == [
        "nurture.orchestration.intake:3 (nurture.orchestration) imports api.schemas (api)"
    ]
    assert upward([Import("activities.handoff_lookup", "workflows.handoff", 5)]) != []
    assert upward([Import("nurture.rules.sla_model", "scenarios.sla", 9)]) != []
