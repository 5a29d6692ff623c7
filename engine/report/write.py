"""`write_report`: summary.json, report.md, PNG plots and the Rich table for run folders."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

import engine.report.markdown as markdown
import engine.report.plots as plots
from engine.report.summary import build_summary
from engine.report.table import rich_table, rows

ACCURACY_PNG = "accuracy_by_category.png"
ORDER_PNG = "order_effects.png"


def write_report(
    run_dirs: Sequence[Path], out_dir: Path, console: Console | None = None
) -> dict[str, Any]:
    """Summarise each run, write the report files into `out_dir`, print the table.

    Returns what summary.json holds: `{"generated", "runs": [build_summary(d)...],
    "table": [one row per run × judge]}`.
    """
    summaries = [build_summary(Path(d)) for d in run_dirs]
    return write_summaries(summaries, Path(out_dir), console)


def write_summaries(
    summaries: Sequence[dict[str, Any]], out_dir: Path, console: Console | None = None
) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    table_rows = rows(summaries)
    made = [
        plots.accuracy_plot(summaries, out_dir / ACCURACY_PNG).name,
        plots.order_plot(summaries, out_dir / ORDER_PNG).name,
    ]
    result = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "runs": list(summaries),
        "table": table_rows,
    }
    # NaN (an empty category) is not JSON: orjson writes it as null.
    (out_dir / "summary.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    (out_dir / "report.md").write_text(markdown.render(summaries, table_rows, made), "utf-8")
    if console is not None:
        console.print(rich_table(table_rows))
        console.print(f"report: {out_dir / 'report.md'}")
    return result
