"""Shared machinery for judges that prompt a chat model once and parse one verdict."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from engine.judges.base import Judge, JudgeInput, JudgeOutput, JudgeSpec
from engine.judges.templating import check, render
from engine.records import Decision
from providers.base import ChatRequest, Message, Provider

ANSWER_FIELDS = ("question", "answer_a", "answer_b")


class PromptJudge(Judge):
    """Render the template, send one chat request, parse the reply with `PARSE`.

    Subclasses set `TYPE`, `TEMPLATE`, `DEFAULTS` and `PARSE` (their module's pure `parse`);
    `SECTIONS` maps each allowed section to the placeholders it may use.
    """

    PARSE: ClassVar[Callable[[str], Decision | None]]
    REQUIRED: ClassVar[tuple[str, ...]] = ("user",)
    SECTIONS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "system": (),
        "user": ANSWER_FIELDS,
    }

    def __init__(self, spec: JudgeSpec) -> None:
        super().__init__(spec)
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
        vals = self.values(item)
        out: list[Message] = []
        if "system" in self.sections:
            out.append(Message("system", render(self.sections["system"], vals)))
        out.append(Message("user", render(self.sections["user"], vals)))
        return out

    def request(self, messages: list[Message] | tuple[Message, ...]) -> ChatRequest:
        """A chat request with this judge's decoding settings (defaults, then job params)."""
        extra: dict[str, Any] = dict(self.param("extra", {}) or {})
        return ChatRequest(
            model=self.spec.model,
            messages=tuple(messages),
            temperature=self.param("temperature"),
            max_tokens=self.param("max_tokens"),
            response_schema=self.param("response_schema"),
            extra=extra,
        )

    async def judge(self, item: JudgeInput, provider: Provider) -> JudgeOutput:
        resp = await provider.chat(self.request(self.messages(item)))
        parse = type(self).PARSE
        return JudgeOutput(parse(resp.text), raw=resp.text, usage=resp.usage, cost=resp.cost)
