"""`prometheus2`: relative grading against a correctness rubric, ending `[RESULT] A` or `B`.

Prometheus 2 has no tie: a reply without a result, or with results naming both answers,
is no decision.
"""

from __future__ import annotations

import re
from typing import ClassVar

from engine.judges.base import JudgeInput, JudgeParams
from engine.judges.prompted import ANSWER_FIELDS, PromptJudge, one_side
from engine.records import Decision
from providers.options import DecodingOptions

# `[RESULT] A`, `[RESULT]: B`, `[RESULT: A]`, `[Result] Response A`, or `Result: B` on a line.
_RESULT = re.compile(
    r"(?:\[RESULT\]\s*:?|\[RESULT:|(?:^|\n)\s*RESULT\s*:)\s*(?:RESPONSE\s+)?\(?([AB])\b",
    re.IGNORECASE,
)
DEFAULT_RUBRIC = "Is the response correct, and is its reasoning accurate and well supported?"


def parse(text: str) -> Decision | None:
    letters = {m.upper() for m in _RESULT.findall(text)}
    return one_side(letters, "A")


class Prometheus2Params(JudgeParams):
    rubric: str = DEFAULT_RUBRIC


class Prometheus2Judge(PromptJudge):
    TYPE = "prometheus2"
    TEMPLATE = "prometheus2.txt"
    OPTIONS = DecodingOptions(temperature=0.0, max_tokens=1024)
    PARAMS = Prometheus2Params
    params: Prometheus2Params
    SECTIONS: ClassVar[dict[str, tuple[str, ...]]] = {
        "system": (),
        "user": (*ANSWER_FIELDS, "rubric"),
    }

    def parse(self, text: str) -> Decision | None:
        return parse(text)

    def values(self, item: JudgeInput) -> dict[str, str]:
        return {**super().values(item), "rubric": self.params.rubric}
