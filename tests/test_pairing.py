"""Pairing: determinism under a seed, order independence, label balance, no-pair reasons."""

from __future__ import annotations

import itertools
import random

import pytest

from engine.pairing import make_pairs, no_pair_reason
from engine.records import ResponseRecord
from engine.stages.items import Answer
from verifiers.base import Question, Verdict

RIGHT = Verdict(True, 1.0, "B", "ok")
WRONG = Verdict(False, 0.0, "A", "no")
UNKNOWN = Verdict(None, 0.0, None, "timeout")


def question(n: int = 1) -> Question:
    return Question(f"mmlu-pro:{n}", "mmlu-pro-law", "mmlu_pro", "prompt", "Q?", "B", n)


def answer(key: str, text: str, verdict: Verdict) -> Answer:
    record = ResponseRecord(key, "mmlu-pro:1", "mmlu-pro-law", 0, "p", "m", text)
    return Answer(record, paired=True, verdict=verdict)


def answers(*verdicts: Verdict, prefix: str = "k") -> list[Answer]:
    return [answer(f"{prefix}{i}", f"text {i}", v) for i, v in enumerate(verdicts)]


def test_a_pair_holds_one_right_and_one_wrong_answer() -> None:
    out = make_pairs(question(), answers(RIGHT, WRONG, WRONG), seed=0, response_model="m")
    assert out.no_pair_reason is None
    (pair,) = out.pairs
    good_key = pair.response_key_A if pair.label == "A>B" else pair.response_key_B
    bad_key = pair.response_key_B if pair.label == "A>B" else pair.response_key_A
    assert good_key == "k0"
    assert bad_key in ("k1", "k2")
    good_text = pair.response_A if pair.label == "A>B" else pair.response_B
    assert good_text == "text 0"
    assert (pair.source, pair.question, pair.original_id) == ("mmlu-pro-law", "Q?", 1)
    assert (pair.response_model, pair.question_id) == ("m", "mmlu-pro:1")


def test_same_seed_same_pairs_whatever_the_arrival_order() -> None:
    ans = answers(RIGHT, WRONG, RIGHT, WRONG, WRONG, RIGHT)
    base = make_pairs(question(), ans, seed=3, response_model="m", per_question=3)
    for _ in range(5):
        shuffled = random.Random(_).sample(ans, len(ans))
        again = make_pairs(question(), shuffled, seed=3, response_model="m", per_question=3)
        assert again == base
    assert len({p.pair_id for p in base.pairs}) == 3
    # A different seed draws differently for at least one of a few questions.
    draws = {
        s: [
            make_pairs(question(n), ans, seed=s, response_model="m").pairs[0].pair_id
            for n in range(10)
        ]
        for s in (3, 4)
    }
    assert draws[3] != draws[4]


def test_per_question_draws_distinct_combinations_and_alternates_sides() -> None:
    out = make_pairs(
        question(), answers(RIGHT, RIGHT, WRONG, WRONG), seed=1, response_model="m", per_question=10
    )
    assert len(out.pairs) == 4  # only 2 x 2 combinations exist
    combos = {frozenset((p.response_key_A, p.response_key_B)) for p in out.pairs}
    assert len(combos) == 4
    labels = [p.label for p in out.pairs]
    assert labels.count("A>B") == labels.count("B>A") == 2
    assert all(a != b for a, b in itertools.pairwise(labels))


def test_labels_balance_across_questions() -> None:
    labels = [
        make_pairs(question(n), answers(WRONG, RIGHT, WRONG, RIGHT), seed=11, response_model="m")
        .pairs[0]
        .label
        for n in range(2000)
    ]
    share = labels.count("A>B") / len(labels)
    assert 0.46 <= share <= 0.54  # a fair coin per question: 0.5 ± 3.5 sd


@pytest.mark.parametrize(
    ("verdicts", "reason"),
    [
        ((), "too_few"),
        ((RIGHT,), "too_few"),
        ((RIGHT, RIGHT, UNKNOWN), "all_right"),
        ((WRONG, WRONG), "all_wrong"),
        ((WRONG, UNKNOWN), "all_wrong"),
        ((UNKNOWN, UNKNOWN), "unverifiable"),
        ((RIGHT, UNKNOWN, WRONG), None),
    ],
)
def test_no_pair_reasons(verdicts: tuple[Verdict, ...], reason: str | None) -> None:
    out = make_pairs(question(), answers(*verdicts), seed=0, response_model="m")
    assert out.no_pair_reason == reason
    assert no_pair_reason(answers(*verdicts)) == reason
    assert bool(out.pairs) == (reason is None)


def test_unverifiable_answers_never_enter_a_pair() -> None:
    ans = answers(UNKNOWN, RIGHT, UNKNOWN, WRONG, UNKNOWN)
    out = make_pairs(question(), ans, seed=5, response_model="m", per_question=5)
    keys = {k for p in out.pairs for k in (p.response_key_A, p.response_key_B)}
    assert keys == {"k1", "k3"}


def test_per_question_must_be_positive() -> None:
    with pytest.raises(ValueError):
        make_pairs(question(), answers(RIGHT, WRONG), seed=0, response_model="m", per_question=0)
