"""`build_report`: run folders -> the typed `Report` every view renders."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from engine.report.columns import pooled
from engine.report.compare import all_comparisons
from engine.report.model import JudgeSummary, Report, Row, RunSummary
from engine.report.summary import build_summary
from engine.scoring import SelfPreference, self_preference_counts


def unique(labels: Sequence[str]) -> list[str]:
    """The labels with repeats told apart by a count suffix: "x", "x (2)", ..."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def pooled_self_preference(judges: Sequence[JudgeSummary]) -> dict[str, SelfPreference | None]:
    """Per judge name: own-family vs other-family accuracy over all its runs, pairs once."""
    by_name: dict[str, list[JudgeSummary]] = {}
    for j in judges:
        by_name.setdefault(j.name, []).append(j)
    out: dict[str, SelfPreference | None] = {}
    for name, js in by_name.items():
        family = next((j.family for j in js if j.family), None)
        families = {m: f for j in js for m, f in j.response_families.items()}
        models, hits = pooled([j.scores for j in js])
        # Counted per response model, then per family: no Python object per pair.
        counts = Counter(zip(models.tolist(), hits.tolist(), strict=True)) if family else {}
        items = ((families.get(m), h, k) for (m, h), k in counts.items())
        out[name] = self_preference_counts(family, items)
    return out


def report_of(summaries: Sequence[RunSummary], generated: str | None = None) -> Report:
    """Rows (one per run × judge), their labels and every judge-vs-judge comparison."""
    pairs = [(s, j) for s in summaries for j in s.judges.values()]
    # A judge's name is its label unless two runs share one (then "run / judge"): imported
    # published files are one run per judge and need no prefix.
    names = [j.name for _, j in pairs]
    multi = len(set(names)) < len(names)
    labels = unique([f"{s.name} / {j.name}" if multi else j.name for s, j in pairs])
    pooled = pooled_self_preference([j for _, j in pairs])
    rows = tuple(
        Row(i, lab, s, j, pooled.get(j.name))
        for i, ((s, j), lab) in enumerate(zip(pairs, labels, strict=True))
    )
    return Report(
        generated=generated or time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        runs=tuple(summaries),
        rows=rows,
        comparisons=all_comparisons(rows),
    )


def build_report(run_dirs: Sequence[Path]) -> Report:
    return report_of([build_summary(Path(d)) for d in run_dirs])
