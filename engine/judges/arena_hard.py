"""`arena_hard`: solve first, compare both answers with one's own, end with a verdict label.

The reply must end with one of `[[A>>B]] [[A>B]] [[A=B]] [[B>A]] [[B>>A]]`; `>>` counts
as `>`. A reply with no label gets one follow-up turn asking to finish with one; labels
that disagree mean no decision.
"""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import Field

from engine.judges.base import JudgeInput, JudgeOutput, JudgeParams
from engine.judges.prompted import ANSWER_FIELDS, PromptJudge
from engine.records import Decision
from providers.base import Message, Provider, Usage
from providers.options import DecodingOptions

_LABEL = re.compile(r"\[\[\s*(A\s*>>?\s*B|A\s*=\s*B|B\s*>>?\s*A)\s*\]\]")


def verdicts(text: str) -> set[Decision]:
    """Every distinct verdict label in the text, with `>>` folded into `>`."""
    found: set[Decision] = set()
    for raw in _LABEL.findall(text):
        label = re.sub(r"\s+", "", raw).replace(">>", ">")
        found.add(label)  # type: ignore[arg-type]
    return found


def parse(text: str) -> Decision | None:
    """The single verdict in the text; none, or two different ones, is no decision."""
    found = verdicts(text)
    return next(iter(found)) if len(found) == 1 else None


class ArenaHardParams(JudgeParams):
    # Follow-up turns asking for a verdict when a reply ends without one.
    followups: int = Field(1, ge=0)


class ArenaHardJudge(PromptJudge):
    TYPE = "arena_hard"
    TEMPLATE = "arena_hard.txt"
    OPTIONS = DecodingOptions(temperature=0.0, max_tokens=4096)
    PARAMS = ArenaHardParams
    params: ArenaHardParams
    REQUIRED: ClassVar[tuple[str, ...]] = ("system", "user", "followup")
    SECTIONS: ClassVar[dict[str, tuple[str, ...]]] = {
        "system": (),
        "user": ANSWER_FIELDS,
        "followup": (),
    }

    def parse(self, text: str) -> Decision | None:
        return parse(text)

    async def judge(self, item: JudgeInput, provider: Provider) -> JudgeOutput:
        messages = self.messages(item)
        replies: list[str] = []
        usage, cost = Usage(), 0.0
        for turn in range(1 + self.params.followups):
            if turn:  # the previous reply had no verdict: ask once more to finish with one
                messages += [
                    Message("assistant", replies[-1]),
                    Message("user", self.sections["followup"]),
                ]
            resp = await provider.chat(self.request(messages))
            replies.append(resp.text)
            usage, cost = usage + resp.usage, cost + resp.cost
            if verdicts("\n".join(replies)):
                break
        raw = "\n".join(replies)
        return JudgeOutput(parse(raw), raw=raw, usage=usage, cost=cost, calls=len(replies))
