"""JudgeBench's scoring rule over every pair of decisions, and the aggregate metrics."""

from __future__ import annotations

import itertools
import math

import pytest

from engine.records import ScoreRecord
from engine.scoring import (
    accuracy_ci,
    category,
    flip,
    judge_metrics,
    order_effects,
    outcome,
)

# Each decision relative to the label: right, wrong, tie or none.
KINDS = ("right", "wrong", "tie", "none")
# Hand-written table (not computed): the sum of votes +1/-1/0/0 decides.
EXPECTED = {
    ("right", "right"): "correct",
    ("right", "wrong"): "tie",  # a position flip never counts as correct
    ("right", "tie"): "correct",
    ("right", "none"): "correct",
    ("wrong", "right"): "tie",
    ("wrong", "wrong"): "incorrect",
    ("wrong", "tie"): "incorrect",
    ("wrong", "none"): "incorrect",
    ("tie", "right"): "correct",
    ("tie", "wrong"): "incorrect",
    ("tie", "tie"): "tie",
    ("tie", "none"): "tie",
    ("none", "right"): "correct",
    ("none", "wrong"): "incorrect",
    ("none", "tie"): "tie",
    ("none", "none"): "tie",
}


def _decision(kind: str, label: str) -> str | None:
    other = "B>A" if label == "A>B" else "A>B"
    return {"right": label, "wrong": other, "tie": "A=B", "none": None}[kind]


@pytest.mark.parametrize("label", ["A>B", "B>A"])
@pytest.mark.parametrize(("first", "second"), list(itertools.product(KINDS, KINDS)))
def test_outcome_every_combination(label: str, first: str, second: str) -> None:
    got = outcome(label, _decision(first, label), _decision(second, label))  # type: ignore[arg-type]
    assert got == EXPECTED[(first, second)]


def test_flip() -> None:
    assert flip("A>B") == "B>A"
    assert flip("B>A") == "A>B"
    assert flip("A=B") == "A=B"
    assert flip(None) is None


def test_both_orders_preferring_first_shown_is_not_correct() -> None:
    # AB order picks A (shown first), BA order picks its first (the pair's B): flipped back B>A.
    assert outcome("A>B", "A>B", flip("A>B")) == "tie"


@pytest.mark.parametrize(
    ("source", "cat"),
    [
        ("mmlu-pro-law", "knowledge"),
        ("mmlu-pro-computer science", "knowledge"),
        ("livebench-reasoning", "reasoning"),
        ("livebench-math", "math"),
        ("livecodebench", "coding"),
        ("something-else", "other"),
    ],
)
def test_category(source: str, cat: str) -> None:
    assert category(source) == cat


def test_accuracy_ci_is_reproducible_and_brackets_the_estimate() -> None:
    hits = [True] * 60 + [False] * 40
    a, b = accuracy_ci(hits), accuracy_ci(hits)
    assert a == b
    assert a.accuracy == 60.0 and a.correct == 60 and a.n == 100
    assert a.ci_low < 60.0 < a.ci_high
    # Binomial standard error is 4.9 points: the 95% interval is about ±9.6.
    assert 49.0 <= a.ci_low <= 52.0 and 68.0 <= a.ci_high <= 71.0


def test_accuracy_ci_keeps_an_honest_width_at_the_edges() -> None:
    # 10/10 is not certainty: Wilson's interval is [72.2, 100], not the bootstrap's
    # collapsed [100, 100] (z = 1.96: low = (1 + z²/20 - z·sqrt(z²/400)) / (1 + z²/10)).
    full = accuracy_ci([True] * 10)
    assert full.accuracy == 100.0 and full.ci_high == 100.0
    assert full.ci_low == pytest.approx(72.2467, abs=1e-3)
    none = accuracy_ci([False] * 10)
    assert none.ci_low == 0.0 and none.ci_high == pytest.approx(100 - 72.2467, abs=1e-3)
    assert math.isnan(accuracy_ci([]).accuracy)


def _s(src: str, label: str, ab: str | None, ba: str | None) -> ScoreRecord:
    return ScoreRecord("p", "j", src, label, ab, ba, outcome(label, ab, ba))  # type: ignore[arg-type]


def test_order_metrics_by_hand() -> None:
    items = [
        _s("mmlu-pro-law", "A>B", "A>B", "A>B"),  # consistent; AB first, BA second
        _s("livebench-math", "A>B", "A>B", "B>A"),  # both orders chose the first shown
        _s("livebench-math", "B>A", "A=B", None),  # tie + none
        _s("livecodebench", "B>A", "B>A", "B>A"),  # consistent; AB second, BA first
    ]
    m = order_effects(items).as_dict()
    assert m["consistency"] == 2 / 4
    # Side-picking decisions: 6. First-shown picks: row1 AB, row2 AB+BA, row4 BA = 4.
    assert m["first_position"] == 4 / 6
    assert m["both_first"] == 1 / 4
    assert m["tie_rate"] == 1 / 8
    assert m["no_decision_rate"] == 1 / 8
    # 4 of 6 against 50%: P(X >= 4) = (15 + 6 + 1) / 64, two-sided 44/64.
    assert m["side_picks"] == 6 and m["position_bias_p"] == 44 / 64


def test_judge_metrics_by_category() -> None:
    items = [
        _s("mmlu-pro-law", "A>B", "A>B", "A>B"),  # correct
        _s("mmlu-pro-law", "A>B", "B>A", "B>A"),  # incorrect
        _s("livebench-math", "B>A", "B>A", "A=B"),  # correct
        _s("livebench-math", "B>A", "A>B", "B>A"),  # tie
    ]
    m = judge_metrics(items).as_dict()
    assert m["overall"]["accuracy"] == 50.0
    assert m["by_category"]["knowledge"]["accuracy"] == 50.0
    assert m["by_category"]["math"]["accuracy"] == 50.0
    assert list(m["by_category"]) == ["knowledge", "math"]
    assert m["outcomes"] == {"correct": 2, "incorrect": 1, "tie": 1}


def test_order_metrics_single_game_ignores_the_missing_order() -> None:
    items = [_s("livebench-math", "A>B", "A>B", None), _s("livebench-math", "B>A", "A=B", None)]
    m = order_effects(items, orders=1).as_dict()
    assert m["no_decision_rate"] == 0.0 and m["tie_rate"] == 0.5
    assert m["first_position"] == 1.0 and math.isnan(m["consistency"])
