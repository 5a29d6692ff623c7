"""Records are written by orjson straight from the dataclass (engine.checkpoint.RunStore.put):
the bytes must be those of `Record.to_dict()` (dataclasses.asdict), which earlier runs wrote
and resume reads back."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import orjson
import pytest

from engine.checkpoint import RunStore
from engine.records import (
    RECORD_TYPES,
    AnswerScoreRecord,
    JudgmentRecord,
    MetaJudgmentRecord,
    PairRecord,
    Record,
    ResponseRecord,
    ScoreRecord,
    VerdictRecord,
)

USAGE = {"input_tokens": 12, "output_tokens": 3, "cost": 1.5e-05, "calls": 2, "ratio": 0.1 + 0.2}
SENT = {"family": "gpt-4o", "temperature": 0.0, "max_tokens": 64, "notes": ("a", "b"), "n": 3}
TEXT = 'Ünïcode "quotes" \\ back\nslash \u2028 and \x00 nul, emoji \U0001f600'

EXAMPLES: list[Record] = [
    ResponseRecord("rk", "q1", "mmlu_pro", 0, "p", "m", TEXT, "stop", USAGE, sent=SENT),
    ResponseRecord("rk2", "q1", "mmlu_pro", 1, "p", "m", None, error="timeout", error_message=TEXT),
    VerdictRecord("rk", "q1", "mmlu_pro", "mmlu_pro", True, 1.0, "B", TEXT, "checked"),
    VerdictRecord("rk", "q1", "lcb", "code", None, 0.0, None, "wall clock", "timeout"),
    PairRecord("p1", 7, "mmlu-pro-law", TEXT, "m", TEXT, "x", "A>B", "ka", "kb", "q1"),
    PairRecord("p2", None, "s", "q", "m", "a", "b", "B>A"),
    JudgmentRecord("jk", "p1", "j", "BA", TEXT, "A=B", USAGE, finish_reason="length", sent=SENT),
    JudgmentRecord("jk", "p1", "j", "AB", None, None, error="rate_limit", request_id="req_1"),
    ScoreRecord("p1", "j", "s", "A>B", "A>B", None, "incorrect", "m"),
    MetaJudgmentRecord("mk", "jk", "p1", "j", "AB", TEXT, {"a": 4, "b": 5}, 4.5, USAGE),
    AnswerScoreRecord("sk", "rm", "p", "m", -0.25, "rk", USAGE),
]


def test_every_record_type_has_an_example() -> None:
    assert {type(r) for r in EXAMPLES} == set(RECORD_TYPES)


@pytest.mark.parametrize("record", EXAMPLES, ids=lambda r: type(r).__name__)
def test_orjson_of_the_dataclass_is_the_bytes_of_to_dict(record: Record) -> None:
    assert orjson.dumps(record) == orjson.dumps(record.to_dict())
    # Field order and names: those of the dataclass, as before.
    assert list(orjson.loads(orjson.dumps(record))) == [f.name for f in fields(record)]


def test_the_store_writes_those_bytes_and_reads_them_back(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.open()
    for record in EXAMPLES:
        store.put(record)
    store.close()
    for rtype in RECORD_TYPES:
        expected = b"".join(orjson.dumps(r.to_dict()) + b"\n" for r in EXAMPLES if type(r) is rtype)
        assert (tmp_path / rtype.FILE).read_bytes() == expected
    again = RunStore(tmp_path)
    again.open()
    assert again.get(ScoreRecord, ("p1", "j")) == EXAMPLES[8]
