"""The paper's analyses over a run's records, pure: solve accuracy and solve-vs-judge gap.

Solve accuracy: of a model's verified answers (responses.jsonl joined with verdicts.jsonl
by request_key = response_key), the share verified correct, per category. A judge is
matched to a solver by model name, so a job that lets the judge model answer the same
questions gets its solve accuracy set beside its judge accuracy, with the gap's interval.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.report.model import Gap, JudgeSummary, SolveAccuracy
from engine.scoring import accuracy_ci, category, difference, ordered_categories


def solve_accuracy(
    responses: Iterable[Mapping[str, Any]], verdicts: Iterable[Mapping[str, Any]]
) -> dict[str, SolveAccuracy]:
    """model -> accuracy overall and per category over its verified answers.

    Failed calls (no text) and answers the verifier could not decide (`correct` null)
    are left out: they say nothing about the model's ability.
    """
    answered: dict[str, tuple[str, str]] = {}
    for r in responses:
        if r.get("error") or r.get("text") is None:
            continue
        answered[str(r["request_key"])] = (str(r.get("model")), str(r.get("source", "")))
    hits: dict[str, dict[str, list[bool]]] = {}
    for v in verdicts:
        key = str(v.get("response_key"))
        if key not in answered or v.get("correct") is None:
            continue
        model, source = answered[key]
        by_cat = hits.setdefault(model, {})
        by_cat.setdefault(category(source or str(v.get("source", ""))), []).append(
            bool(v["correct"])
        )
    out: dict[str, SolveAccuracy] = {}
    for model, by_cat in sorted(hits.items()):
        cats = ordered_categories(by_cat)
        out[model] = SolveAccuracy(
            overall=accuracy_ci(h for c in cats for h in by_cat[c]),
            by_category={c: accuracy_ci(by_cat[c]) for c in cats},
        )
    return out


def solve_vs_judge(
    judges: Mapping[str, JudgeSummary], solve: Mapping[str, SolveAccuracy]
) -> tuple[Gap, ...]:
    """One row per judge whose model also solved, per category and overall."""
    rows: list[Gap] = []
    for name, j in judges.items():
        s = solve.get(j.model) if j.model else None
        if s is None:
            continue
        for cat in [*j.by_category, "overall"]:
            judged = j.overall if cat == "overall" else j.by_category.get(cat)
            solved = s.overall if cat == "overall" else s.by_category.get(cat)
            if judged is None or solved is None:
                continue
            rows.append(Gap(name, str(j.model), cat, solved, judged, difference(judged, solved)))
    return tuple(rows)
