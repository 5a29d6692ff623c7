"""Crash-safe, append-only JSONL checkpoints: the run store.

Paid work (model answers, judgments, answer scores) is written through to the OS as soon as
it arrives: a `kill -9` a moment later cannot lose it, so a resume never pays twice for it.
Derived records (verdicts, pairs, scores) are batched and flushed at least every second;
losing their tail only means recomputing it. Every second, what the OS holds is also
fsynced (paid records first), so a power cut loses at most about a second of work. A torn
last line is cut off when the store opens.
Every line goes through `verifiers.jsonl` (its `JsonlLog` appends, its `read` indexes).
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import TypeVar

from engine.records import (
    AnswerScoreRecord,
    JudgmentRecord,
    MetaJudgmentRecord,
    PairRecord,
    Record,
    ResponseRecord,
    ScoreRecord,
    VerdictRecord,
    key_of,
)
from engine.usage import PAID, RunUsage
from verifiers.jsonl import JsonlLog

R = TypeVar("R", bound=Record)
# Paid records are written through; derived ones are batched.
DURABLE: dict[type[Record], bool] = {
    ResponseRecord: True,
    JudgmentRecord: True,
    AnswerScoreRecord: True,
    VerdictRecord: False,
    PairRecord: False,
    ScoreRecord: False,
    MetaJudgmentRecord: True,
}


class RunStore:
    """The run folder: one log per record type and the indexes resume needs.

    Indexes map a key to a file offset (not the record), so memory grows with the number
    of finished keys only, never with answer texts.
    """

    def __init__(self, run_dir: Path, usage: RunUsage | None = None) -> None:
        self.run_dir = run_dir
        # The run's usage and cost: its records of paid calls, counted as they are read on
        # open and as they are written (engine.usage).
        self.usage = usage if usage is not None else RunUsage()
        self.logs: dict[type[Record], JsonlLog] = {
            rtype: JsonlLog(run_dir / rtype.FILE, durable=durable)
            for rtype, durable in DURABLE.items()
        }
        self._index: dict[type[Record], dict[Hashable, int]] = {t: {} for t in self.logs}
        self.failed_before: dict[type[Record], int] = {t: 0 for t in self.logs}

    def open(self) -> dict[str, int]:
        """Recover torn tails and index finished work; return bytes cut per file."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        cut: dict[str, int] = {}
        for rtype, log in self.logs.items():
            if n := log.recover():
                cut[log.path.name] = n
            index = self._index[rtype]
            paid = rtype in PAID
            for line in log.read():
                if paid:
                    self.usage.add(line.record)
                if line.record.get("error"):
                    # Failed calls are not results: they are sent again.
                    self.failed_before[rtype] += 1
                    continue
                index[key_of(rtype, line.record)] = line.offset
        return cut

    def has(self, rtype: type[Record], key: Hashable) -> bool:
        return key in self._index[rtype]

    def get(self, rtype: type[R], key: Hashable) -> R | None:
        offset = self._index[rtype].get(key)
        if offset is None:
            return None
        return rtype.from_dict(self.logs[rtype].read_at(offset))

    def put(self, record: Record) -> None:
        if type(record) in PAID:  # the usage total reads the paid records' fields
            self.usage.add_record(record)
        # orjson writes a dataclass's fields in order, as `to_dict` (dataclasses.asdict) would
        # give them, without asdict's deep copy: the same bytes (tests/engine/test_records_bytes.py)
        # at a fraction of the cost on the hot path.
        self.logs[type(record)].append(record)

    def flush(self) -> None:
        for log in self.logs.values():
            log.flush()

    def sync(self) -> None:
        """Make every record handed to the OS durable, paid ones first (blocking: the run
        calls it from a worker thread, once a second)."""
        for log in sorted(self.logs.values(), key=lambda log: not log.durable):
            log.sync()

    def close(self) -> None:
        for log in self.logs.values():
            log.close()
