"""Checkpoint records: one frozen dataclass per JSONL file of a run folder.

Each record type names the fields of its key (`KEY`), so resume is "read the keys already
written, skip that work" (engine.checkpoint). docs/architecture.md lists the files and keys.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, ClassVar, Literal, Self, TypeVar

from providers.base import ProviderError, Usage
from verifiers.base import Question, Verdict, VerdictKind

Decision = Literal["A>B", "B>A", "A=B"]
Order = Literal["AB", "BA"]
Outcome = Literal["correct", "incorrect", "tie"]


_NAMES: dict[type, frozenset[str]] = {}


def _field_names(cls: type[Any]) -> frozenset[str]:
    """A record type's field names (looked up once per record read: cached)."""
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = frozenset(f.name for f in fields(cls))
    return names


@dataclass(frozen=True, slots=True)
class Record:
    FILE: ClassVar[str] = ""
    KEY: ClassVar[tuple[str, ...]] = ()  # the fields that identify one record

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        names = _field_names(cls)
        return cls(**{k: v for k, v in data.items() if k in names})


def usage_fields(usage: Usage, cost: float, **more: Any) -> dict[str, Any]:
    """The `usage` dict of a record (cache writes only where there were some)."""
    out = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
        "cached_tokens": usage.cached_tokens,
        "cost": cost,
        **more,
    }
    if usage.cache_write_tokens:
        out["cache_write_tokens"] = usage.cache_write_tokens
        out["cache_write_1h_tokens"] = usage.cache_write_1h_tokens
    return out


@dataclass(frozen=True, slots=True)
class ResponseRecord(Record):
    """One model answer to one question (or a failed attempt, with `error` set)."""

    FILE: ClassVar[str] = "responses.jsonl"
    KEY: ClassVar[tuple[str, ...]] = ("request_key",)
    request_key: str
    question_id: str
    source: str
    sample_index: int
    provider: str
    model: str
    text: str | None
    finish_reason: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # error class; failed calls are retried on resume
    error_message: str | None = None
    # What was sent after the model table (temperature, token cap, reasoning, stream, n,
    # notes), the server's id of a failed request (what its support asks for), and the tier
    # that served an answer. Answers keep no request id: a resumed run's records equal an
    # unbroken run's.
    sent: dict[str, Any] | None = None
    request_id: str | None = None
    service_tier: str | None = None


@dataclass(frozen=True, slots=True)
class VerdictRecord(Record):
    """One verified answer. `kind` is the verdict's typed reason (verifiers.base.VerdictKind):
    a `timeout` or `error` is not final, and a resumed run verifies that answer again (the
    later line of a key wins)."""

    FILE: ClassVar[str] = "verdicts.jsonl"
    KEY: ClassVar[tuple[str, ...]] = ("response_key",)
    response_key: str
    question_id: str
    source: str
    task: str
    correct: bool | None
    score: float
    extracted: str | None
    reason: str
    kind: VerdictKind = "checked"  # records written before the field existed were checks

    @classmethod
    def of(cls, response_key: str, question: Question, verdict: Verdict) -> VerdictRecord:
        return cls(
            response_key=response_key,
            question_id=question.id,
            source=question.source,
            task=question.task,
            correct=verdict.correct,
            score=verdict.score,
            extracted=verdict.extracted,
            reason=verdict.reason,
            kind=verdict.kind,
        )

    def verdict(self) -> Verdict:
        return Verdict(self.correct, self.score, self.extracted, self.reason, self.kind)


@dataclass(frozen=True, slots=True)
class PairRecord(Record):
    """JudgeBench's own fields, plus the keys of the two answers it came from."""

    FILE: ClassVar[str] = "pairs.jsonl"
    KEY: ClassVar[tuple[str, ...]] = ("pair_id",)
    pair_id: str
    original_id: int | str | None
    source: str
    question: str
    response_model: str
    response_A: str
    response_B: str
    label: Literal["A>B", "B>A"]
    response_key_A: str | None = None
    response_key_B: str | None = None
    question_id: str | None = None


