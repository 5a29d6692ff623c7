"""JudgeBench scoring, pure: flip, per-pair outcome, categories and aggregate metrics.

The rule (docs/architecture.md): order AB is judged as shown; order BA is judged with the answers
swapped and its decision is flipped back into the pair's terms. Each of the two decisions
votes +1 when it equals the label, -1 when it equals the opposite, 0 for a tie or no
decision; the pair is correct when the sum is positive, incorrect when negative, else tie.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.records import Decision, Outcome, PairRecord, ScoreRecord

CATEGORIES: tuple[str, ...] = ("knowledge", "reasoning", "math", "coding")
BOOTSTRAP_SEED = 20241016  # fixed so a report is reproducible run to run
BOOTSTRAP_RESAMPLES = 2000


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


@dataclass(frozen=True, slots=True)
class Scored:
    """One pair × judge as the metrics need it (decision_ba already flipped back)."""

    source: str
    label: str
    decision_ab: Decision | None
    decision_ba: Decision | None

    @property
    def outcome(self) -> Outcome:
        return outcome(self.label, self.decision_ab, self.decision_ba)


@dataclass(frozen=True, slots=True)
class Accuracy:
    n: int
    correct: int
    accuracy: float  # percent, as JudgeBench prints it
    ci_low: float
    ci_high: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "correct": self.correct,
            "accuracy": self.accuracy,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
        }


def accuracy_ci(
    hits: Sequence[bool], *, seed: int = BOOTSTRAP_SEED, resamples: int = BOOTSTRAP_RESAMPLES
) -> Accuracy:
    """Accuracy in percent with a percentile bootstrap 95% interval (fixed seed).

    For 0/1 outcomes the number of hits in a resample of size n drawn with replacement is
    exactly Binomial(n, hits/n), so the bootstrap draws that count directly: the same
    distribution as resampling the pairs, at O(resamples) instead of O(resamples × n).
    """
    n = len(hits)
    if n == 0:
        return Accuracy(0, 0, float("nan"), float("nan"), float("nan"))
    correct = sum(1 for h in hits if h)
    rng = np.random.default_rng(seed)
    means = rng.binomial(n, correct / n, size=resamples) / n
    low, high = np.percentile(means, [2.5, 97.5])
    return Accuracy(n, correct, 100.0 * correct / n, 100.0 * float(low), 100.0 * float(high))


def _first_shown(order_decision: Decision | None) -> bool | None:
    """Did the judge pick the answer it saw first? None for a tie or no decision."""
    if order_decision == "A>B":
        return True
    if order_decision == "B>A":
        return False
    return None


def order_metrics(items: Sequence[Scored], *, orders: int = 2) -> dict[str, float | int]:
    """Consistency, first-position preference, tie and no-decision rates (fractions 0–1).

    `orders=1` is for imported single-game results (only the AB order was judged): the
    missing BA decision is then not counted, and consistency is undefined (NaN).

    * consistency: both orders gave a decision and, in the pair's terms, the same one.
    * first_position: of the decisions that picked a side, the share that picked the answer
      shown first (0.5 is unbiased, 1.0 always first).
    * both_first: pairs where both orders picked the answer shown first (a pure position flip).
    * tie_rate / no_decision_rate: shares of all 2n decisions.
    """
    n = len(items)
    if n == 0:
        return {
            "n": 0,
            "consistency": float("nan"),
            "first_position": float("nan"),
            "both_first": float("nan"),
            "tie_rate": float("nan"),
            "no_decision_rate": float("nan"),
        }
    consistent = sum(
        1 for s in items if s.decision_ab is not None and s.decision_ab == s.decision_ba
    )
    firsts: list[bool] = []
    both_first = 0
    ties = nones = 0
    for s in items:
        # The BA decision is stored flipped back; flip again to see it in its own order.
        shown = (_first_shown(s.decision_ab), _first_shown(flip(s.decision_ba)))[:orders]
        firsts += [f for f in shown if f is not None]
        both_first += shown == (True, True)
        for d in (s.decision_ab, s.decision_ba)[:orders]:
            ties += d == "A=B"
            nones += d is None
    return {
        "n": n,
        "consistency": consistent / n if orders == 2 else float("nan"),
        "first_position": (sum(firsts) / len(firsts)) if firsts else float("nan"),
        "both_first": both_first / n if orders == 2 else float("nan"),
        "tie_rate": ties / (orders * n),
        "no_decision_rate": nones / (orders * n),
    }


def judge_metrics(items: Sequence[Scored], *, orders: int = 2) -> dict[str, object]:
    """Accuracy overall and per category (with intervals), outcome counts and order metrics."""
    outcomes = [s.outcome for s in items]
    by_cat: dict[str, list[bool]] = {}
    for s, o in zip(items, outcomes, strict=True):
        by_cat.setdefault(category(s.source), []).append(o == "correct")
    cats = [c for c in CATEGORIES if c in by_cat] + sorted(set(by_cat) - set(CATEGORIES))
    return {
        "overall": accuracy_ci([o == "correct" for o in outcomes]).as_dict(),
        "by_category": {c: accuracy_ci(by_cat[c]).as_dict() for c in cats},
        "outcomes": {k: outcomes.count(k) for k in ("correct", "incorrect", "tie")},
        "order": order_metrics(items, orders=orders),
    }


def group_accuracy(groups: Iterable[tuple[str, bool]]) -> dict[str, dict[str, float | int]]:
    """Accuracy with interval per group key (e.g. response model, for self-preference)."""
    by: dict[str, list[bool]] = {}
    for key, hit in groups:
        by.setdefault(key, []).append(hit)
    return {k: accuracy_ci(v).as_dict() for k, v in sorted(by.items())}
