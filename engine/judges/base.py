"""The interface every judge type implements.

A judge sees one pair in one order (the engine swaps the answers for the BA order)
and returns a decision in that order's own terms: "A>B", "B>A", "A=B" or None.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import anyio
import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from engine.judges.set_loader import load_set
from engine.judges.template_sets import LoadedSet, TemplateChoice
from engine.records import Decision, Order, PairRecord
from providers.base import Provider, ProviderError, Usage
from providers.options import NO_OPTIONS, DecodingOptions

TEMPLATES = Path(__file__).parent / "templates"
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


async def concurrently(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
    """Run the calls at once; their results, in order.

    When one fails with a `ProviderError`, the others are cancelled and that error is raised
    as itself. A bare task group would raise it wrapped in an ExceptionGroup, which the judge
    stage would not recognise as a failed call: it would end the run instead of recording
    the failure for a resume to retry.
    """
    results: list[T | None] = [None] * len(calls)
    failure: ProviderError | None = None

    async with anyio.create_task_group() as tg:

        async def one(i: int, call: Callable[[], Awaitable[T]]) -> None:
            nonlocal failure
            try:
                results[i] = await call()
            except ProviderError as exc:
                if failure is None:
                    failure = exc
                tg.cancel_scope.cancel()

        for i, call in enumerate(calls):
            tg.start_soon(one, i, call)
    if failure is not None:
        raise failure
    return results  # type: ignore[return-value]  # every slot was filled


@dataclass(frozen=True, slots=True)
class JudgeInput:
    """A pair as a judge sees it in one order: "A" is the answer shown first."""

    question: str
    answer_a: str
    answer_b: str

    @classmethod
    def shown(cls, pair: PairRecord, order: Order) -> JudgeInput:
        """The pair in order AB (as recorded) or BA (answers swapped)."""
        if order == "AB":
            return cls(pair.question, pair.response_A, pair.response_B)
        return cls(pair.question, pair.response_B, pair.response_A)


@dataclass(frozen=True, slots=True)
class JudgeOutput:
    decision: Decision | None
    # Every reply the judge model gave, in order (follow-up turns and agents included).
    raw: str
    usage: Usage = Usage()  # noqa: RUF009 - Usage is frozen, sharing it is safe
    cost: float = 0.0
    calls: int = 1
    # Of the last reply: its finish reason ("length": out of tokens), what was sent, and the
    # tier that served it.
    finish_reason: str | None = None
    sent: Mapping[str, Any] = field(default_factory=dict)
    service_tier: str | None = None


# Output tokens assumed for a call whose max_tokens no one set (every chat judge type sets
# one; the dry run says when it had to assume this).
UNCAPPED_OUTPUT_TOKENS = 1024


@dataclass(frozen=True, slots=True)
class CallBudget:
    """At most how many calls, input tokens and output tokens some work takes (for the dry
    run, which must be an upper bound)."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: CallBudget) -> CallBudget:
        return CallBudget(
            self.calls + other.calls,
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
        )

    def times(self, n: int) -> CallBudget:
        return CallBudget(self.calls * n, self.input_tokens * n, self.output_tokens * n)


@dataclass(frozen=True, slots=True)
class JudgeSpec:
    """What the job says about one judge."""

    name: str  # the label used in records and reports
    type: str  # judge type, e.g. "arena_hard"
    model: str
    options: DecodingOptions = NO_OPTIONS  # the job's decoding options, over the type's own
    params: Mapping[str, Any] = field(default_factory=dict)  # the type's settings, as given
    template: str | None = None  # overriding template text (already read from its file)
    template_path: str | None = None  # where that text came from, for error messages
    templates: TemplateChoice | None = None  # another project's template set (None: ours)


