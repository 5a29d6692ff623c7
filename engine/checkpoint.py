"""Crash-safe, append-only JSONL checkpoints.

Paid work (model answers, judgments) is written through to the OS as soon as it arrives:
a `kill -9` a moment later cannot lose it, so a resume never pays twice for it. Derived
records (verdicts, pairs, scores) are batched and flushed at least every second; losing
their tail only means recomputing it. A torn last line is cut off when the file is opened.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import orjson

from engine.records import (
    JudgmentRecord,
    PairRecord,
    Record,
    ResponseRecord,
    ScoreRecord,
    VerdictRecord,
)

R = TypeVar("R", bound=Record)
FLUSH_BYTES = 1 << 16


class JsonlLog:
    """One append-only JSONL file with a write buffer."""

    def __init__(self, path: Path, *, durable: bool) -> None:
        self.path = path
        self.durable = durable
        self.torn_bytes = 0
        self.bad_lines = 0
        self._buf = bytearray()
        self._fd: int | None = None

    def recover(self) -> int:
        """Drop a torn last line (no trailing newline); return how many bytes were cut."""
        if not self.path.exists():
            return 0
        with open(self.path, "rb+") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size == 0:
                return 0
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return 0
            # Walk back in blocks to the last newline; everything after it is a torn write.
            pos, keep = size, 0
            while pos > 0:
                step = min(pos, 1 << 16)
                pos -= step
                fh.seek(pos)
                block = fh.read(step)
                nl = block.rfind(b"\n")
                if nl >= 0:
                    keep = pos + nl + 1
                    break
            fh.truncate(keep)
            self.torn_bytes = size - keep
            return self.torn_bytes

    def scan(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Yield (offset, object) for every readable line; unreadable lines are counted."""
        if not self.path.exists():
            return
        offset = 0
        with open(self.path, "rb") as fh:
            for line in fh:
                start, offset = offset, offset + len(line)
                try:
                    obj = orjson.loads(line)
                except orjson.JSONDecodeError:
                    self.bad_lines += 1
                    continue
                if isinstance(obj, dict):
                    yield start, obj

    def read_at(self, offset: int) -> dict[str, Any]:
        with open(self.path, "rb") as fh:
            fh.seek(offset)
            return orjson.loads(fh.readline())

    def append(self, obj: dict[str, Any]) -> None:
        self._buf += orjson.dumps(obj)
        self._buf += b"\n"
        if self.durable or len(self._buf) >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self._buf:
            return
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        data, self._buf = bytes(self._buf), bytearray()
        view = memoryview(data)
        while view:  # a single write of a line keeps lines whole; loop only on short writes
            written = os.write(self._fd, view)
            view = view[written:]

    def close(self) -> None:
        self.flush()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class RunStore:
    """The run folder: one log per record type and the indexes resume needs.

    Indexes map a key to a file offset (not the record), so memory grows with the number
    of finished keys only, never with answer texts.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.logs: dict[type[Record], JsonlLog] = {
            ResponseRecord: JsonlLog(run_dir / ResponseRecord.FILE, durable=True),
            JudgmentRecord: JsonlLog(run_dir / JudgmentRecord.FILE, durable=True),
            VerdictRecord: JsonlLog(run_dir / VerdictRecord.FILE, durable=False),
            PairRecord: JsonlLog(run_dir / PairRecord.FILE, durable=False),
            ScoreRecord: JsonlLog(run_dir / ScoreRecord.FILE, durable=False),
        }
        self._index: dict[type[Record], dict[Any, int]] = {t: {} for t in self.logs}
        self.failed_before: dict[type[Record], int] = {t: 0 for t in self.logs}

    def open(self) -> dict[str, int]:
        """Recover torn tails and index finished work; return bytes cut per file."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        cut: dict[str, int] = {}
        for rtype, log in self.logs.items():
            if n := log.recover():
                cut[log.path.name] = n
            index = self._index[rtype]
            for offset, obj in log.scan():
                key = _key_of(rtype, obj)
                if obj.get("error"):
                    # Failed calls are not results: they are sent again.
                    self.failed_before[rtype] += 1
                    continue
                index[key] = offset
        return cut

    def has(self, rtype: type[Record], key: Any) -> bool:
        return key in self._index[rtype]

    def get(self, rtype: type[R], key: Any) -> R | None:
        offset = self._index[rtype].get(key)
        if offset is None:
            return None
        return rtype.from_dict(self.logs[rtype].read_at(offset))

    def count(self, rtype: type[Record]) -> int:
        return len(self._index[rtype])

    def put(self, record: Record) -> None:
        self.logs[type(record)].append(record.to_dict())

    def iter_records(self, rtype: type[R]) -> Iterator[R]:
        for _, obj in self.logs[rtype].scan():
            yield rtype.from_dict(obj)

    def flush(self) -> None:
        for log in self.logs.values():
            log.flush()

    def close(self) -> None:
        for log in self.logs.values():
            log.close()


def _key_of(rtype: type[Record], obj: dict[str, Any]) -> Any:
    if rtype is ScoreRecord:
        return (obj.get("pair_id"), obj.get("judge"))
    if rtype is PairRecord:
        return obj.get("pair_id")
    if rtype is VerdictRecord:
        return obj.get("response_key")
    return obj.get("request_key")
