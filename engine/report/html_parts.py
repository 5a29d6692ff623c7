"""Escaped HTML pieces for report.html's tables: cells carry a sort key and a link.

Every text that comes from a run goes through `h()` (HTML-escaped, quotes included);
every link points into the page's own pair browser (`#pairs?...`), never elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any
from urllib.parse import urlencode

from engine.report.table import excludes_zero, frac, missing, pct, signed
from engine.scoring import Accuracy
from engine.stats import Interval, wilson


def h(x: Any) -> str:
    return escape(str(x), quote=True)


def href(**params: Any) -> str:
    """A link into the pair browser with these filters (None and "" are left out)."""
    query = urlencode({k: v for k, v in params.items() if v is not None and v != ""})
    return h(f"#pairs?{query}" if query else "#pairs")


def link(inner_html: str, **params: Any) -> str:
    return f'<a href="{href(**params)}">{inner_html}</a>'


def td(inner_html: str, sort: float | int | str | None = None, cls: str = "") -> str:
    """A cell; `sort` is what the column sorts by (numbers numerically, blanks last)."""
    if isinstance(sort, str):
        key = sort
    elif sort is None or missing(float(sort)):
        key = ""
    else:
        key = f"{float(sort):.6g}"
    attrs = (f' data-v="{h(key)}"' if key != "" else "") + (f' class="{cls}"' if cls else "")
    return f"<td{attrs}>{inner_html}</td>"


def table(cols: Sequence[str], rows: Sequence[str], cls: str = "sortable") -> str:
    head = "".join(f"<th>{h(c)}</th>" for c in cols)
    body = "".join(f"<tr>{r}</tr>" for r in rows)
    return (
        f'<div class="scroll"><table class="{cls}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def small(text: str) -> str:
    return f" <small>{h(text)}</small>"


def acc_cell(a: Accuracy | None, **params: Any) -> str:
    """'58.4 [53.2, 63.5] n=350', linked to the pairs behind it."""
    if a is None or a.n == 0:
        return td("–")
    inner = h(pct(a.accuracy)) + small(f"[{pct(a.ci_low)}, {pct(a.ci_high)}] n={a.n}")
    return td(link(inner, **params), a.accuracy)


def share_cell(k: int, n: int, mark: str = "", **params: Any) -> str:
    """k/n as a percentage with its Wilson interval, linked."""
    if n == 0:
        return td("–")
    w = wilson(k, n)
    inner = h(frac(w.estimate) + mark) + small(f"[{frac(w.low)}, {frac(w.high)}]")
    return td(link(inner, **params), w.estimate)


def diff_cell(d: Interval | None, **params: Any) -> str:
    """A difference in points with its interval; starred when the interval excludes 0."""
    if d is None or missing(d.estimate):
        return td("–")
    star = "*" if excludes_zero(d) else ""
    inner = h(signed(d.estimate) + star) + small(f"[{signed(d.low)}, {signed(d.high)}]")
    return td(link(inner, **params), d.estimate)


def p_value(p: float) -> str:
    """'0.031', '<0.0001', or '–' (escaped)."""
    if missing(p):
        return "–"
    return f"{p:.3g}" if p >= 1e-4 else "&lt;0.0001"
