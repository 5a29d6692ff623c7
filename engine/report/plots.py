"""PNG plots: accuracy by category per judge (with 95% intervals), and order effects."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt

from engine.scoring import CATEGORIES


def _label(s: dict[str, Any], judge: str, multi: bool) -> str:
    return f"{s['name']} / {judge}" if multi else judge


def _ok(x: float | None) -> float:
    return 0.0 if x is None or math.isnan(x) else float(x)


def accuracy_plot(summaries: Sequence[dict[str, Any]], path: Path) -> Path:
    multi = len(summaries) > 1
    series = [(_label(s, n, multi), j) for s in summaries for n, j in s["judges"].items()]
    groups = [*CATEGORIES, "overall"]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(groups) + 0.4 * len(series)), 4.5))
    width = 0.8 / max(1, len(series))
    for i, (label, j) in enumerate(series):
        accs, lows, highs, texts = [], [], [], []
        for g in groups:
            a = j["overall"] if g == "overall" else j["by_category"].get(g)
            # No pairs in a category: no bar (NaN) and "–", so it never reads as 0%.
            acc = _ok(a["accuracy"]) if a else math.nan
            accs.append(acc)
            lows.append(max(0.0, acc - _ok(a["ci_low"])) if a else 0.0)
            highs.append(max(0.0, _ok(a["ci_high"]) - acc) if a else 0.0)
            texts.append(f"{acc:.0f}" if a else "–")
        xs = [k + (i - (len(series) - 1) / 2) * width for k in range(len(groups))]
        bars = ax.bar(xs, accs, width, yerr=[lows, highs], capsize=3, label=label)
        ax.bar_label(bars, labels=texts, fontsize="x-small", padding=2)
    ax.axhline(50, color="grey", linestyle=":", linewidth=1)  # random guessing
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylim(0, 100)
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Judge accuracy by category (95% bootstrap interval)")
    if series:
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def order_plot(summaries: Sequence[dict[str, Any]], path: Path) -> Path:
    multi = len(summaries) > 1
    series = [
        (_label(s, n, multi), j.get("order", {})) for s in summaries for n, j in s["judges"].items()
    ]
    metrics = [
        ("consistency", "consistent in both orders"),
        ("first_position", "picks the answer shown first"),
        ("tie_rate", "ties"),
        ("no_decision_rate", "no decision"),
    ]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(series) + 2), 4.5))
    width = 0.8 / len(metrics)
    for i, (key, label) in enumerate(metrics):
        xs = [k + (i - (len(metrics) - 1) / 2) * width for k in range(len(series))]
        ax.bar(xs, [100 * _ok(o.get(key)) for _, o in series], width, label=label)
    ax.axhline(50, color="grey", linestyle=":", linewidth=1)  # no position preference
    ax.set_xticks(range(len(series)), [s for s, _ in series], rotation=20, ha="right")
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of pairs / decisions")
    ax.set_title("Order consistency and position preference")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
