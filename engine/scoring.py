"""JudgeBench scoring, pure: flip, per-pair outcome, categories and a judge's metrics.

The rule (docs/architecture.md): order AB is judged as shown; order BA is judged with the answers
swapped and its decision is flipped back into the pair's terms. Each of the two decisions
votes +1 when it equals the label, -1 when it equals the opposite, 0 for a tie or no
decision; the pair is correct when the sum is positive, incorrect when negative, else tie.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.records import Decision, Outcome, PairRecord, ScoreRecord
from engine.stats import Interval, binomial_test_half, newcombe_independent, wilson

CATEGORIES: tuple[str, ...] = ("knowledge", "reasoning", "math", "coding")


def flip(decision: Decision | None) -> Decision | None:
    """Swap sides: what order BA calls "A" is the pair's B. Ties and None stay as they are."""
    if decision == "A>B":
        return "B>A"
    if decision == "B>A":
        return "A>B"
    return decision


def vote(label: str, decision: Decision | None) -> int:
    """+1 agrees with the label, -1 contradicts it, 0 for a tie or no decision."""
    if decision == label:
        return 1
    if decision is not None and decision == flip(label):  # type: ignore[arg-type]
        return -1
    return 0


def outcome(label: str, decision_ab: Decision | None, decision_ba: Decision | None) -> Outcome:
    """JudgeBench's rule; `decision_ba` is already flipped back into the pair's terms."""
    total = vote(label, decision_ab) + vote(label, decision_ba)
    if total > 0:
        return "correct"
    if total < 0:
        return "incorrect"
    return "tie"


def score_record(
    pair: PairRecord, judge: str, decision_ab: Decision | None, decision_ba: Decision | None
) -> ScoreRecord:
    """The pair × judge record; `decision_ba` is in order BA's own terms (flipped here)."""
    back = flip(decision_ba)
    return ScoreRecord(
        pair_id=pair.pair_id,
        judge=judge,
        source=pair.source,
        label=pair.label,
        decision_AB=decision_ab,
        decision_BA=back,
        outcome=outcome(pair.label, decision_ab, back),
        response_model=pair.response_model,
    )


def category(source: str) -> str:
    """knowledge / reasoning / math / coding from a JudgeBench source name; else "other"."""
    s = source.lower()
    if s.startswith("mmlu-pro"):
        return "knowledge"
    if s.startswith("livebench-reasoning"):
        return "reasoning"
    if s.startswith("livebench-math"):
        return "math"
    if s.startswith("livecodebench"):
        return "coding"
    return "other"


def ordered_categories(keys: Iterable[str]) -> list[str]:
    """JudgeBench's four categories in their usual order, then any others sorted."""
    present = set(keys)
    return [c for c in CATEGORIES if c in present] + sorted(present - set(CATEGORIES))


@dataclass(frozen=True, slots=True)
class Accuracy:
    """Share correct in percent (as JudgeBench prints it) with a 95% Wilson interval."""

    n: int
    correct: int
    accuracy: float
    ci_low: float
    ci_high: float

    @classmethod
    def of(cls, correct: int, n: int) -> Accuracy:
        w = wilson(correct, n).scaled(100.0)
        # 100 * correct / n, computed as JudgeBench prints it (not 100 * (correct / n)).
        return cls(n, correct, 100.0 * correct / n if n else math.nan, w.low, w.high)

    def as_dict(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
        }


def accuracy_ci(hits: Iterable[bool]) -> Accuracy:
    """Accuracy in percent with a 95% Wilson score interval (honest at 0% and 100%)."""
    n = correct = 0
    for h in hits:
        n += 1
        correct += bool(h)
    return Accuracy.of(correct, n)


def difference(a: Accuracy, b: Accuracy) -> Interval:
    """a - b in percentage points for accuracies over different items (Newcombe's interval)."""
    return newcombe_independent(a.correct, a.n, b.correct, b.n).scaled(100.0)


def interval_dict(i: Interval) -> dict[str, float]:
    return {"estimate": i.estimate, "ci_low": i.low, "ci_high": i.high}


