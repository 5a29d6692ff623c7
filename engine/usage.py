"""A run's usage and cost: the sum over its records of paid calls.

Every successful answer (responses.jsonl), judgment (judgments.jsonl), answer score
(answer_scores.jsonl) and meta-judgment (meta_judgments.jsonl) carries the usage and cost
of the calls that made it, so the sum over a run folder's records covers every process that
ever worked on it, whatever was resumed, reused or sent again. stats.json, `python -m engine
status` and the report all show this sum. Failed calls carry none (a failed attempt is not
billed). Pure: callers feed records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from engine.records import (
    AnswerScoreRecord,
    JudgmentRecord,
    MetaJudgmentRecord,
    Record,
    ResponseRecord,
)

PAID: tuple[type[Record], ...] = (
    ResponseRecord,
    JudgmentRecord,
    AnswerScoreRecord,
    MetaJudgmentRecord,
)
# Cache writes (Anthropic) are part of input_tokens, as cache reads are.
TOKENS = (
    "input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "cache_write_tokens",
)
UNKNOWN = "?"


@dataclass
class Tally:
    """Calls, tokens and cost, summed."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    cost: float = 0.0

    def add(self, other: Tally) -> None:
        self.calls += other.calls
        for name in TOKENS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.cost += other.cost

    def add_usage(self, usage: Mapping[str, Any]) -> None:
        """Add a record's `usage` dict in place (one call unless it says how many); it runs
        once per paid record, so each field is read by name."""
        get = usage.get
        self.calls += int(get("calls", 1))
        self.input_tokens += int(get("input_tokens") or 0)
        self.output_tokens += int(get("output_tokens") or 0)
        self.reasoning_tokens += int(get("reasoning_tokens") or 0)
        self.cached_tokens += int(get("cached_tokens") or 0)
        self.cache_write_tokens += int(get("cache_write_tokens") or 0)
        self.cost += float(get("cost") or 0.0)

    @classmethod
    def of(cls, usage: Mapping[str, Any]) -> Tally:
        """A record's `usage` dict (one call unless it says how many)."""
        tally = cls()
        tally.add_usage(usage)
        return tally

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunUsage:
    """Usage of one run by provider and model, from its records.

    Judgments written before judgments named their provider are placed by `judges` (judge
    name -> (provider, model), from the job), which may be set after they were counted."""

    judges: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    _placed: dict[tuple[str, str], Tally] = field(default_factory=dict)
    _by_judge: dict[str, Tally] = field(default_factory=dict)  # judgments without provider

    def add(self, record: Mapping[str, Any]) -> None:
        """Count one record of a paid call (anything else, or a failed call, adds nothing)."""
        usage = record.get("usage")
        if record.get("error") or not usage or not isinstance(usage, Mapping):
            return
        self._count(
            usage,
            record.get("provider"),
            record.get("model"),
            record.get("judge"),
            "judgment_key" in record,
        )

    def add_record(self, record: Record) -> None:
        """`add` for a record object, read by attribute: the run counts what it writes
        without turning the record into a dict first (the hot path)."""
        usage = getattr(record, "usage", None)
        if getattr(record, "error", None) or not usage:
            return
        self._count(
            usage,
            getattr(record, "provider", None),
            getattr(record, "model", None),
            getattr(record, "judge", None),
            isinstance(record, MetaJudgmentRecord),
        )

    def _count(
        self, usage: Mapping[str, Any], provider: Any, model: Any, judge: Any, meta: bool
    ) -> None:
        if provider is None and meta:
            provider = UNKNOWN  # a meta-judgment: never the judge's own model
        if provider is None:
            tally = self._by_judge.get(judge_name := str(judge))
            if tally is None:
                tally = self._by_judge[judge_name] = Tally()
            tally.add_usage(usage)
            return
        where = (str(provider), str(model or UNKNOWN))
        tally = self._placed.get(where)
        if tally is None:
            tally = self._placed[where] = Tally()
        tally.add_usage(usage)

    @property
    def by_model(self) -> dict[tuple[str, str], Tally]:
        """(provider, model) -> usage."""
        out = {where: _copy(t) for where, t in self._placed.items()}
        for judge, tally in self._by_judge.items():
            where = self.judges.get(judge, (UNKNOWN, UNKNOWN))
            out.setdefault(where, Tally()).add(tally)
        return out

    def counting(self, records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The records unchanged, each counted on its way (to fold the sum into a pass that
        reads them anyway)."""
        for record in records:
            self.add(record)
            yield record

    def total(self) -> Tally:
        out = Tally()
        for tally in self.by_model.values():
            out.add(tally)
        return out

    def __bool__(self) -> bool:
        """Whether any record carried usage."""
        return bool(self._placed or self._by_judge)

    def providers(self) -> dict[str, Tally]:
        out: dict[str, Tally] = {}
        for (provider, _), tally in self.by_model.items():
            out.setdefault(provider, Tally()).add(tally)
        return out

    def to_json(self) -> dict[str, Any]:
        """`{"total": {...}, "providers": {name: {..., "by_model": {model: {...}}}}}`."""
        providers: dict[str, Any] = {
            name: {**tally.to_dict(), "by_model": {}} for name, tally in self.providers().items()
        }
        for (provider, model), tally in sorted(self.by_model.items()):
            providers[provider]["by_model"][model] = tally.to_dict()
        return {"total": self.total().to_dict(), "providers": providers}


def _copy(tally: Tally) -> Tally:
    out = Tally()
    out.add(tally)
    return out


def judge_providers(job: Mapping[str, Any] | None) -> dict[str, tuple[str, str]]:
    """judge name -> (provider, model), from a job as the manifest holds it."""
    judges = (job or {}).get("judges") or []
    return {
        str(j["name"]): (str(j.get("provider")), str(j.get("model")))
        for j in judges
        if isinstance(j, Mapping) and "name" in j
    }