class JudgeParams(BaseModel):
    """Settings of one judge type (the job's `params`); a type with settings subclasses it."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def read_params(cls: type[M], params: Mapping[str, Any], *, judge: str, judge_type: str) -> M:
    """Validate a judge's `params` (its type's settings, or decoding options given there);
    the error names the judge and the setting."""
    try:
        return cls.model_validate(dict(params))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(part) for part in err["loc"])
        if err["type"] == "extra_forbidden":
            known = ", ".join(sorted(cls.model_fields)) or "none"
            message = f"unknown setting for judge type {judge_type!r} (known: {known})"
        else:
            message = err["msg"]
        raise ValueError(f"judge {judge!r}: params.{where}: {message}") from None


class Judge(ABC):
    """One judge type. Subclasses set `TYPE` and implement `judge`.

    `TEMPLATE` names the default prompt file in templates/ (a job may override its text);
    `OPTIONS` are the type's decoding defaults, under the job's; `PARAMS` validates the
    type's own settings into `self.params`.
    """

    TYPE: ClassVar[str] = ""
    TEMPLATE: ClassVar[str] = ""
    OPTIONS: ClassVar[DecodingOptions] = NO_OPTIONS
    PARAMS: ClassVar[type[JudgeParams]] = JudgeParams

    def __init__(self, spec: JudgeSpec) -> None:
        self.spec = spec
        self.params = read_params(self.PARAMS, spec.params, judge=spec.name, judge_type=spec.type)
        # Faithful mode: another project's prompts, rules and decoding settings for the type
        # (engine.judges.template_sets); None with our own templates.
        self.faithful: LoadedSet | None = None
        if spec.templates is not None and spec.templates.set != "ours":
            if spec.template is not None:
                raise ValueError(
                    f"judge {spec.name!r}: give `template` (our format) or `templates` "
                    "(another project's set), not both"
                )
            try:
                self.faithful = load_set(spec.templates, self.TYPE, spec.params)
            except ValueError as exc:
                raise ValueError(f"judge {spec.name!r}: {exc}") from None
        defaults = self.faithful.options if self.faithful else self.OPTIONS
        self.options = defaults.merge(spec.options)
        self._template: str | None = None

    def template_text(self) -> str:
        """The effective template: the job's override, else the default file ("" if none)."""
        if self._template is None:
            if self.spec.template is not None:
                self._template = self.spec.template
            elif self.TEMPLATE:
                self._template = (TEMPLATES / self.TEMPLATE).read_text("utf-8")
            else:
                self._template = ""
        return self._template

    def template_origin(self) -> str:
        """Where the template came from, for error messages."""
        if self.spec.template is not None:
            return self.spec.template_path or f"template of judge {self.spec.name!r}"
        return str(TEMPLATES / self.TEMPLATE)

    def max_output_tokens(self) -> int:
        """The output cap of each call: the job's max_tokens, else the type's own."""
        return self.options.max_tokens or UNCAPPED_OUTPUT_TOKENS

    def budget(self, prompt_tokens: int, out: int | None = None) -> CallBudget:
        """At most what one judgment (one order) costs when its prompt (template, question
        and both answers) is `prompt_tokens` long and each call may answer in `out` tokens
        (default: `max_output_tokens`; the model table may send more): here one call; types
        that make more (follow-ups, a discussion) say so."""
        return CallBudget(1, prompt_tokens, out or self.max_output_tokens())

    def fingerprint(self) -> Mapping[str, Any]:
        """Everything that changes the judge's output; part of each judgment's request key.

        The job's settings and the type's defaults each as one flat mapping (decoding
        options and type settings together), and the effective template text, so editing a
        template (default or override) makes new request keys instead of reusing stale
        judgments.
        """
        defaults = {k: v for k, v in self.PARAMS().model_dump().items() if v is not None}
        fp = {
            "type": self.TYPE,
            "model": self.spec.model,
            "params": {**self.spec.params, **self.spec.options.given()},
            "defaults": {**self.OPTIONS.given(), **defaults},
            "template": self.template_text(),
        }
        if self.faithful is not None:  # (absent with our own set: existing keys stay)
            fp["defaults"] = {**self.faithful.options.given(), **defaults}
            fp["template"] = self.faithful.source
            fp["templates"] = self.faithful.choice.label()
        return fp

    def template_set(self) -> str:
        """The template set this judge uses, for the report ("ours" by default)."""
        return self.faithful.choice.label() if self.faithful else "ours"

    @abstractmethod
    async def judge(self, item: JudgeInput, provider: Provider) -> JudgeOutput:
        """Judge one pair in one order. A failed call raises its `ProviderError` as itself
        (never inside an ExceptionGroup: see `concurrently`); errors are not decisions."""


@dataclass(frozen=True, slots=True)
class AnswerScore:
    """One answer's score from an order-free judge, with what the call cost."""

    score: float
    usage: Usage = Usage()  # noqa: RUF009 - Usage is frozen, sharing it is safe
    cost: float = 0.0


class OrderFreeJudge(Judge):
    """A judge that scores each answer alone (a reward model): its decision on a pair
    follows from two scores that do not depend on the order the answers are shown in.

    The judge stage therefore pays for each answer once (engine.stages.answer_scores), not
    once per pair and order; `judge` scores both answers, for use outside a run.
    """

    def answer_budget(self, answer_tokens: int) -> CallBudget:
        """What scoring one answer costs (its question and it are `answer_tokens` long)."""
        return CallBudget(1, answer_tokens, 0)

    @abstractmethod
    async def score_answer(self, question: str, answer: str, provider: Provider) -> AnswerScore:
        """Score one answer to the question. Provider errors propagate."""

    @abstractmethod
    def decide(self, first: float, second: float) -> Decision:
        """The decision, in the shown order's terms, from the scores of the answer shown
        first and the one shown second."""

    @staticmethod
    def raw_of(first: float, second: float) -> str:
        """The recorded reply of a judgment: both scores, in the shown order."""
        return orjson.dumps({"scores": [first, second]}).decode()

    def output(self, first: AnswerScore, second: AnswerScore) -> JudgeOutput:
        """The judgment made of two scores (usage: what the two scores cost together)."""
        return JudgeOutput(
            self.decide(first.score, second.score),
            raw=self.raw_of(first.score, second.score),
            usage=first.usage + second.usage,
            cost=first.cost + second.cost,
            calls=2,
        )

    async def judge(self, item: JudgeInput, provider: Provider) -> JudgeOutput:
        first, second = await concurrently(
            [
                lambda: self.score_answer(item.question, item.answer_a, provider),
                lambda: self.score_answer(item.question, item.answer_b, provider),
            ]
        )
        return self.output(first, second)