@dataclass(frozen=True, slots=True)
class Outcomes:
    correct: int = 0
    incorrect: int = 0
    tie: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"correct": self.correct, "incorrect": self.incorrect, "tie": self.tie}


def _first_shown(order_decision: Decision | None) -> bool | None:
    """Did the judge pick the answer it saw first? None for a tie or no decision."""
    if order_decision == "A>B":
        return True
    if order_decision == "B>A":
        return False
    return None


def _rate(k: int, n: int) -> float:
    return k / n if n else math.nan


@dataclass(frozen=True, slots=True)
class OrderEffects:
    """Counts of how a judge's verdicts depend on the order; rates are derived from them.

    `orders=1` is for imported single-game results (only the AB order was judged): the
    missing BA decision is not counted, and consistency is undefined (NaN).
    """

    n: int  # pairs
    orders: int
    consistent: int  # both orders decided and, in the pair's terms, the same way
    side_picks: int  # decisions that picked a side (not a tie, not none)
    first_picks: int  # ... of which picked the answer shown first
    both_first: int  # pairs where both orders picked the answer shown first
    ties: int  # decisions "A=B", of orders × n
    no_decisions: int  # decisions None, of orders × n

    @property
    def consistency(self) -> float:
        return _rate(self.consistent, self.n) if self.orders == 2 else math.nan

    @property
    def first_position(self) -> float:
        """Share of side-picking decisions that chose the answer shown first (0.5 = unbiased)."""
        return _rate(self.first_picks, self.side_picks)

    @property
    def first_position_interval(self) -> Interval:
        return wilson(self.first_picks, self.side_picks)

    @property
    def position_bias_p(self) -> float:
        """Exact two-sided binomial test of first-position picks against 50%."""
        return binomial_test_half(self.first_picks, self.side_picks)

    def position_biased(self, level: float = 0.05) -> bool:
        """Does the exact test reject "no position preference" at this level?"""
        return self.side_picks > 0 and self.position_bias_p < level

    @property
    def both_first_rate(self) -> float:
        return _rate(self.both_first, self.n) if self.orders == 2 else math.nan

    @property
    def tie_rate(self) -> float:
        return _rate(self.ties, self.orders * self.n)

    @property
    def no_decision_rate(self) -> float:
        return _rate(self.no_decisions, self.orders * self.n)

    def as_dict(self) -> dict[str, float | int]:
        ci = self.first_position_interval
        return {
            "n": self.n,
            "consistency": self.consistency,
            "first_position": self.first_position,
            "both_first": self.both_first_rate,
            "tie_rate": self.tie_rate,
            "no_decision_rate": self.no_decision_rate,
            "side_picks": self.side_picks,
            "first_position_low": ci.low,
            "first_position_high": ci.high,
            "position_bias_p": self.position_bias_p,
        }


def order_effects(items: Iterable[ScoreRecord], *, orders: int = 2) -> OrderEffects:
    """Consistency, first-position picks, ties and no-decisions over a judge's scores."""
    counts: Counter[tuple[Decision | None, Decision | None]] = Counter()
    for s in items:
        counts[(s.decision_AB, s.decision_BA)] += 1
    return order_effects_of(counts, orders=orders)


def order_effects_of(
    counts: Mapping[tuple[Decision | None, Decision | None], int], *, orders: int = 2
) -> OrderEffects:
    """`order_effects` from counts of (decision_AB, decision_BA) pairs: every order effect
    is a sum over pairs of a function of the two decisions, so counts are enough."""
    n = consistent = side = first = both_first = ties = nones = 0
    for (ab, ba), k in counts.items():
        n += k
        consistent += k * (ab is not None and ab == ba)
        # The BA decision is stored flipped back; flip again to see it in its own order.
        own = (ab, flip(ba))[:orders]
        shown = [_first_shown(d) for d in own]
        picked = [f for f in shown if f is not None]
        side += k * len(picked)
        first += k * sum(picked)
        both_first += k * (shown == [True, True])
        ties += k * sum(d == "A=B" for d in own)
        nones += k * sum(d is None for d in own)
    return OrderEffects(n, orders, consistent, side, first, both_first, ties, nones)


