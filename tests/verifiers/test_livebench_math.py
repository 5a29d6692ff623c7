"""LiveBench math verifiers: AMC/SMC, AIME, olympiad ordering, AMPS_Hard (real sympy)."""

from __future__ import annotations

import pytest

from verifiers import livebench_math as lm

AMC_Q = (
    "What is 12 times 12? $\\textbf{(A)}\\ 256 \\qquad\\textbf{(B)}\\ 136 \\qquad"
    "\\textbf{(C)}\\ 108 \\qquad\\textbf{(D)}\\ 144 \\qquad\\textbf{(E)}\\ 156$ "
    "Please duplicate that letter five times."
)


def test_amc_options_are_read_from_the_question() -> None:
    assert lm.amc_options(AMC_Q) == {"A": "256", "B": "136", "C": "108", "D": "144", "E": "156"}


@pytest.mark.parametrize(
    ("answer", "ok", "extracted"),
    [
        ("so DDDDD", True, "D"),
        ("AAAAA, no wait: DDDDD", True, "D"),
        ("DDDDD hmm, actually AAAAA", False, "A"),
        ("<solution>D</solution>", True, "D"),
        ("Final: \\boxed{\\text{(D)}}", True, "D"),
        ("Final: \\boxed{B}", False, "B"),
        ("The count is \\(\\boxed{144}\\)", True, "144"),  # the option's value at the end
        ("The count is \\(\\boxed{136}\\)", False, None),
    ],
)
def test_amc(answer: str, ok: bool, extracted: str | None) -> None:
    v = lm.amc("D", answer, AMC_Q)
    assert (v.correct, v.extracted) == (ok, extracted)


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        ("... so the answer is 025", True),
        ("... so the answer is **25**.", True),
        ("The answer is $\\boxed{025}$. Lots of text after the box that goes on and on.", True),
        ("25 was my first guess, but the final answer is 250", False),
        ("no digits here", False),
    ],
)
def test_aime(answer: str, ok: bool) -> None:
    assert lm.aime("025", answer).correct is ok


def test_olympiad_scores_by_edit_distance() -> None:
    full = lm.olympiad("2,1,3", "reasoning...\nAnswer: 2, 1, 3")
    assert (full.correct, full.score, full.extracted) == (True, 1.0, "2,1,3")
    swapped = lm.olympiad("2,1,3,4", "Answer: 1, 2, 3, 4")
    assert swapped.correct is False
    assert swapped.score == pytest.approx(0.5)
    next_line = lm.olympiad("2,1,3", "**Answer:**\n2, 1, 3")
    assert next_line.score == 1.0
    assert lm.olympiad("2,1,3", "I could not do it").extracted is None


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("x = \\frac12", "\\frac{1}{2}"),
        ("\\text{answer} 5", "answer 5"),
        ("1,000", "1000"),
        ("\\sqrt2 + 1.", "\\sqrt{2} + 1"),
    ],
)
def test_normalize_answer(raw: str, norm: str) -> None:
    assert lm.normalize_answer(raw) == norm


def test_amps_extract() -> None:
    assert lm.amps_extract("so $\\boxed{\\dfrac{1}{2} x + C}$") == "\\frac{1}{2} x"
    assert lm.amps_extract("done:\n$f'(x) = 2\\left(x+1\\right)$") == "2(x+1)"
    assert lm.amps_extract("no maths here") is None


def test_amps_hard_uses_symbolic_equivalence() -> None:
    truth = "\\frac{13 \\sqrt{3}}{4}-\\sqrt{3} \\left(x-\\frac{7}{2}\\right)^2"
    square = "-\\sqrt{3}(x - \\frac{7}{2})^2"
    same = lm.amps_hard(truth, f"$\\boxed{{{square} + \\frac{{13\\sqrt{{3}}}}{{4}}}}$")
    assert same.correct is True
    other = lm.amps_hard(truth, f"$\\boxed{{{square} - \\frac{{13\\sqrt{{3}}}}{{4}}}}$")
    assert other.correct is False
    rounded = lm.amps_hard("\\frac{\\sqrt{7045}}{6}", "$\\boxed{13.9889}$")
    assert rounded.correct is True  # within LiveBench's 0.001 for plain numbers
    garbage = lm.amps_hard("x^2", "\\boxed{\\frac{}{")
    assert garbage.correct is False
    assert lm.amps_hard("x^2", "I don't know").reason == "no \\boxed{} answer"
