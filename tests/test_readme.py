"""The README's set-up: exactly two commands, and CI runs the second one verbatim."""

from __future__ import annotations

import re

from tests.conftest import REPO


def _bash_blocks() -> list[str]:
    text = (REPO / "README.md").read_text()
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", setup, re.S)]


def test_readme_has_two_setup_commands_and_ci_runs_the_test_one() -> None:
    blocks = _bash_blocks()
    assert len(blocks) == 2 and all("\n" not in b for b in blocks)
    demo, tests = blocks
    assert demo.endswith("python -m engine run jobs/demo.yaml")
    assert tests.endswith("python -m pytest -q")
    ci = (REPO / ".ci" / "run").read_text()
    assert tests in ci.splitlines()


def test_ci_checks_lint_format_and_types_before_the_tests() -> None:
    lines = (REPO / ".ci" / "run").read_text().splitlines()
    tests = lines.index(_bash_blocks()[1])
    for gate in (".venv/bin/ruff check .", ".venv/bin/ruff format --check .", ".venv/bin/mypy"):
        assert gate in lines[:tests], f"{gate} must run before the tests"


def test_readme_lists_every_exit_code() -> None:
    from engine.exitcodes import ExitCode

    text = (REPO / "README.md").read_text()
    line = next(p for p in text.split("\n\n") if p.startswith("**Exit codes.**"))
    listed = [int(n) for n in re.findall(r"(?:^|; |\*\* )(\d+) ", line.replace("\n", " "))]
    assert listed == [int(c) for c in ExitCode]
