"""JudgeBench's own verdict rules, judge type by judge type, as pure functions.

These are the rules JudgeBench's `utils/judges.py` applies to a judge's reply (facts about
that code, written here in our words), used when a judge runs with the `judgebench`
template set (and, for Prometheus 2, the `prometheus-eval` set, whose package parses the
same way). Our own parsers (one per judge module) stay the rule for our own templates;
docs/conformance.md sets the two side by side.

A JudgeBench decision that is not one of ``A>B``, ``B>A``, ``A=B`` (an arena-hard label such
as ``[[A<B]]`` or ``[[A]]``) counts neither for nor against the label in JudgeBench's
scoring, exactly as no decision does, so it is returned as None.
"""

from __future__ import annotations

import re

from engine.records import Decision

DECISIONS: frozenset[str] = frozenset({"A>B", "B>A", "A=B"})

# Arena-hard and CompassJudger: every `[[...]]` made only of A, B, <, > and = is a label
# (no whitespace inside the brackets; `[[A<B]]` and `[[A]]` count as labels too).
_ARENA_LABEL = re.compile(r"\[\[([AB<>=]+)\]\]")


def arena_labels(text: str) -> tuple[Decision | None, bool]:
    """(decision, ask again): JudgeBench's count of the labels in everything the judge has
    said so far. No label: no decision, and the judge is asked again. One distinct label:
    that label, with ``>>`` folded into ``>`` only now, after the distinct-label check (so
    ``[[A>B]]`` and ``[[A>>B]]`` together are two labels: no decision). More than one
    distinct label: no decision, and the judge is not asked again."""
    labels = {m for m in _ARENA_LABEL.findall(text) if m}
    if not labels:
        return None, True
    if len(labels) > 1:
        return None, False
    return _decision(labels.pop().strip("\n").replace(">>", ">").strip()), False


def _decision(label: str) -> Decision | None:
    return label if label in DECISIONS else None  # type: ignore[return-value]


def vanilla(text: str) -> Decision | None:
    """The reply, stripped, must be exactly ``Output (a)`` or ``Output (b)`` (JudgeBench
    raises on anything else, and its runner records that judgment as missing)."""
    reply = text.strip()
    if reply == "Output (a)":
        return "A>B"
    return "B>A" if reply == "Output (b)" else None


def pandalm(text: str) -> Decision:
    """The first line of the stripped reply: ``1`` or ``2`` picks a response; anything else,
    ``Tie`` included, is a tie."""
    first = text.strip().split("\n")[0]
    if first == "1":
        return "A>B"
    return "B>A" if first == "2" else "A=B"


def judgelm(text: str) -> Decision:
    """The first line, commas read as spaces, split on single spaces, must be exactly two
    numbers (A's, then B's); anything else scores both -1, a tie."""
    parts = text.split("\n")[0].replace(",", " ").split(" ")
    try:
        a, b = (float(parts[0]), float(parts[1])) if len(parts) == 2 else (-1.0, -1.0)
    except ValueError:
        a = b = -1.0
    if a > b:
        return "A>B"
    return "B>A" if b > a else "A=B"


def autoj(text: str) -> Decision | None:
    """After the last ``final decision is `` (case as written), lower-cased: ``response 1``,
    ``response 2`` or ``tie``."""
    reply = text.strip()
    pos = reply.rfind("final decision is ")
    if pos == -1:
        return None
    rest = reply[pos + len("final decision is ") :].strip().lower()
    if rest.startswith("response 1"):
        return "A>B"
    if rest.startswith("response 2"):
        return "B>A"
    return "A=B" if rest.startswith("tie") else None


# Prometheus 2's relative result (JudgeBench's copy of prometheus-eval's parser): the first
# `[RESULT] X`, `[RESULT: X`, `[Response X`, `[Result] Response X`, `[Result: X` or a line
# starting `Result: X`, any case, X being A or B followed by `]`, a space or the end.
_PROMETHEUS_RESULT = re.compile(
    r"(?:\[RESULT\]|\[RESULT:\s*|\[Response\s+|\[Result\](?:\s+Response)?|\[Result:\s*"
    r"|(?:^|\n)Result:?\s*)\s*(A|B)(?:\]|\s|$)",
    re.IGNORECASE | re.MULTILINE,
)


def prometheus2(text: str) -> Decision | None:
    """The first result Prometheus 2's parser finds; it has no tie."""
    m = _PROMETHEUS_RESULT.search(text)
    if m is None:
        return None
    return "A>B" if m.group(1).upper() == "A" else "B>A"


def skywork_critic(text: str) -> Decision | None:
    """Any capital ``A`` in the reply picks A; else any capital ``B`` picks B."""
    if "A" in text:
        return "A>B"
    return "B>A" if "B" in text else None


def reward(score_a: float, score_b: float) -> Decision:
    """Higher reward wins; equal rewards go to B (JudgeBench has no tie here)."""
    return "A>B" if score_a > score_b else "B>A"
