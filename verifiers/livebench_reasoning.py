"""LiveBench reasoning verifiers: pure functions (ground truth, answer) -> Verdict.

The answer formats are LiveBench's (the questions carry their own instructions):

* web_of_lies_v2 – three yes/no words in bold, e.g. ``**yes, no, yes**``;
* zebra_puzzle – the old format asks for one answer as ``***X***``; the new one (release
  2024-11-25 on) a comma list in ``<solution>…</solution>``, scored with partial credit;
* spatial – one word or number in bold (any of the last three bold spans may hold it);
* house_traversal – a sequence of room names in bold.
"""

from __future__ import annotations

import re

from verifiers.base import Verdict
from verifiers.text import NUMBER_WORDS, bold_spans, last_boxed, number_value, strip_text_macros

YES_NO = ("yes", "no", "unknown")
# Shape answers that may come with a qualifier ("two tetrahedra", "equilateral triangle")
# but not inside a list of shapes ("circle square triangle").
SHAPES = ("tetrahedra", "tetrahedron", "triangle", "square")
ZEBRA_NEW_FORMAT_FROM = "2024-11-25"

_SOLUTION = re.compile(r"<solution>(.*?)</solution>", re.DOTALL)
# ***X***; X may be "police-officer" or "d&b", so any run of non-asterisks on one line.
_TRIPLE_BOLD = re.compile(r"\*\*\*([^*\n]+?)\*\*\*")


def _verdict(ok: bool, extracted: str | None, truth: str, how: str) -> Verdict:
    sign = "=" if ok else "!="
    return Verdict(ok, float(ok), extracted, f"{how}: {extracted!r} {sign} {truth!r}")


def _yes_no_words(span: str) -> list[str]:
    words = (w.strip(" ,.;:!?*()").lower() for w in span.split())
    return [w for w in words if w in YES_NO]


def web_of_lies(truth: str, answer: str) -> Verdict:
    """Three yes/no words: the last bold span, else the last three bold yes/no words,
    else ``<solution>``/``\\boxed{}``."""
    want = [w.strip().lower() for w in truth.split(",")]
    spans = bold_spans(answer)
    got: list[str] = []
    how = "no bold answer"
    if spans:
        got, how = _yes_no_words(spans[-1]), "last bold span"
        if len(got) != len(want):
            # One word per bold span (**yes**, **no**, **yes**) is common too.
            pooled = [w for s in spans for w in _yes_no_words(s)]
            got, how = pooled[-len(want) :], "last bold yes/no words"
    if len(got) != len(want):
        inner = _SOLUTION.findall(answer) or ([b] if (b := last_boxed(answer)) else [])
        if inner:
            got, how = _yes_no_words(strip_text_macros(inner[-1]).replace(",", " ")), "solution"
    extracted = ", ".join(got) if got else None
    return _verdict(got == want, extracted, truth, how)


def zebra_puzzle(truth: str, answer: str, release_date: str = "") -> Verdict:
    """Old format: the last ``***X***`` (number words allowed). New: ``<solution>`` list."""
    if (release_date and release_date >= ZEBRA_NEW_FORMAT_FROM) or "," in truth:
        return zebra_solution_list(truth, answer)
    found = _TRIPLE_BOLD.findall(answer)
    boxed = last_boxed(answer)
    how = "last ***X***"
    if found:
        got = found[-1].strip().rstrip(".,;:!?")
    elif boxed is not None:
        got, how = strip_text_macros(boxed), "\\boxed{} (no ***X***)"
    else:
        words = re.findall(r"\b\w+\b", answer)
        got, how = (words[-1] if words else ""), "last word (no ***X***)"
    want = truth.strip().lower()
    ok = number_value(got) == number_value(want) or f"{got.lower()} movies" == want
    return _verdict(ok, got or None, truth, how)


def zebra_solution_list(truth: str, answer: str) -> Verdict:
    """Partial credit: the mean of (all right) and (fraction right), as LiveBench scores it."""
    want = [w.strip().lower().replace("-", " ") for w in truth.split(",")]
    found = _SOLUTION.findall(answer)
    if not found and (boxed := last_boxed(answer)):
        found = [strip_text_macros(boxed)]
    if not found:
        return Verdict(False, 0.0, None, "no <solution> list", "no_answer")
    got = [
        w.strip().lower().replace("-", " ").replace("position", "").strip()
        for w in found[-1].split(",")
    ]
    right = sum(
        1 for i, w in enumerate(want) if i < len(got) and (got[i] == w or (w and w in got[i]))
    )
    score = ((right == len(want)) + right / len(want)) / 2
    return Verdict(
        right == len(want),
        score,
        ", ".join(got),
        f"<solution>: {right}/{len(want)} positions right",
    )


def spatial(truth: str, answer: str) -> Verdict:
    """Any of the last three bold spans, number words allowed, shape special cases,
    else the last ``\\boxed{}``."""
    want = truth.strip().lower()
    spans = [s.strip().lower() for s in bold_spans(answer)[-3:]][::-1]
    for span in spans:
        if span == want or NUMBER_WORDS.get(span) == want:
            return _verdict(True, span, truth, "bold span")
        for shape in SHAPES:
            if want == shape and shape in span and len(span) < 2 * len(shape) + 5:
                return _verdict(True, span, truth, "bold span naming the shape")
    boxed = last_boxed(answer)
    if boxed is not None:
        got = strip_text_macros(boxed).lower()
        return _verdict(number_value(got) == number_value(want), got, truth, "\\boxed{}")
    return _verdict(
        False,
        spans[0] if spans else None,
        truth,
        "last three bold spans" if spans else "no bold answer",
    )


def house_traversal(truth: str, answer: str) -> Verdict:
    """Room names in order: one per trailing bold span, or all inside the last bold span."""
    names = truth.lower().split()
    spans = [m[1] for m in re.findall(r"(\*{2,})(.*?)\1", answer.lower())]
    if not spans:
        return Verdict(False, 0.0, None, "no bold answer", "no_answer")
    last = spans[-1]
    tail = spans[-len(names) :]
    if len(tail) == len(names) and all(n in s for n, s in zip(names, tail, strict=True)):
        return _verdict(True, " ".join(tail), truth, "one name per bold span")
    pos = -1
    for name in names:
        nxt = last.find(name, pos + 1)
        if nxt == -1:
            return _verdict(False, last, truth, f"{name!r} missing or out of order")
        pos = nxt
    return _verdict(True, last, truth, "names in order in the last bold span")
