"""A static check that scenario code stays deterministic, for `nurture check` and `make test`.

Scenario modules reach the lead workflow through `workflow.unsafe.imports_passed_through()`,
so the sandbox never sees what they call: a `datetime.now()` there passes every test and
breaks the lead later, when its history replays on another worker or after a deploy. This
reads the scenarios' syntax trees (and the project modules they import) and names every use
of the wall clock, randomness, I/O, the environment or threads, with what to use instead.
Nothing is imported or run: the check needs no Temporal and sees code no test reaches.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from nurture.scenario_hazards import ANY_RECEIVER, BUILTINS, Kind, module_kind, name_kind


@dataclass(frozen=True)
class Finding:
    """One use of something non-deterministic, where it is and what to use instead."""

    path: Path
    line: int
    col: int  # 1-based, as editors count
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"

    def relative_to(self, base: Path) -> Finding:
        """The same finding with its path relative to `base`, when it is below it."""
        return (
            replace(self, path=self.path.relative_to(base))
            if self.path.is_relative_to(base)
            else self
        )


@dataclass(frozen=True)
class Report:
    """What a check found, and every file it read to find it."""

    findings: list[Finding]
    files: list[Path]  # the scenario files asked for
    imported: list[Path]  # the project modules they import, checked too

    @property
    def ok(self) -> bool:
        return not self.findings


def check(paths: Iterable[Path], *, skip: Iterable[Path] = ()) -> Report:
    """Check the scenario files (or folders of them) in `paths`, and the modules of the same
    project that they import, transitively (the project's root is the folder above the
    outermost package holding the files); imported modules under a folder in `skip` are
    not read."""
    skipped = [s.resolve() for s in skip]
    asked = [p.resolve() for path in paths for p in _python_files(path)]
    queue = list(asked)
    seen: set[Path] = set()
    findings: list[Finding] = []
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as err:  # the worker could not import it either
            findings.append(Finding(path, err.lineno or 0, err.offset or 0, f"{err.msg}"))
            continue
        root, package = _root_and_package(path)
        findings += check_tree(tree, path, package)
        queue += [
            m
            for m in _project_imports(tree, root, package)
            if m not in seen and not any(m.is_relative_to(s) for s in skipped)
        ]
    imported = sorted(seen.difference(asked))
    return Report(findings=findings, files=sorted(set(asked)), imported=imported)


def scenarios_folder() -> Path:
    """The project's `scenarios/` package, found without importing it."""
    return _package_folder("scenarios")


def check_workflow_code() -> Report:
    """The check a worker without the SDK's sandbox runs before it starts: the scenarios and
    the workflow modules (`workflows/`), and what they import, but not the activities they
    name (activities do I/O by design; workflow code only schedules them)."""
    return check(
        [scenarios_folder(), _package_folder("workflows")], skip=[_package_folder("activities")]
    )


def _package_folder(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"the {name} package is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def check_tree(tree: ast.Module, path: Path, package: str = "") -> list[Finding]:
    """The findings in one module; `package` resolves its relative imports."""
    names = _bindings(tree, package)
    rebound = _bound_names(tree)
    found: dict[tuple[int, int], tuple[str, Finding]] = {}

    def report(node: ast.AST, kind: Kind, what: str, qualified: str = "") -> None:
        line, col = getattr(node, "lineno", 0), getattr(node, "col_offset", -1) + 1
        message = f"{what}: {kind.why}; {kind.instead}"
        # One finding per place: `random.Random(1).choice` is one use, named most simply.
        earlier = found.get((line, col))
        if earlier is None or len(qualified) < len(earlier[0]):
            found[(line, col)] = (qualified, Finding(path, line, col, message))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for imported in _imported_modules(node, package):
                kind = module_kind(imported)
                if kind is not None:
                    report(node, kind, f"import {imported}")
        elif isinstance(node, ast.Name | ast.Attribute) and isinstance(node.ctx, ast.Load):
            qualified = _qualname(node, names, rebound)
            kind = name_kind(qualified) if qualified else None
            if kind is None and isinstance(node, ast.Attribute):
                kind = ANY_RECEIVER.get(node.attr)
            if kind is not None:
                shown = ast.unparse(node)
                plain = not qualified or qualified in (shown, f"builtins.{shown}")
                what = shown if plain else f"{shown} ({qualified})"
                report(node, kind, what, qualified or shown)
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension) and _is_text_set(
            node.iter, rebound
        ):
            report(node.iter, Kind.SET_ORDER, f"for ... in {_short(node.iter)}")
    return sorted((finding for _, finding in found.values()), key=_order)


