"""`Keyed`: the report's lines as growing columns that spill to disk by key range.

Each JSONL line the report reads becomes a 64-bit key hash and a few small numbers. Held
in memory that is ~12 bytes a line, so ten million judgments are over 100 MiB before the
sort that keeps the last line per key doubles it. Past `SPILL_LINES` lines, a `Keyed`
instead writes its lines to an unnamed temporary file, cut into `PARTS` ranges of the key
(the hash's top byte), and `parts()` reads them back one range at a time, every range's
lines still in file order. A caller that aggregates range by range (counts, joins of two
`Keyed` on the same key) then holds one range, about 1/256 of the lines, at a time; the
memory is the write buffer's, whatever the number of lines. Below the threshold nothing
touches the disk.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Iterator
from typing import IO, Any

import numpy as np

# Lines held in memory before they spill (~3 MiB for a key and three small fields).
SPILL_LINES = 1 << 18
# Ranges of the key: its top byte, so the ranges in order are the keys in order.
PARTS = 256

Columns = tuple[np.ndarray, list[np.ndarray]]


def first_and_last(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sorted distinct keys, index of each one's first line, of its last line), with one
    stable sort: an index array and a sorted copy are all the extra memory."""
    if not len(keys):
        none = np.zeros(0, np.int64)
        return keys[:0], none, none
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    new = np.ones(len(ordered), bool)
    new[1:] = ordered[1:] != ordered[:-1]
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(ordered)) - 1
    return ordered[starts], order[starts], order[ends]


def last_per_key(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct keys, the index of each one's last line): later lines win."""
    distinct, _, last = first_and_last(keys)
    return distinct, last


def frozen(part: Columns) -> Columns:
    """(sorted distinct keys, each field at the key's last line) of some lines."""
    keys, fields = part
    distinct, last = last_per_key(keys)
    return distinct, [f[last] for f in fields]


def _ranges(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a stable order that groups lines by key range, where each range starts in it)."""
    part = (keys >> 56) + PARTS // 2  # arithmetic shift: -128..127 -> 0..255, in key order
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(PARTS + 1))
    return order, bounds


def _joined(keys: list[np.ndarray], fields: list[list[np.ndarray]]) -> Columns:
    """Pieces of columns joined one column at a time, each column's pieces let go as it
    is: the peak is the result and one column's pieces, not the result twice."""
    out = np.concatenate(keys)
    keys.clear()
    joined = []
    for pieces in fields:
        joined.append(np.concatenate(pieces))
        pieces.clear()
    return out, joined


class Keyed:
    """Growing columns: a 64-bit key per line and one number per field (`array` type
    codes: a small integer, or "d" for a float), spilled by key range past
    `spill_lines` lines (module docstring)."""

    def __init__(self, *codes: str, spill_lines: int | None = None) -> None:
        self.keys = array("q")
        self.fields: list[array[Any]] = [array(c) for c in codes]
        self._codes = codes
        self._dtypes = [np.asarray(f).dtype for f in self.fields]
        self._cap = SPILL_LINES if spill_lines is None else spill_lines
        self._file: IO[bytes] | None = None
        self._chunks: list[list[tuple[int, int]]] = [[] for _ in range(PARTS)]  # (offset, n)
        self._spilled = 0

    def add(self, key: int, *values: float) -> None:
        self.keys.append(key)
        for f, v in zip(self.fields, values, strict=True):
            f.append(v)
        if len(self.keys) >= self._cap:
            self._spill()

    def __len__(self) -> int:
        return self._spilled + len(self.keys)

    @property
    def spilled(self) -> bool:
        return self._file is not None

    def _held(self) -> Columns:
        return np.frombuffer(self.keys, np.int64), [np.asarray(f) for f in self.fields]

    def _spill(self) -> None:
        """The held lines to the file, one chunk per key range, in file order."""
        if not self.keys:
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="judgeflow-report-")
        keys, fields = self._held()
        order, bounds = _ranges(keys)
        keys = keys[order]
        fields = [f[order] for f in fields]
        fh = self._file
        fh.seek(0, os.SEEK_END)  # after a read-back, the position is inside the file
        for p in range(PARTS):
            lo, hi = int(bounds[p]), int(bounds[p + 1])
            if lo == hi:
                continue
            self._chunks[p].append((fh.tell(), hi - lo))
            fh.write(keys[lo:hi].tobytes())
            for f in fields:
                fh.write(f[lo:hi].tobytes())
        self._spilled += len(keys)
        self.keys = array("q")
        self.fields = [array(c) for c in self._codes]

    def _read(self, p: int) -> Columns:
        fh = self._file
        assert fh is not None
        keys: list[np.ndarray] = []
        fields: list[list[np.ndarray]] = [[] for _ in self._dtypes]
        for offset, n in self._chunks[p]:
            fh.seek(offset)
            keys.append(np.frombuffer(fh.read(8 * n), np.int64))
            for out, dtype in zip(fields, self._dtypes, strict=True):
                out.append(np.frombuffer(fh.read(dtype.itemsize * n), dtype))
        if not keys:
            return np.zeros(0, np.int64), [np.zeros(0, d) for d in self._dtypes]
        return _joined(keys, fields)

    def parts(self) -> Iterator[Columns]:
        """Every line, as `PARTS` ranges of the key in key order (the same ranges for every
        `Keyed`, so two of them join range by range), each range's lines in file order."""
        if self._file is None:
            keys, fields = self._held()
            order, bounds = _ranges(keys)
            for p in range(PARTS):
                at = order[bounds[p] : bounds[p + 1]]
                yield keys[at], [f[at] for f in fields]
            return
        self._spill()  # the rest, so every line of a range is in the file
        self._file.flush()
        for p in range(PARTS):
            yield self._read(p)

    def freeze(self) -> Columns:
        """(sorted distinct keys, each field at the key's last line): the size of the
        distinct keys, whatever the number of lines."""
        if self._file is None:
            return frozen(self._held())
        keys: list[np.ndarray] = []
        fields: list[list[np.ndarray]] = [[] for _ in self._dtypes]
        for part in self.parts():
            k, fs = frozen(part)
            keys.append(k)
            for out, f in zip(fields, fs, strict=True):
                out.append(f)
        return _joined(keys, fields)

    def distinct(self) -> int:
        """How many distinct keys the lines hold."""
        return sum(len(np.unique(keys)) for keys, _ in self.parts())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
