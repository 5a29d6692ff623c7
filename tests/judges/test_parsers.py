"""Each judge type's pure verdict parser on realistic replies: clean, missing, repeated,
contradictory and malformed verdicts."""

from __future__ import annotations

import pytest

from engine.judges import (
    arena_hard,
    autoj,
    judgelm,
    multi_agent,
    pandalm,
    prometheus2,
    reward_model,
    skywork_critic,
    vanilla,
)

ARENA_LONG = """My own answer: the integral evaluates to 2/3, so the correct choice is (C).

Assistant A computes the antiderivative correctly and arrives at 2/3, choosing (C).
Assistant B drops a factor of 2 in the substitution and concludes 1/3, which is wrong.

Both are concise, but only A is correct.

My final verdict is: [[A>>B]]"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Output (a)", "A>B"),
        ("Output (b)", "B>A"),
        ("  Output (b)\n", "B>A"),
        ("**Output (a)**", "A>B"),
        ("output (A).", "A>B"),
        ("Output (b)\n\nOutput (b) gives the right count of 12.", "B>A"),  # repeated, same
        ("Output (a) is tempting but Output (b) is right.", None),  # contradictory
        ("Both outputs are wrong.", None),  # missing
        ("", None),
    ],
)
def test_vanilla(text: str, expected: str | None) -> None:
    assert vanilla.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (ARENA_LONG, "A>B"),  # >> folds into >
        ("... so B is a little better.\n\nFinal verdict: [[B>A]]", "B>A"),
        ("Assistant B is clearly better: [[B>>A]]", "B>A"),
        ("They are equivalent. [[A=B]]", "A=B"),
        ("Verdict [[ A > B ]]", "A>B"),  # spacing inside the label
        ("[[A>B]] ... after reflection I stand by it: [[A>>B]]", "A>B"),  # repeated, same side
        ("First I thought [[A>B]] but actually [[B>A]]", None),  # contradictory
        ("I think A made an arithmetic slip; B is right.", None),  # missing
        ("Verdict: [A>B]", None),  # single brackets are not the format
        ("[[C>A]]", None),
    ],
)
def test_arena_hard(text: str, expected: str | None) -> None:
    assert arena_hard.parse(text) == expected


def test_arena_hard_verdicts_distinguishes_missing_from_contradictory() -> None:
    assert arena_hard.verdicts("no label here") == set()
    assert arena_hard.verdicts("[[A>B]] then [[B>>A]]") == {"A>B", "B>A"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Feedback: Response A sets up the equation correctly and reaches 42, while "
            "Response B misreads the question and answers 24. [RESULT] A",
            "A>B",
        ),
        ("Feedback: B is correct; A confuses the units. [RESULT] B", "B>A"),
        ("Feedback: ...\n[RESULT]: B", "B>A"),
        ("Feedback: ... [RESULT: A]", "A>B"),
        ("Feedback: ... [Result] Response B", "B>A"),
        ("Feedback: both fine.\nResult: A", "A>B"),
        ("Feedback: ... [RESULT] A\n\n[RESULT] A", "A>B"),  # repeated, same
        ("Feedback: ... [RESULT] A ... on reflection [RESULT] B", None),  # contradictory
        ("Feedback: Response A is better overall.", None),  # missing
        ("[RESULT] Tie", None),  # Prometheus has no tie
    ],
)
def test_prometheus2(text: str, expected: str | None) -> None:
    assert prometheus2.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8 3\nAssistant 1 solves the recurrence correctly; Assistant 2 does not.", "A>B"),
        ("2 9\nAssistant 2 is correct.", "B>A"),
        ("7, 7\nBoth are equally good.", "A=B"),
        ("6.5 8.0", "B>A"),
        ("\n9 4", "A>B"),  # leading blank line
        ("Assistant 1: 8\nAssistant 2: 3", None),  # not the two-number first line
        ("8 3 5", None),
        ("eight three", None),
        ("", None),
    ],
)
def test_judgelm(text: str, expected: str | None) -> None:
    assert judgelm.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1\n\nReason: Response 1 gives the correct derivative.", "A>B"),
        ("2\nReason: Response 2 is correct.", "B>A"),
        ("Tie\nReason: both identical.", "A=B"),
        ("tie.", "A=B"),
        ("2.", "B>A"),
        ("Response 1 is better\n1", None),  # verdict not on the first line
        ("3\n", None),
        ("", None),
    ],
)
def test_pandalm(text: str, expected: str | None) -> None:
    assert pandalm.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "1. Accuracy: Response 1 computes the probability as 3/8, which is right; "
            "Response 2 gets 5/8.\n\nSo, the final decision is Response 1.",
            "A>B",
        ),
        ("... So, the final decision is Response 2.", "B>A"),
        ("... So, the Final Decision is Tie.", "A=B"),
        ("So, the final decision is **Response 2**.", "B>A"),
        # Repeated and revised: Auto-J's protocol reads the last statement.
        ("the final decision is Response 1. Wait, no: the final decision is Response 2.", "B>A"),
        ("Both responses have merits.", None),  # missing
        ("So, the final decision is unclear.", None),
    ],
)
def test_autoj(text: str, expected: str | None) -> None:
    assert autoj.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[A]]", "A>B"),
        ("[[B]]", "B>A"),
        ("After checking the arithmetic: [[B]]", "B>A"),
        ("B", "B>A"),  # bare letter
        ("[[A]] [[A]]", "A>B"),  # repeated, same
        ("[[A]] or maybe [[B]]", None),  # contradictory
        ("Assistant A and Assistant B are both fine.", None),  # missing (letters in prose)
    ],
)
def test_skywork_critic(text: str, expected: str | None) -> None:
    assert skywork_critic.parse(text) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [(2.5, -1.0, "A>B"), (-2.07, -1.43, "B>A"), (0.5, 0.5, "A=B")],
)
def test_reward_model_decide(a: float, b: float, expected: str) -> None:
    assert reward_model.decide(a, b) == expected
    assert reward_model.parse(f'{{"scores": [{a}, {b}]}}') == expected


def test_reward_model_parse_rejects_garbage() -> None:
    assert reward_model.parse("not json") is None
    assert reward_model.parse('{"scores": [1]}') is None


@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        (["A>B", "A>B", "B>A"], "A>B"),
        (["B>A", None, "B>A"], "B>A"),
        (["A>B", "B>A", "A=B"], "A=B"),  # three-way draw: no majority
        (["A>B", "B>A", None], "A=B"),  # draw at the top
        (["A=B", "A=B", "A>B"], "A=B"),
        ([None, None, None], None),
    ],
)
def test_multi_agent_majority(votes: list[str | None], expected: str | None) -> None:
    assert multi_agent.majority(votes) == expected  # type: ignore[arg-type]


def test_multi_agent_vote_format_is_arena_hards() -> None:
    assert multi_agent.parse("I side with the expert. [[B>A]]") == "B>A"
    assert multi_agent.parse("no vote given") is None
