"""The paper's analyses over a run's records, pure: solve accuracy and solve-vs-judge gap.

Solve accuracy: of a model's verified answers (responses.jsonl joined with verdicts.jsonl
by request_key = response_key), the share verified correct, per category. A judge is
matched to a solver by model name, so a job that lets the judge model answer the same
questions gets its solve accuracy set beside its judge accuracy, with the gap's interval.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from engine.report.columns import Names, key_hash
from engine.report.keyed import Keyed, frozen
from engine.report.model import Gap, JudgeSummary, SolveAccuracy
from engine.scoring import Accuracy, category, difference, ordered_categories


def solve_accuracy(
    responses: Iterable[Mapping[str, Any]], verdicts: Iterable[Mapping[str, Any]]
) -> dict[str, SolveAccuracy]:
    """model -> accuracy overall and per category over its verified answers.

    Failed calls (no text) and answers the verifier could not decide (`correct` null)
    are left out: they say nothing about the model's ability.
    """
    models, sources = Names(), Names()
    answered = Keyed("H", "H")  # request key -> model, source (the last answer wins)
    for r in responses:
        if r.get("error") or r.get("text") is None:
            continue
        answered.add(
            key_hash(r["request_key"]),
            models.add(str(r.get("model"))),
            sources.add(str(r.get("source", ""))),
        )
    checked = Keyed("H", "B")  # response key -> the verdict's source, correct (every line)
    for v in verdicts:
        if v.get("correct") is not None:
            checked.add(
                key_hash(v.get("response_key")),
                sources.add(str(v.get("source", ""))),
                bool(v["correct"]),
            )
    if not len(answered) or not len(checked):
        return {}
    empty = sources.index.get("")
    cats = Names()
    cat_of = np.array([cats.add(category(str(s))) for s in sources.items], np.int64)
    n = np.zeros(len(models.items) * len(cats.items), np.int64)
    ok = np.zeros(len(n), np.int64)
    # Range by range of the key (engine.report.keyed): an answer and its verdicts share one.
    for (keys, fields), (vkeys, (vsource, correct)) in zip(
        map(frozen, answered.parts()), checked.parts(), strict=True
    ):
        if not len(keys) or not len(vkeys):
            continue
        model, source = fields
        at = np.searchsorted(keys, vkeys).clip(max=len(keys) - 1)
        hit = keys[at] == vkeys
        model, source, right = model[at[hit]], source[at[hit]], correct[hit]
        if empty is not None:  # an answer without its source: the verdict's
            source = np.where(source == empty, vsource[hit], source)
        group = model.astype(np.int64) * len(cats.items) + cat_of[source]
        n += np.bincount(group, minlength=len(n))
        ok += np.bincount(group, weights=right, minlength=len(n)).astype(np.int64)
    out: dict[str, SolveAccuracy] = {}
    for m in sorted(range(len(models.items)), key=lambda i: str(models.items[i])):
        row = range(m * len(cats.items), (m + 1) * len(cats.items))
        by_cat = {str(cats.items[g - row.start]): (int(ok[g]), int(n[g])) for g in row if n[g]}
        if not by_cat:
            continue
        order = ordered_categories(by_cat)
        out[str(models.items[m])] = SolveAccuracy(
            overall=Accuracy.of(sum(by_cat[c][0] for c in order), sum(by_cat[c][1] for c in order)),
            by_category={c: Accuracy.of(*by_cat[c]) for c in order},
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
