"""The run counts a paid record as it writes it, from the record object (`add_record`); the
same record read back from its file is counted by `add` from the dict. Both must give the
same totals, for every paid record type and every way a record places its usage."""

from __future__ import annotations

from dataclasses import fields

from engine.records import (
    AnswerScoreRecord,
    JudgmentRecord,
    MetaJudgmentRecord,
    ResponseRecord,
)
from engine.usage import TOKENS, RunUsage, Tally

USAGE = {
    "input_tokens": 120,
    "output_tokens": 33,
    "reasoning_tokens": 7,
    "cached_tokens": 64,
    "cache_write_tokens": 5,
    "cache_write_1h_tokens": 2,
    "cost": 0.0125,
}

RECORDS = [
    ResponseRecord("r1", "q1", "mmlu-pro", 0, "openai", "gpt", "text", usage=USAGE),
    ResponseRecord("r2", "q1", "mmlu-pro", 1, "openai", "gpt", "t", usage={**USAGE, "calls": 0}),
    # A failed call carries no usage worth counting, whatever its dict says.
    ResponseRecord("r3", "q2", "mmlu-pro", 0, "openai", "gpt", None, usage=USAGE, error="server"),
    JudgmentRecord(
        "j1", "p1", "vanilla", "AB", "A", "A>B", usage=USAGE, provider="anth", model="c"
    ),
    # Written before judgments named their provider: placed by the judge's name.
    JudgmentRecord("j2", "p1", "vanilla", "BA", "B", "B>A", usage={**USAGE, "calls": 2}),
    JudgmentRecord("j3", "p1", "vanilla", "BA", None, None, usage={}),
    AnswerScoreRecord("s1", "rm", "vllm", "reward", 0.5, usage=USAGE),
    # A meta-judgment without a provider is never the judge's own model.
    MetaJudgmentRecord("m1", "j1", "p1", "vanilla", "AB", "{}", usage=USAGE),
    MetaJudgmentRecord("m2", "j1", "p1", "vanilla", "BA", "{}", usage=USAGE, provider="g"),
]


def as_dict(record: object) -> dict[str, object]:
    return {f.name: getattr(record, f.name) for f in fields(record)}  # type: ignore[arg-type]


def test_add_record_counts_as_add_of_the_written_dict() -> None:
    by_object, by_dict = RunUsage(), RunUsage()
    for record in RECORDS:
        by_object.add_record(record)
        by_dict.add(as_dict(record))
    by_object.judges = by_dict.judges = {"vanilla": ("anth", "c")}
    assert by_object.to_json() == by_dict.to_json()
    total = by_object.total()
    # Seven records carry usage: five of one call, one of none ("calls": 0) and one of two;
    # the failed record and the empty usage add nothing.
    assert total.calls == 7
    assert total.input_tokens == 7 * 120
    assert set(by_object.to_json()["providers"]) == {"openai", "anth", "vllm", "?", "g"}


def test_add_usage_is_add_of_tally_of_for_every_field() -> None:
    for usage in (USAGE, {**USAGE, "calls": 3}, {}, {"input_tokens": None, "cost": None}):
        fast, slow = Tally(), Tally()
        fast.add_usage(usage)
        slow.add(Tally.of(usage))
        assert fast == slow, usage
    # A new token field must be added to both ways of counting.
    assert set(TOKENS) <= {f.name for f in fields(Tally)}
    assert {f.name for f in fields(Tally)} == {"calls", "cost", *TOKENS}
