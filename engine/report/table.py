"""The comparison table's columns, as text, and the terminal view of it (one Rich table).

The same `COLUMNS` make the terminal table and report.md's table, from the typed rows.
The terminal never cuts a cell: a name too wide for its column wraps onto more lines
(Rich's "fold"), so two judges whose names share a long prefix never print alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.table import Table

from engine.report.model import Row
from engine.scoring import CATEGORIES, Accuracy
from engine.stats import Interval

SIGNIFICANT = 0.05  # two-sided level for the `*` marks
# stats.json's provider accounting, as report.md and report.html show it
PROVIDER_COLUMNS = (
    "requests",
    "retries",
    "rate_limited",
    "errors",
    "input_tokens",
    "output_tokens",
    "cost",
)


def usage_line(usage: Mapping[str, Any]) -> str:
    """One sentence on what a whole run cost (the sum over its records)."""
    return (
        "Usage over all the run's records (every process that worked on it): "
        f"{usage.get('calls', 0)} calls, {usage.get('input_tokens', 0)} input and "
        f"{usage.get('output_tokens', 0)} output tokens, ${usage.get('cost', 0.0):.4f}."
    )


def missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def pct(x: float | None) -> str:
    return "–" if missing(x) else f"{x:.1f}"


def frac(x: float | None) -> str:
    return "–" if x is None or missing(x) else f"{100 * x:.1f}%"


def signed(x: float | None) -> str:
    return "–" if x is None or missing(x) else f"{x:+.1f}"


def acc_ci(a: Accuracy | None) -> str:
    """ "66.7 [20.8, 93.9]", or "–" when there is nothing to score."""
    if a is None or a.n == 0:
        return "–"
    return f"{pct(a.accuracy)} [{pct(a.ci_low)}, {pct(a.ci_high)}]"


def diff_ci(d: Interval) -> str:
    """ "+5.2 [-3.1, 13.0]" in percentage points."""
    if missing(d.estimate):
        return "–"
    return f"{signed(d.estimate)} [{signed(d.low)}, {signed(d.high)}]"


def excludes_zero(d: Interval) -> bool:
    return not missing(d.low) and (d.low > 0 or d.high < 0)


def first_position(r: Row) -> str:
    """The first-position share, starred when an exact test says it differs from 50%."""
    o = r.judge.order
    mark = "*" if o.position_biased(SIGNIFICANT) else ""
    return frac(o.first_position) + mark


def self_preference(r: Row, *, interval: bool) -> str:
    """Own-family minus other-family accuracy (points), starred when its interval excludes 0."""
    sp = r.self_preference
    if sp is None:
        return "–"
    mark = "*" if excludes_zero(sp.difference) else ""
    text = diff_ci(sp.difference) if interval else signed(sp.difference.estimate)
    return f"{text}{mark} ({sp.family})"


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    cell: Callable[[Row], str]
    left: bool = False


def _category(c: str) -> Column:
    return Column(c, lambda r: pct(a.accuracy) if (a := r.judge.by_category.get(c)) else "–")


COLUMNS: tuple[Column, ...] = (
    Column("run", lambda r: r.run.name, left=True),
    Column("judge", lambda r: r.judge.name, left=True),
    Column("model", lambda r: r.judge.model or "", left=True),
    Column("pairs", lambda r: str(r.judge.pairs_scored)),
    Column("accuracy [95% CI]", lambda r: acc_ci(r.judge.overall)),
    *(_category(c) for c in CATEGORIES),
    Column("consistent", lambda r: frac(r.judge.order.consistency)),
    Column("1st pos.", first_position),
    Column("ties", lambda r: frac(r.judge.order.tie_rate)),
    Column("no dec.", lambda r: frac(r.judge.order.no_decision_rate)),
    Column("self-pref.", lambda r: self_preference(r, interval=False)),
    Column("errors", lambda r: str(r.judge.call_errors)),
)

LEGEND = (
    "1st pos. *: the share of side-picking decisions for the answer shown first differs "
    "from 50% (exact binomial test, p < 0.05). self-pref.: accuracy on pairs answered by "
    "the judge's own model family minus on the others, in points (* its 95% interval "
    "excludes 0)."
)


def cells(r: Row) -> list[str]:
    """One comparison row as the text of its COLUMNS."""
    return [c.cell(r) for c in COLUMNS]


def terminal_columns(rows: Sequence[Row]) -> tuple[Column, ...]:
    """COLUMNS less the ones that would only repeat: `run` when every row is from one run,
    `model` when every judge's name already holds its model (imported files)."""
    drop = set()
    if len({r.run.name for r in rows}) <= 1:
        drop.add("run")
    if all(r.judge.model and r.judge.model in r.judge.name for r in rows):
        drop.add("model")
    return tuple(c for c in COLUMNS if c.title not in drop)


def rich_table(rows: Sequence[Row], title: str = "JudgeBench accuracy") -> Table:
    t = Table(title=title, caption=LEGEND if rows else None)
    cols = terminal_columns(rows)
    for col in cols:
        # "fold" wraps instead of cutting with an ellipsis, for names and numbers alike.
        t.add_column(col.title, justify="left" if col.left else "right", overflow="fold")
    for r in rows:
        t.add_row(*(c.cell(r) for c in cols))
    return t