@dataclass(frozen=True, slots=True)
class JudgmentRecord(Record):
    """One judge call in one order. `decision` is in that order's own A/B terms."""

    FILE: ClassVar[str] = "judgments.jsonl"
    KEY: ClassVar[tuple[str, ...]] = ("request_key",)
    request_key: str
    pair_id: str
    judge: str
    order: Order
    raw: str | None
    decision: Decision | None
    usage: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_message: str | None = None
    # As in ResponseRecord; `finish_reason` of the (last) reply says "length" when the judge
    # ran out of tokens.
    finish_reason: str | None = None
    sent: dict[str, Any] | None = None
    request_id: str | None = None
    service_tier: str | None = None
    # Where the call went, so a run's usage can be totalled by provider and model from its
    # records alone (even for a judge that a later job left out).
    provider: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class AnswerScoreRecord(Record):
    """One answer scored on its own by an order-free judge (a reward model): paid once per
    answer, whatever pairs and orders show it. Judgments of such a judge are made from
    these and carry no usage of their own. Only successful scores are written; a failed
    call is recorded as the failed judgment that needed it."""

    FILE: ClassVar[str] = "answer_scores.jsonl"
    KEY: ClassVar[tuple[str, ...]] = ("request_key",)
    request_key: str
    judge: str
    provider: str
    model: str
    score: float
    response_key: str | None = None  # the answer's own key, when the pair names it
    usage: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ScoreRecord(Record):
    """Pair × judge: both decisions (the BA one already flipped back) and the outcome."""

    FILE: ClassVar[str] = "scores.jsonl"
    KEY: ClassVar[tuple[str, ...]] = ("pair_id", "judge")
    pair_id: str
    judge: str
    source: str
    label: Literal["A>B", "B>A"]
    decision_AB: Decision | None
    decision_BA: Decision | None  # flipped back into the pair's own A/B terms
    outcome: Outcome
    response_model: str | None = None


@dataclass(frozen=True, slots=True)
class MetaJudgmentRecord(Record):
    """The meta-judge's scores for one judgment (criterion -> 1..5, and their mean)."""

    FILE: ClassVar[str] = "meta_judgments.jsonl"
    KEY: ClassVar[tuple[str, ...]] = ("request_key",)
    request_key: str
    judgment_key: str  # the request_key of the judgment it scores
    pair_id: str
    judge: str
    order: Order
    raw: str | None
    scores: dict[str, int] = field(default_factory=dict)
    meta_score: float | None = None  # None: not every criterion was scored
    usage: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_message: str | None = None
    request_id: str | None = None
    # Where the call went (the meta-judge's provider and model), for the run's usage totals.
    provider: str | None = None
    model: str | None = None


def key_of(rtype: type[Record], obj: Mapping[str, Any]) -> Hashable:
    """The key of a record of type `rtype`, read from its JSON object."""
    if len(rtype.KEY) == 1:
        return obj.get(rtype.KEY[0])
    return tuple(obj.get(name) for name in rtype.KEY)


RECORD_TYPES: tuple[type[Record], ...] = (
    ResponseRecord,
    VerdictRecord,
    PairRecord,
    JudgmentRecord,
    AnswerScoreRecord,
    ScoreRecord,
    MetaJudgmentRecord,
)

# A record of one paid call: it carries `error` and `error_message` when the call failed.
F = TypeVar("F", ResponseRecord, JudgmentRecord, MetaJudgmentRecord)


def failed(record: F, exc: ProviderError) -> F:
    """The record of a call that failed for good (a resume sends it again)."""
    return replace(
        record, error=exc.error_class, error_message=str(exc)[:500], request_id=exc.request_id
    )


def out_of_tokens(text: str | None, finish_reason: str | None) -> bool:
    """An empty answer cut at the token cap: the budget was spent (on reasoning) before any
    answer came. Kept as an outcome, but reported per judge and model."""
    return text == "" and finish_reason == "length"