# --- names -------------------------------------------------------------------------


def _bindings(tree: ast.Module, package: str) -> dict[str, str]:
    """Local name -> what it stands for, from every import in the module (any scope)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom):
            base = _from_module(node, package)
            for alias in node.names:
                if alias.name != "*":
                    names[alias.asname or alias.name] = f"{base}.{alias.name}"
    # A name assigned a pathlib value (`p = Path(...)`) is a path too.
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            value = _qualname(node.value, names, frozenset())
            if isinstance(target, ast.Name) and value and value.startswith("pathlib."):
                names[target.id] = "pathlib.Path"
    return names


def _bound_names(tree: ast.Module) -> frozenset[str]:
    """Names the module binds itself, so `open` or `hash` may not be the builtins."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return frozenset(bound)


def _qualname(node: ast.expr, names: dict[str, str], rebound: frozenset[str]) -> str | None:
    """`dt.now` -> `datetime.datetime.now`; calls are looked through (`Path(x).read_text`)."""
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        return f"builtins.{node.id}" if node.id in BUILTINS and node.id not in rebound else None
    if isinstance(node, ast.Attribute):
        base = _qualname(node.value, names, rebound)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, ast.Call):
        return _qualname(node.func, names, rebound)
    return None


def _is_text_set(node: ast.expr, rebound: frozenset[str]) -> bool:
    """A set literal, comprehension or set()/frozenset() call, unless it holds only ints
    (whose hashes, and so order, are the same in every process)."""
    if isinstance(node, ast.Set):
        return not all(isinstance(e, ast.Constant) and type(e.value) is int for e in node.elts)
    if isinstance(node, ast.SetComp):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("set", "frozenset")
        and node.func.id not in rebound
    )


def _short(node: ast.expr) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 40 else text[:37] + "..."


# --- files and imports -------------------------------------------------------------


def _python_files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        yield from sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)
    else:
        yield path


def _root_and_package(path: Path) -> tuple[Path, str]:
    """The folder imports start from, and the dotted name of the file's package under it."""
    parts: list[str] = []
    folder = path.parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    return folder, ".".join(parts)


def _from_module(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".") if package else []
    parts = parts[: len(parts) - node.level + 1]
    return ".".join([*parts, *([node.module] if node.module else [])])


def _imported_modules(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = _from_module(node, package)
    if module_kind(base) is not None:
        return [base]
    return [f"{base}.{alias.name}" for alias in node.names]  # `from http import client`


def _project_imports(tree: ast.Module, root: Path, package: str) -> list[Path]:
    """Files of this project that the module imports (and the packages around them)."""
    wanted: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            wanted.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _from_module(node, package)
            wanted.add(base)
            wanted.update(f"{base}.{alias.name}" for alias in node.names)
    files: list[Path] = []
    for name in sorted(wanted):
        parts = name.split(".")
        for n in range(1, len(parts) + 1):
            stem = root.joinpath(*parts[:n])
            for candidate in (stem / "__init__.py", stem.with_suffix(".py")):
                if candidate.is_file():
                    files.append(candidate.resolve())
    return files


def _order(finding: Finding) -> tuple[str, int, int]:
    return (str(finding.path), finding.line, finding.col)
