"""Shared machinery for judges that prompt a chat model once and parse one verdict."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import ClassVar

from engine.judges.base import Judge, JudgeInput, JudgeOutput, JudgeSpec
from engine.judges.templating import check, render
from engine.records import Decision
from providers.base import ChatRequest, Message, Provider

ANSWER_FIELDS = ("question", "answer_a", "answer_b")


def one_side(named: set[str], first: str) -> Decision | None:
    """The decision of a reply whose verdicts name answers by letter: `A>B` when every one
    names `first` (the answer shown first), `B>A` when every one names the other; a reply
    naming neither, or both, is no decision."""
    if len(named) != 1:
        return None
    return "A>B" if named == {first} else "B>A"


class PromptJudge(Judge):
    """Render the template, send one chat request, read the reply with `parse`.

    Subclasses set `TYPE`, `TEMPLATE` and `OPTIONS`, and implement `parse` (with their
    module's pure `parse`); `SECTIONS` maps each allowed section to the placeholders it may
    use.
    """

    REQUIRED: ClassVar[tuple[str, ...]] = ("user",)
    SECTIONS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "system": (),
        "user": ANSWER_FIELDS,
    }

    def __init__(self, spec: JudgeSpec) -> None:
        super().__init__(spec)
        self.sections: dict[str, str] = {}
        if self.faithful is None:
            # Validate at construction so a bad template fails the job before any call is paid.
            self.sections = check(
                self.template_text(),
                self.template_origin(),
                required=self.REQUIRED,
                allowed=self.SECTIONS,
            )

    def values(self, item: JudgeInput) -> dict[str, str]:
        """Placeholder values; subclasses add their own (e.g. a rubric)."""
        return {"question": item.question, "answer_a": item.answer_a, "answer_b": item.answer_b}

    def messages(self, item: JudgeInput) -> list[Message]:
        if self.faithful is not None:  # the set's own files, rendered as its project does
            return self.faithful.render(item.question, item.answer_a, item.answer_b)
        vals = self.values(item)
        out: list[Message] = []
        if "system" in self.sections:
            out.append(Message("system", render(self.sections["system"], vals)))
        out.append(Message("user", render(self.sections["user"], vals)))
        return out

    def request(self, messages: list[Message] | tuple[Message, ...]) -> ChatRequest:
        """A chat request with this judge's decoding options (the type's, then the job's)."""
        return ChatRequest(self.spec.model, tuple(messages), self.options)

    @abstractmethod
    def parse(self, text: str) -> Decision | None:
        """The decision in one reply, in the shown order's terms (None: no decision)."""

    def decide(self, text: str) -> Decision | None:
        """The decision by this judge's rule: the set's (faithful mode), else `parse`."""
        return self.faithful.rule(text) if self.faithful is not None else self.parse(text)

    async def judge(self, item: JudgeInput, provider: Provider) -> JudgeOutput:
        resp = await provider.chat(self.request(self.messages(item)))
        return JudgeOutput(
            self.decide(resp.text),
            raw=resp.text,
            usage=resp.usage,
            cost=resp.cost,
            finish_reason=resp.finish_reason,
            sent=resp.sent,
            service_tier=resp.service_tier,
        )
