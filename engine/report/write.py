"""`write_report`: summary.json, report.md, report.html, plots and the Rich table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

import engine.report.html as html
import engine.report.markdown as markdown
from engine.report.build import report_of
from engine.report.model import Report
from engine.report.plots import write_plots
from engine.report.summary import build_summary
from engine.report.table import rich_table
from engine.report.viewer import TEXT_BUDGET, Scan, viewer_data


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
    scan = Scan(run_dirs, text_budget)  # judgments.jsonl is read once, here
    summaries = [build_summary(d, t) for d, t in zip(scan.dirs, scan.tallies, strict=True)]
    report = report_of(summaries)
    return write_views(report, Path(out_dir), console, data=scan.data(report))


def write_views(
    report: Report,
    out_dir: Path,
    console: Console | None = None,
    *,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every view of a built report; `data` is the viewer's (read again when not given)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = write_plots(report, out_dir)
    result = report.as_dict()
    # NaN (an empty category) is not JSON: orjson writes it as null.
    (out_dir / "summary.json").write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    (out_dir / "report.md").write_text(markdown.render(report, [p.png for p in plots]), "utf-8")
    page = html.render(report, plots, data if data is not None else viewer_data(report))
    (out_dir / "report.html").write_text(page, "utf-8")
    if console is not None:
        console.print(rich_table(report.rows))
        console.print(
            f"report: {out_dir / 'report.md'} and {out_dir / 'report.html'}", markup=False
        )
    return result
