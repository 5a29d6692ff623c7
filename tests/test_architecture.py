"""The import rules of docs/architecture.md hold, and no module imports itself in a circle.

The rules are read from the packages table of docs/architecture.md ("must not import"), so
the page and the code cannot drift apart. Every import in a file counts, at any depth (a
lazy import inside a function is still a dependency); for cycles, imports under
`if TYPE_CHECKING:` do not count (they never run).
"""

from __future__ import annotations

import ast
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OURS = ("engine", "providers", "verifiers", "fakes", "bench")
DOC = REPO / "docs" / "architecture.md"


@dataclass
class Module:
    name: str
    path: Path
    imports: set[str] = field(default_factory=set)  # every module named by an import
    runtime: set[str] = field(default_factory=set)  # ... outside `if TYPE_CHECKING:`


def _name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Module]:
    tracked = subprocess.run(
        ["git", "ls-files", "--", *(f"{p}/*.py" for p in OURS)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    files = [REPO / f for f in tracked if (REPO / f).exists()]
    # Untracked new modules of our packages count too (a change under test may add them).
    files += [p for pkg in OURS for p in (REPO / pkg).rglob("*.py") if p not in files]
    mods = {_name(p): Module(_name(p), p) for p in files if ".venv" not in p.parts}
    for mod in mods.values():
        _read_imports(mod, set(mods))
    return mods


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                hidden.update(id(n) for n in ast.walk(child))
    return hidden


def _read_imports(mod: Module, ours: set[str]) -> None:
    tree = ast.parse(mod.path.read_text(encoding="utf-8"))
    hidden = _type_checking_nodes(tree)
    package = mod.name if mod.path.name == "__init__.py" else mod.name.rpartition(".")[0]
    for node in ast.walk(tree):
        named: set[str] = set()
        if isinstance(node, ast.Import):
            named = {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            # `from P import m` runs P (its __init__) first, and imports P.m if it is a module.
            named = {source} | {f"{source}.{a.name}" for a in node.names} & ours
        else:
            continue
        mod.imports |= named
        if id(node) not in hidden:
            mod.runtime |= named & ours
    mod.runtime.discard(mod.name)


def _rules() -> dict[str, list[str]]:
    """package -> the names it must not import, from the table in docs/architecture.md."""
    rules: dict[str, list[str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not re.fullmatch(r"`[\w.]+`", cells[0]):
            continue
        rules[cells[0].strip("`")] = re.findall(r"`([\w.]+)`", cells[2])
    return rules


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_the_table_states_rules_for_every_top_level_package() -> None:
    rules = _rules()
    assert set(OURS) <= set(rules), "docs/architecture.md lost a package row"
    assert all(rules.values())


def test_no_module_imports_what_its_package_must_not() -> None:
    rules = _rules()
    mods = _modules()
    assert {"engine.run", "providers.base", "verifiers.jsonl", "fakes.server"} <= set(mods)
    broken = []
    for mod in mods.values():
        for package, banned in rules.items():
            if not _under(mod.name, package):
                continue
            for imported in sorted(mod.imports):
                hit = next((b for b in banned if _under(imported, b)), None)
                if hit is not None:
                    broken.append(
                        f"{mod.name} imports {imported} ({package} must not import {hit})"
                    )
    assert not broken, "\n".join(broken)


def test_no_import_cycles() -> None:
    mods = _modules()
    graph = {name: sorted(m.runtime & set(mods)) for name, m in mods.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_the_rules_would_catch_a_violation(tmp_path: Path) -> None:
    """The walker sees lazy and relative imports (a check that cannot fail checks nothing)."""
    mod = Module("providers.example", tmp_path / "example.py")
    mod.path.write_text(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "def f() -> None:\n"
        "    from engine.run import run_job\n"
        "if TYPE_CHECKING:\n"
        "    from .base import Provider\n"
    )
    _read_imports(mod, {"engine.run", "providers.base"})
    assert "engine.run" in mod.imports and "engine.run" in mod.runtime
    assert "providers.base" in mod.imports and "providers.base" not in mod.runtime
    assert any(_under("engine.run", b) for b in _rules()["providers"])


def test_nothing_points_at_a_design_file_outside_the_repository() -> None:
    design = "DESIGN" + ".md"  # spelled in two parts so this file does not match itself
    found = subprocess.run(
        ["git", "grep", "-n", "-I", design], cwd=REPO, capture_output=True, text=True
    ).stdout
    assert found == "", f"docs/architecture.md is the project's own design page:\n{found}"
