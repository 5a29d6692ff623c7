"""`write_report`: summary.json, report.md, report.html, plots and the Rich table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from engine.report import html, markdown
from engine.report.build import build_report
from engine.report.model import Report
from engine.report.plots import write_plots
from engine.report.table import rich_table
from engine.report.viewer import TEXT_BUDGET, viewer_data


def write_report(
    run_dirs: Sequence[Path],
    out_dir: Path,
    console: Console | None = None,
    *,
    text_budget: int = TEXT_BUDGET,
) -> dict[str, Any]:
    """Summarise each run, write the report files into `out_dir`, print the table.

    Returns what summary.json holds: `{"generated", "runs": [one summary per run],
    "table": [one row per run × judge], "comparisons": [judge against judge]}`.
    """
    report = build_report([Path(d) for d in run_dirs])
    return write_views(report, Path(out_dir), console, text_budget=text_budget)


def write_views(
    report: Report,
    out_dir: Path,
    console: Console | None = None,
    *,
    text_budget: int = TEXT_BUDGET,
) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = write_plots(report, out_dir)
    result = report.as_dict()
    # NaN (an empty category) is not JSON: orjson writes it as null.
    (out_dir / "summary.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    (out_dir / "report.md").write_text(markdown.render(report, [p.png for p in plots]), "utf-8")
    page = html.render(report, plots, viewer_data(report, text_budget))
    (out_dir / "report.html").write_text(page, "utf-8")
    if console is not None:
        console.print(rich_table(report.rows))
        console.print(f"report: {out_dir / 'report.md'} and {out_dir / 'report.html'}")
    return result
