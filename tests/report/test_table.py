"""The terminal table never cuts a name into a duplicate: long names wrap, whole."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from engine.report.table import COLUMNS, cells, rich_table, terminal_columns
from tests.report.factories import LONG_NAMES, report


def _column_text(text: str, col: int) -> str:
    """The body cells of one column, joined in order across wrapped lines."""
    out = []
    for line in text.splitlines():
        if line.startswith("│"):
            out.append(line.split("│")[1 + col].strip())
    return "".join(out)


@pytest.mark.parametrize("width", [60, 100, 160])
def test_long_similar_names_print_whole_at_any_width(width: int) -> None:
    rows = report(len(LONG_NAMES)).rows
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None).print(rich_table(rows))
    text = buf.getvalue()
    assert "…" not in text  # nothing cut with an ellipsis
    judges = _column_text(text, 0)
    for name in LONG_NAMES:
        assert judges.count(name) == 1, (name, judges)
    # the two Skywork judges of the issue can be told apart
    assert "Skywork/Skywork-Critic-Llama-3.1-70B" in judges
    assert "Skywork/Skywork-Critic-Llama-3.1-8B" in judges


def test_terminal_drops_only_columns_that_repeat() -> None:
    rows = report(3).rows  # one run; each judge's model is its name
    titles = [c.title for c in terminal_columns(rows)]
    assert "run" not in titles and "model" not in titles
    assert titles[0] == "judge" and len(titles) == len(COLUMNS) - 2
    # report.md keeps every column
    assert len(cells(rows[0])) == len(COLUMNS)
