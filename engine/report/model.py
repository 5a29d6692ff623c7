"""The report's typed model: built once from the run folders, rendered by every view.

The terminal table, report.md, summary.json, the plots and report.html all read these
frozen records; none of them reads the JSONL files or a dict back. `as_dict()` gives the
summary.json shape, which keeps every field earlier versions wrote (fields are only added).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.records import ScoreRecord
from engine.scoring import (
    CATEGORIES,
    Accuracy,
    JudgeMetrics,
    OrderEffects,
    SelfPreference,
    interval_dict,
)
from engine.stats import Interval


@dataclass(frozen=True, slots=True)
class MetaFiltered:
    """A judge's accuracy over the judgments the meta-judge kept (meta-score >= threshold):
    JudgeBench's rule over the pairs whose judgments in both orders were kept."""

    threshold: float
    judgments: int  # judgments of this judge with a meta-score
    kept: int  # of them, those that reached the threshold
    pairs_kept: int  # scored pairs whose two judgments were both kept
    accuracy: Accuracy  # over those pairs

    def as_dict(self, plain: Accuracy) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "judgments_scored": self.judgments,
            "judgments_kept": self.kept,
            "pairs_kept": self.pairs_kept,
            "accuracy": self.accuracy.as_dict(),
            "plain_accuracy": plain.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class JudgeSummary:
    """One judge in one run folder."""

    name: str
    type: str | None
    model: str | None
    provider: str | None
    orders: int  # 2 = both orders judged; 1 = an imported single-game file
    family: str | None  # the judge model's family (engine.report.families)
    pairs_scored: int
    pairs_unscored: int
    calls_recorded: int
    call_errors: int
    metrics: JudgeMetrics
    by_response_model: Mapping[str, Accuracy]
    response_families: Mapping[str, str | None]  # response model -> its family
    # Replies that came back empty, cut at max_tokens (the reasoning spent the budget).
    out_of_tokens: int = 0
    # pair_id -> its score, for comparisons and self-preference across runs; not serialised.
    scores: Mapping[str, ScoreRecord] = field(default_factory=dict, repr=False, compare=False)
    # The template set the judge used ("ours", "judgebench", "prometheus-eval"...).
    templates: str = "ours"
    # Accuracy over the judgments the meta-judge kept (a job with `meta_judge`).
    meta_judge: MetaFiltered | None = None

    @property
    def overall(self) -> Accuracy:
        return self.metrics.overall

    @property
    def by_category(self) -> Mapping[str, Accuracy]:
        return self.metrics.by_category

    @property
    def order(self) -> OrderEffects:
        return self.metrics.order

    def own_family(self, response_model: str) -> bool:
        """Is this response model from the judge's own family (marked in the tables)?"""
        fam = self.response_families.get(response_model)
        return self.family is not None and fam == self.family

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "model": self.model,
            "provider": self.provider,
            "orders": self.orders,
            "family": self.family,
            "pairs_scored": self.pairs_scored,
            "pairs_unscored": self.pairs_unscored,
            "calls_recorded": self.calls_recorded,
            "call_errors": self.call_errors,
            "out_of_tokens": self.out_of_tokens,
            **self.metrics.as_dict(),
            "by_response_model": {m: a.as_dict() for m, a in self.by_response_model.items()},
            "response_families": dict(self.response_families),
            "templates": self.templates,
            "meta_judge": self.meta_judge.as_dict(self.overall) if self.meta_judge else None,
        }


@dataclass(frozen=True, slots=True)
class SolveAccuracy:
    """A model's verified answers: the share correct, overall and per category."""

    overall: Accuracy
    by_category: Mapping[str, Accuracy]

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.as_dict(),
            "by_category": {c: a.as_dict() for c, a in self.by_category.items()},
        }


@dataclass(frozen=True, slots=True)
class Gap:
    """Solve-vs-judge: one judge whose model also answered, in one category (or overall)."""

    judge: str
    model: str
    category: str
    solve: Accuracy
    judged: Accuracy
    gap: Interval  # judge accuracy - solve accuracy, percentage points

    def as_dict(self) -> dict[str, Any]:
        return {
            "judge": self.judge,
            "model": self.model,
            "category": self.category,
            "solve_accuracy": self.solve.accuracy,
            "judge_accuracy": self.judged.accuracy,
            "gap": self.gap.estimate,
            "solve": self.solve.as_dict(),
            "judged": self.judged.as_dict(),
            "gap_low": self.gap.low,
            "gap_high": self.gap.high,
        }