@dataclass(frozen=True, slots=True)
class JudgeMetrics:
    overall: Accuracy
    by_category: Mapping[str, Accuracy]
    outcomes: Outcomes
    order: OrderEffects

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.as_dict(),
            "by_category": {c: a.as_dict() for c, a in self.by_category.items()},
            "outcomes": self.outcomes.as_dict(),
            "order": self.order.as_dict(),
        }


# What a judge's metrics depend on, per scored pair: its category, its outcome and the two
# decisions. A run's scores reduce to counts of these (a few hundred at most), so metrics
# over any number of pairs take no memory per pair (engine.report.columns).
ScoreKey = tuple[str, Outcome, "Decision | None", "Decision | None"]


def score_counts(items: Iterable[ScoreRecord]) -> Counter[ScoreKey]:
    counts: Counter[ScoreKey] = Counter()
    for s in items:
        counts[(category(s.source), s.outcome, s.decision_AB, s.decision_BA)] += 1
    return counts


def judge_metrics(items: Iterable[ScoreRecord], *, orders: int = 2) -> JudgeMetrics:
    """Accuracy overall and per category (with intervals), outcome counts and order effects."""
    return metrics_of(score_counts(items), orders=orders)


def metrics_of(counts: Mapping[ScoreKey, int], *, orders: int = 2) -> JudgeMetrics:
    """`judge_metrics` from the counts of `score_counts`."""
    outcomes = {"correct": 0, "incorrect": 0, "tie": 0}
    by_cat: dict[str, list[int]] = {}  # category -> [correct, n]
    decisions: Counter[tuple[Decision | None, Decision | None]] = Counter()
    for (cat, out, ab, ba), k in counts.items():
        outcomes[out] += k
        c = by_cat.setdefault(cat, [0, 0])
        c[0] += k * (out == "correct")
        c[1] += k
        decisions[(ab, ba)] += k
    return JudgeMetrics(
        overall=Accuracy.of(outcomes["correct"], sum(outcomes.values())),
        by_category={c: Accuracy.of(*by_cat[c]) for c in ordered_categories(by_cat)},
        outcomes=Outcomes(**outcomes),
        order=order_effects_of(decisions, orders=orders),
    )


def group_accuracy(groups: Iterable[tuple[str, bool]]) -> dict[str, Accuracy]:
    """Accuracy with interval per group key (e.g. response model), keys sorted."""
    by: dict[str, list[bool]] = {}
    for key, hit in groups:
        by.setdefault(key, []).append(hit)
    return {k: accuracy_ci(v) for k, v in sorted(by.items())}


@dataclass(frozen=True, slots=True)
class SelfPreference:
    """Accuracy on pairs answered by the judge's own model family minus on the others."""

    family: str
    own: Accuracy
    others: Accuracy
    difference: Interval  # percentage points

    def as_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "own": self.own.as_dict(),
            "others": self.others.as_dict(),
            "difference": interval_dict(self.difference),
        }


def self_preference(
    family: str | None, items: Iterable[tuple[str | None, bool]]
) -> SelfPreference | None:
    """Own-family accuracy minus other-family accuracy, in points, with Newcombe's interval.

    `items` are (family of the pair's response model, judged correct). None when the
    judge's family is unknown or either side has no pairs: there is nothing to compare.
    Pairs whose response model has no known family count as "others".
    """
    return self_preference_counts(family, ((fam, hit, 1) for fam, hit in items))


def self_preference_counts(
    family: str | None, items: Iterable[tuple[str | None, bool, int]]
) -> SelfPreference | None:
    """`self_preference` over (family, judged correct, how many pairs) counts."""
    if family is None:
        return None
    own, others = [0, 0], [0, 0]  # [correct, n]
    for fam, hit, k in items:
        side = own if fam == family else others
        side[0] += k * bool(hit)
        side[1] += k
    if not own[1] or not others[1]:
        return None
    a, b = Accuracy.of(*own), Accuracy.of(*others)
    return SelfPreference(family, a, b, difference(a, b))
