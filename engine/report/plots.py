"""Plots that stay readable from 1 to dozens of judges: horizontal small multiples.

Each plot has one row per judge (its full name on the left, wrapped, never shortened) and
one panel per measure (categories, or order effects); every row shows the estimate as a
marker with its 95% interval and the value written in a column of its own at the right of
the panel, so no label can land on a bar, a whisker or another label. The figure grows
with the number of judges instead of squeezing them. Each judge keeps one colour and
marker across plots: 8 Okabe–Ito colours (safe for the common colour-vision deficiencies)
times 8 marker shapes give 64 distinct styles, then hollow markers 64 more; rows are
labelled, so the style is a help to the eye, not the only key.

Every figure is written as PNG and as SVG (the HTML report embeds the SVG).
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from engine.report.model import Report, Row
from engine.report.table import SIGNIFICANT
from engine.scoring import CATEGORIES, Accuracy
from engine.stats import Interval, wilson

OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow (markers get a dark edge so it shows on white)
    "#000000",  # black
)
MARKERS: tuple[str, ...] = ("o", "s", "D", "^", "v", "P", "X", "*")
LABEL_WIDTH = 34  # characters per line of a judge's name before it wraps
X_MAX = 128.0  # panels run 0-100; 100-128 is the column for the written values
_LINE_IN = 0.155  # height of one line of a row label, inches (8.5 pt text)
_PANEL_IN = 2.1
_GAP_IN = 0.3


@dataclass(frozen=True, slots=True)
class Style:
    colour: str
    marker: str
    filled: bool


def style(i: int) -> Style:
    """The i-th judge's style: distinct for the first 128 judges."""
    return Style(
        OKABE_ITO[i % len(OKABE_ITO)],
        MARKERS[(i // len(OKABE_ITO)) % len(MARKERS)],
        (i // (len(OKABE_ITO) * len(MARKERS))) % 2 == 0,
    )


@dataclass(frozen=True, slots=True)
class Panel:
    """One measure across the rows, in percent; None where a row has no value."""

    title: str
    values: Sequence[Interval | None]
    texts: Sequence[str]
    reference: float | None = 50.0


def _wrap(label: str) -> str:
    # Break at separators as well as spaces: judge names are often one long token.
    spaced = label.replace("/", "/\u200b").replace("_", "_\u200b").replace(",", ",\u200b")
    lines = textwrap.wrap(spaced, LABEL_WIDTH, break_long_words=True, break_on_hyphens=True)
    return "\n".join(line.replace("\u200b", "") for line in lines) or label


def _width_in(text: str, fontsize: float) -> float:
    """The rendered width of a (multi-line) text in inches, measured by the Agg renderer."""
    fig = Figure()
    renderer = FigureCanvasAgg(fig).get_renderer()  # type: ignore[no-untyped-call]
    box = fig.text(0, 0, text, fontsize=fontsize).get_window_extent(renderer)
    return float(box.width) / fig.dpi


def small_multiples(labels: Sequence[str], panels: Sequence[Panel], title: str) -> Figure:
    """One row per label, one panel per measure; sizes follow the content, in inches."""
    wrapped = [_wrap(lab) for lab in labels] or [""]
    heights = [max(0.32, _LINE_IN * (w.count("\n") + 1) + 0.12) for w in wrapped]
    centres = [sum(heights[:i]) + h / 2 for i, h in enumerate(heights)]
    total = sum(heights)
    top, bottom = 0.85, 0.45
    left = 0.25 + max(_width_in(w, 8.5) for w in wrapped)
    width = max(6.5, left + len(panels) * (_PANEL_IN + _GAP_IN) + 0.2)
    fig = plt.figure(figsize=(width, top + total + bottom))
    fig.suptitle(title, fontsize=11, y=1 - 0.18 / (top + total + bottom), va="top")
    for k, panel in enumerate(panels):
        x0 = left + k * (_PANEL_IN + _GAP_IN)
        h = top + total + bottom
        ax = fig.add_axes((x0 / width, bottom / h, _PANEL_IN / width, total / h))
        _panel(ax, panel, centres, heights, total)
        ax.set_yticks(centres, wrapped if k == 0 else [""] * len(centres), fontsize=8.5)
        if k:
            ax.tick_params(axis="y", length=0)
    return fig


def _panel(
    ax: Axes,
    panel: Panel,
    centres: Sequence[float],
    heights: Sequence[float],
    total: float,
) -> None:
    ax.set_xlim(0, X_MAX)
    ax.set_ylim(total, 0)
    for i, (c, h) in enumerate(zip(centres, heights, strict=True)):
        if i % 2:  # banding guides the eye along a row across the panels
            ax.axhspan(c - h / 2, c + h / 2, color="#f2f2f2", zorder=0, linewidth=0)
    if panel.reference is not None:
        ax.axvline(panel.reference, color="grey", linestyle=":", linewidth=1, zorder=1)
    ax.axvline(100, color="#cccccc", linewidth=0.8, zorder=1)
    for i, (iv, text, c) in enumerate(zip(panel.values, panel.texts, centres, strict=True)):
        st = style(i)
        if iv is not None and not math.isnan(iv.estimate):
            ax.plot([iv.low, iv.high], [c, c], color=st.colour, linewidth=1.6, zorder=2)
            ax.plot(
                [iv.estimate],
                [c],
                marker=st.marker,
                markersize=6,
                color=st.colour,
                markerfacecolor=st.colour if st.filled else "white",
                markeredgecolor="#333333",
                markeredgewidth=0.6,
                linestyle="none",
                zorder=3,
            )
        ax.text(X_MAX - 2, c, text, ha="right", va="center", fontsize=8)
    ax.set_xticks([0, 50, 100], ["0", "50", "100"], fontsize=8)
    ax.set_title(panel.title, fontsize=9.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_bounds(0, 100)  # the value column is not on the scale


def _acc_interval(a: Accuracy | None) -> Interval | None:
    return None if a is None or a.n == 0 else Interval(a.accuracy, a.ci_low, a.ci_high)


def _text(x: float | None, mark: str = "") -> str:
    return "–" if x is None or math.isnan(x) else f"{x:.0f}{mark}"


def accuracy_figure(rows: Sequence[Row]) -> Figure:
    present = {c for r in rows for c in r.judge.by_category}
    groups = [c for c in CATEGORIES if c in present] + sorted(present - set(CATEGORIES))
    panels = []
    for g in [*groups, "overall"]:
        accs = [r.judge.overall if g == "overall" else r.judge.by_category.get(g) for r in rows]
        ivs = [_acc_interval(a) for a in accs]
        panels.append(Panel(g, ivs, [_text(iv.estimate if iv else None) for iv in ivs]))
    return small_multiples(
        [r.label for r in rows], panels, "Judge accuracy by category, % (95% Wilson interval)"
    )


def _share(k: int, n: int) -> Interval | None:
    return None if n == 0 else wilson(k, n).scaled(100.0)


def order_figure(rows: Sequence[Row]) -> Figure:
    orders = [r.judge.order for r in rows]
    consistent = [_share(o.consistent, o.n) if o.orders == 2 else None for o in orders]
    first = [_share(o.first_picks, o.side_picks) for o in orders]
    ties = [_share(o.ties, o.orders * o.n) for o in orders]
    nones = [_share(o.no_decisions, o.orders * o.n) for o in orders]
    star = ["*" if o.position_biased(SIGNIFICANT) else "" for o in orders]
    panels = [
        Panel(
            "consistent in both orders",
            consistent,
            [_text(i.estimate if i else None) for i in consistent],
            None,
        ),
        Panel(
            "picks the first shown",
            first,
            [_text(i.estimate if i else None, s) for i, s in zip(first, star, strict=True)],
        ),
        Panel("ties", ties, [_text(i.estimate if i else None) for i in ties], None),
        Panel("no decision", nones, [_text(i.estimate if i else None) for i in nones], None),
    ]
    return small_multiples(
        [r.label for r in rows],
        panels,
        "Order effects, % (95% Wilson interval; * first-position share ≠ 50%, p < 0.05)",
    )


def svg_text(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


@dataclass(frozen=True, slots=True)
class Plot:
    png: str  # file name, written beside report.md
    title: str
    svg: str  # the SVG document, embedded in report.html


ACCURACY_PNG = "accuracy_by_category.png"
ORDER_PNG = "order_effects.png"


def write_plots(report: Report, out_dir: Path) -> list[Plot]:
    """Both figures as PNG files in `out_dir`, and as SVG text for the HTML."""
    made = []
    for name, title, fig in (
        (ACCURACY_PNG, "Accuracy by category", accuracy_figure(report.rows)),
        (ORDER_PNG, "Order effects", order_figure(report.rows)),
    ):
        fig.savefig(out_dir / name, dpi=100)
        made.append(Plot(name, title, svg_text(fig)))
        plt.close(fig)
    return made
