"""The plots stay readable from 1 to 20 judges: no two text labels overlap, none is cut off
by the figure's edge, every judge has its own style, and the files are real PNG and SVG."""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from engine.report.plots import (
    MARKERS,
    OKABE_ITO,
    accuracy_figure,
    order_figure,
    style,
    write_plots,
)
from tests.report.factories import LONG_NAMES, report


def _texts(fig: Figure) -> list[tuple[str, Bbox]]:
    """Every drawn, non-empty text of the figure with its extent in display pixels."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    found: list[Text] = []
    for ax in fig.axes:
        found += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        found += ax.get_xticklabels() + ax.get_yticklabels()
    found += fig.texts  # the suptitle is one of them
    unique = list({id(t): t for t in found}.values())
    return [
        (t.get_text(), t.get_window_extent(renderer))
        for t in unique
        if t.get_visible() and t.get_text().strip()
    ]


@pytest.mark.parametrize("n_judges", [1, 4, 20])
@pytest.mark.parametrize("figure", [accuracy_figure, order_figure])
def test_no_label_overlaps_or_leaves_the_figure(n_judges: int, figure: object) -> None:
    rows = report(n_judges).rows
    fig = figure(rows)  # type: ignore[operator]
    try:
        texts = _texts(fig)
        # every judge's full name is on the plot (wrapped lines joined back)
        shown = {t.replace("\n", "") for t, _ in texts}
        for r in rows:
            assert r.label in shown, r.label
        # each value label, row label, tick and title has a box of its own
        assert len(texts) > 5 * n_judges
        for (ta, a), (tb, b) in itertools.combinations(texts, 2):
            assert not a.overlaps(b), f"{ta!r} overlaps {tb!r}"
        canvas = Bbox.from_bounds(0, 0, fig.bbox.width, fig.bbox.height)
        for t, box in texts:
            assert canvas.containsx(box.x0) and canvas.containsx(box.x1), f"{t!r} cut off"
            assert canvas.containsy(box.y0) and canvas.containsy(box.y1), f"{t!r} cut off"
    finally:
        plt.close(fig)


def test_the_overlap_check_catches_a_collision() -> None:
    """The check above is not vacuous: two labels put on one spot are caught."""
    fig = accuracy_figure(report(1).rows)
    try:
        fig.text(0.5, 0.5, "one")
        fig.text(0.5, 0.5, "two")
        texts = _texts(fig)
        assert any(a.overlaps(b) for (_, a), (_, b) in itertools.combinations(texts, 2))
    finally:
        plt.close(fig)


def test_styles_do_not_repeat_for_many_judges() -> None:
    styles = [style(i) for i in range(128)]
    assert len(set(styles)) == 128
    assert len(OKABE_ITO) == 8 and len(MARKERS) == 8
    # the first judges differ by colour alone: the plot needs no marker key for a few
    assert len({s.colour for s in styles[:8]}) == 8


def test_rows_get_taller_not_tighter_with_more_judges() -> None:
    heights = []
    for n in (1, 4, 20):
        fig = accuracy_figure(report(n).rows)
        heights.append(fig.get_figheight())
        plt.close(fig)
    assert heights[0] < heights[1] < heights[2]
    assert heights[2] / 20 > 0.3  # at least ~0.3 inch per judge's row


def test_write_plots_png_and_svg(tmp_path: Path) -> None:
    rep = report(len(LONG_NAMES))
    plots = write_plots(rep, tmp_path)
    assert [p.png for p in plots] == ["accuracy_by_category.png", "order_effects.png"]
    for p in plots:
        assert (tmp_path / p.png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "<svg" in p.svg and p.svg.rstrip().endswith("</svg>")
