"""`arena_hard`: solve first, compare both answers with one's own, end with a verdict label.

The reply must end with one of `[[A>>B]] [[A>B]] [[A=B]] [[B>A]] [[B>>A]]`; `>>` counts
as `>`. A reply with no label gets one follow-up turn asking to finish with one; labels
that disagree mean no decision. With the `judgebench` template set the labels are counted
as JudgeBench counts them instead (engine.judges.judgebench_rules.arena_labels).
"""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import Field

from engine.judges.base import CallBudget, JudgeInput, JudgeOutput, JudgeParams
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

    def turns(self) -> tuple[int, str]:
        """How many turns the judge may take, and what the follow-up turn says: the set's
        (JudgeBench: two turns for arena-hard, one for CompassJudger), unless the job sets
        `followups`; else ours."""
        if self.faithful is not None:
            attempts = self.faithful.attempts
            if "followups" in self.spec.params:
                attempts = 1 + self.params.followups
            return attempts, self.faithful.followup or ""
        return 1 + self.params.followups, self.sections["followup"]

    def verdict_so_far(self, text: str) -> tuple[Decision | None, bool]:
        """(decision, ask again) over everything said so far."""
        if self.faithful is not None and self.faithful.labels is not None:
            return self.faithful.labels(text)
        return parse(text), not verdicts(text)

    def budget(self, prompt_tokens: int, out: int | None = None) -> CallBudget:
        """Up to `turns` calls; each follow-up resends the conversation so far (the prompt,
        every reply, every follow-up request)."""
        out = out or self.max_output_tokens()
        attempts, followup = self.turns()
        ask = len(followup) // 4 + 1
        total = CallBudget()
        for turn in range(attempts):
            total += CallBudget(1, prompt_tokens + turn * (out + ask), out)
        return total

    async def judge(self, item: JudgeInput, provider: Provider) -> JudgeOutput:
        messages = self.messages(item)
        attempts, followup = self.turns()
        replies: list[str] = []
        usage, cost = Usage(), 0.0
        decision: Decision | None = None
        for turn in range(attempts):
            if turn:  # the previous reply had no verdict: ask once more to finish with one
                messages += [Message("assistant", replies[-1]), Message("user", followup)]
            resp = await provider.chat(self.request(messages))
            replies.append(resp.text)
            usage, cost = usage + resp.usage, cost + resp.cost
            decision, again = self.verdict_so_far("\n".join(replies))
            if not again:
                break
        raw = "\n".join(replies)
        return JudgeOutput(
            decision,
            raw=raw,
            usage=usage,
            cost=cost,
            calls=len(replies),
            finish_reason=resp.finish_reason,
            sent=resp.sent,
            service_tier=resp.service_tier,
        )
