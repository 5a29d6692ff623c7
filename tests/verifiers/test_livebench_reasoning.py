"""LiveBench reasoning verifiers on answers written the ways models write them."""

from __future__ import annotations

import pytest

from verifiers.livebench_reasoning import house_traversal, spatial, web_of_lies, zebra_puzzle


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        ("Thinking...\n**no, yes, yes**", True),
        ("**Yes, No, Yes** at first.\nOn reflection: **no, yes, yes**.", True),
        ("**no, yes, yes** ... wait, actually **no, no, yes**", False),
        ("1. **no**\n2. **yes**\n3. **yes**", True),  # one word per bold span
        ("Answer: <solution>no, yes, yes</solution>", True),
        ("So \\boxed{\\text{no, yes, yes}}", True),
        ("**no, yes**", False),  # only two of three
        ("no bold at all: no, yes, yes", False),
    ],
)
def test_web_of_lies(answer: str, ok: bool) -> None:
    v = web_of_lies("no, yes, yes", answer)
    assert v.correct is ok
    assert v.score == float(ok)


@pytest.mark.parametrize(
    ("truth", "answer", "ok"),
    [
        ("2", "... so the answer is ***2***", True),
        ("2", "first ***3*** then ***two***", True),  # number words count
        ("2", "***2*** no wait ***3***", False),  # the last one decides
        ("police-officer", "the job is ***police-officer***.", True),
        ("d&b", "they enjoy ***d&b***", True),
        ("boat", "by ***boat.***", True),
        ("thriller movies", "***thriller***", True),  # "X movies" answered as "X"
        ("3", "Position is\n\\[\\boxed{3}\\]", True),
        ("3", "it must be position 3", True),  # last word, no ***X***
        ("3", "it must be position 4", False),
    ],
)
def test_zebra_old_format(truth: str, answer: str, ok: bool) -> None:
    assert zebra_puzzle(truth, answer, "2024-06-24").correct is ok


def test_zebra_new_format_partial_credit() -> None:
    truth = "3,police-officer,tea"
    full = zebra_puzzle(truth, "<solution>3, police officer, tea</solution>", "2024-11-25")
    assert (full.correct, full.score) == (True, 1.0)
    part = zebra_puzzle(truth, "<solution>3, nurse, tea</solution>", "2024-11-25")
    assert part.correct is False
    assert part.score == pytest.approx((0 + 2 / 3) / 2)
    none = zebra_puzzle(truth, "I give up", "2024-11-25")
    assert (none.correct, none.score) == (False, 0.0)


@pytest.mark.parametrize(
    ("truth", "answer", "ok"),
    [
        ("3", "Thus **3** pieces.", True),
        ("3", "**three**", True),
        ("3", "**3** ... **pieces** ... **done**", True),  # within the last three spans
        ("3", "**3** a **b** c **d** e **f**", False),  # not within the last three
        ("triangle", "the result is an **equilateral triangle**", True),
        ("triangle", "**circle, square, and a triangle shape**", False),
        ("square", "**Square**", True),
        ("4", "final: $\\boxed{4}$", True),
        ("4", "**Total**: **4**. Then a stray ** here\n\nSo the answer is:\n**4**.", True),
        ("4", "no answer", False),
    ],
)
def test_spatial(truth: str, answer: str, ok: bool) -> None:
    assert spatial(truth, answer).correct is ok


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        ("Path: **kitchen** then **hall** then **garden**", True),
        ("The route is **kitchen, hall, garden**", True),
        ("The route is **hall, kitchen, garden**", False),
        ("The route is **kitchen, garden**", False),
        ("kitchen hall garden", False),
    ],
)
def test_house_traversal(answer: str, ok: bool) -> None:
    assert house_traversal("kitchen hall garden", answer).correct is ok