@dataclass(frozen=True, slots=True)
class RunCounts:
    pairs: int
    response_models: tuple[str, ...]
    judgments: int
    judgment_errors: int
    scores: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "pairs": self.pairs,
            "response_models": list(self.response_models),
            "judgments": self.judgments,
            "judgment_errors": self.judgment_errors,
            "scores": self.scores,
        }


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run folder reduced to what the report shows."""

    run: str  # the folder
    name: str
    job_file: str | None
    description: str | None
    imported_from: str | None
    counts: RunCounts
    judges: Mapping[str, JudgeSummary]
    solve: Mapping[str, SolveAccuracy]
    solve_vs_judge: tuple[Gap, ...]
    # stats.json's accounting, passed through as the run wrote it
    providers: Mapping[str, Mapping[str, Any]]
    no_pair_reasons: Mapping[str, int]
    # The job's `sandbox.isolation`: "none" means code answers ran unconfined.
    sandbox: str = "auto"
    # The run's calls, tokens and cost: the sum over its records (engine.usage), so over
    # every process that worked on it; None when no record carries usage.
    usage: Mapping[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "name": self.name,
            "job_file": self.job_file,
            "description": self.description,
            "sandbox": self.sandbox,
            "imported_from": self.imported_from,
            "counts": self.counts.as_dict(),
            "judges": {n: j.as_dict() for n, j in self.judges.items()},
            "solve": {m: s.as_dict() for m, s in self.solve.items()},
            "solve_vs_judge": [g.as_dict() for g in self.solve_vs_judge],
            "providers": {k: dict(v) for k, v in self.providers.items()},
            "no_pair_reasons": dict(self.no_pair_reasons),
            "usage": dict(self.usage) if self.usage is not None else None,
        }


@dataclass(frozen=True, slots=True)
class Row:
    """One run × judge: a row of the comparison table and a judge of the viewer."""

    index: int
    label: str  # the judge's name, or "run / judge" when runs share a judge name
    run: RunSummary
    judge: JudgeSummary
    # Over every run of the report where this judge (by name) scored, each pair once:
    # published outputs come one file per response model, so only pooled can it compare.
    self_preference: SelfPreference | None = None

    def as_dict(self) -> dict[str, Any]:
        j = self.judge
        o = j.order
        sp = self.self_preference
        return {
            "run": self.run.name,
            "judge": j.name,
            "model": j.model,
            "pairs": j.pairs_scored,
            "accuracy": j.overall.accuracy,
            "ci_low": j.overall.ci_low,
            "ci_high": j.overall.ci_high,
            **{c: a.accuracy if (a := j.by_category.get(c)) else None for c in CATEGORIES},
            "consistency": o.consistency,
            "first_position": o.first_position,
            "tie_rate": o.tie_rate,
            "no_decision_rate": o.no_decision_rate,
            "call_errors": j.call_errors,
            "label": self.label,
            "family": j.family,
            "position_bias_p": o.position_bias_p,
            "self_preference": sp.difference.estimate if sp else None,
            "self_preference_low": sp.difference.low if sp else None,
            "self_preference_high": sp.difference.high if sp else None,
            "self_preference_detail": sp.as_dict() if sp else None,
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two judges on the pairs both scored: paired difference, McNemar, Cohen's kappa.

    The 2x2 table counts pairs by (a correct, b correct): `both`, `only_a`, `only_b`,
    `neither`. Kappa is the two judges' agreement on which pairs they get right.
    """

    a: int  # Row.index
    b: int
    n: int
    both: int
    only_a: int
    only_b: int
    neither: int
    accuracy_a: Accuracy
    accuracy_b: Accuracy
    difference: Interval  # a - b, percentage points, Newcombe's paired interval
    mcnemar_p: float
    kappa: float

    def as_dict(self, rows: Sequence[Row]) -> dict[str, Any]:
        return {
            "a": rows[self.a].label,
            "b": rows[self.b].label,
            "n": self.n,
            "table": {
                "both": self.both,
                "only_a": self.only_a,
                "only_b": self.only_b,
                "neither": self.neither,
            },
            "accuracy_a": self.accuracy_a.as_dict(),
            "accuracy_b": self.accuracy_b.as_dict(),
            "difference": interval_dict(self.difference),
            "mcnemar_p": self.mcnemar_p,
            "kappa": self.kappa,
        }


@dataclass(frozen=True, slots=True)
class Report:
    generated: str
    runs: tuple[RunSummary, ...]
    rows: tuple[Row, ...]
    comparisons: tuple[Comparison, ...]

    @property
    def multi_run(self) -> bool:
        return len(self.runs) > 1

    def as_dict(self) -> dict[str, Any]:
        """summary.json: {"generated", "runs", "table"} as before, plus the comparisons."""
        return {
            "generated": self.generated,
            "runs": [r.as_dict() for r in self.runs],
            "table": [r.as_dict() for r in self.rows],
            "comparisons": [c.as_dict(self.rows) for c in self.comparisons],
        }


def is_missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))
