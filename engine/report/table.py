"""The terminal view: one Rich table, a row per run × judge."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rich.table import Table

from engine.scoring import CATEGORIES


def pct(x: float | None) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1f}"


def frac(x: float | None) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def rows(summaries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flat comparison rows (also written to summary.json and report.md)."""
    out = []
    for s in summaries:
        for name, j in s["judges"].items():
            order = j.get("order", {})
            out.append(
                {
                    "run": s["name"],
                    "judge": name,
                    "model": j.get("model"),
                    "pairs": j.get("pairs_scored", 0),
                    "accuracy": j["overall"]["accuracy"],
                    "ci_low": j["overall"]["ci_low"],
                    "ci_high": j["overall"]["ci_high"],
                    **{c: (j["by_category"].get(c) or {}).get("accuracy") for c in CATEGORIES},
                    "consistency": order.get("consistency"),
                    "first_position": order.get("first_position"),
                    "tie_rate": order.get("tie_rate"),
                    "no_decision_rate": order.get("no_decision_rate"),
                    "call_errors": j.get("call_errors", 0),
                }
            )
    return out


# The comparison table's columns, shared by the terminal view and report.md.
COLUMNS: tuple[str, ...] = (
    "run",
    "judge",
    "model",
    "pairs",
    "accuracy [95% CI]",
    *CATEGORIES,
    "consistent",
    "1st pos.",
    "ties",
    "no dec.",
    "errors",
)
_LEFT = {"run", "judge", "model"}


def cells(r: dict[str, Any]) -> list[str]:
    """One comparison row as the text of its COLUMNS."""
    return [
        str(r["run"]),
        str(r["judge"]),
        str(r["model"] or ""),
        str(r["pairs"]),
        f"{pct(r['accuracy'])} [{pct(r['ci_low'])}, {pct(r['ci_high'])}]",
        *(pct(r[c]) for c in CATEGORIES),
        frac(r["consistency"]),
        frac(r["first_position"]),
        frac(r["tie_rate"]),
        frac(r["no_decision_rate"]),
        str(r["call_errors"]),
    ]


def rich_table(table_rows: Sequence[dict[str, Any]], title: str = "JudgeBench accuracy") -> Table:
    t = Table(title=title)
    for col in COLUMNS:
        t.add_column(col, justify="left" if col in _LEFT else "right")
    for r in table_rows:
        t.add_row(*cells(r))
    return t
