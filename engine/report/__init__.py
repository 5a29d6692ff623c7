"""The report: summaries of run folders, report.md, summary.json, PNG plots, Rich table,
and the import of published JudgeBench judge outputs."""

from engine.report.build import build_report
from engine.report.published import import_published
from engine.report.summary import build_summary
from engine.report.write import write_report

__all__ = ["build_report", "build_summary", "import_published", "write_report"]
