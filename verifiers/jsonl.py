"""JSON Lines, read and appended: the one module every `.jsonl` file goes through.

Reading takes two policies as parameters, because files differ in what they may hold:

* `torn_tail`: a last line without its newline is a record like any other in a file a
  person wrote (``"keep"``), but a write cut short by a crash in a file the engine appends
  to (``"skip"``: the run store cuts it off on resume, the report never reads it).
* `on_bad`: a line that is not a JSON object raises `SourceError` naming the file and the
  line (``"raise"``), is passed over (``"skip"``), or goes to a callback that may raise,
  report or count it.

Blank lines are passed over. Writing is `JsonlLog`, the append-only log the run store
(engine.checkpoint) writes every record through. This module imports nothing of ours but
the error type, so source loaders and the engine share it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

from verifiers.errors import SourceError

TornTail = Literal["keep", "skip"]
OnBad = Literal["raise", "skip"] | Callable[[SourceError], None]

FLUSH_BYTES = 1 << 16
_BLOCK = 1 << 16


@dataclass(frozen=True, slots=True)
class Line:
    """One record: its 1-based line number, the byte offset where the line starts."""

    number: int
    offset: int
    record: dict[str, Any]


def read(path: Path, *, torn_tail: TornTail = "keep", on_bad: OnBad = "raise") -> Iterator[Line]:
    """The objects of a JSON Lines file, one at a time; a missing file holds none."""
    path = Path(path)
    if not path.exists():
        return
    offset = 0
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            start, offset = offset, offset + len(raw)
            if raw.isspace():
                continue
            if torn_tail == "skip" and not raw.endswith(b"\n"):
                return  # only the last line can lack its newline
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                _bad(SourceError(path, number, f"invalid JSON: {exc}"), on_bad)
                continue
            if not isinstance(obj, dict):
                what = f"expected a JSON object, got {type(obj).__name__}"
                _bad(SourceError(path, number, what), on_bad)
                continue
            yield Line(number, start, obj)


def _bad(err: SourceError, on_bad: OnBad) -> None:
    if on_bad == "raise":
        raise err
    if on_bad != "skip":
        on_bad(err)


def read_at(path: Path, offset: int) -> dict[str, Any]:
    """The object on the line that starts at `offset` (an offset `read` gave)."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        obj = orjson.loads(fh.readline())
    if not isinstance(obj, dict):
        raise SourceError(path, None, f"offset {offset}: expected a JSON object")
    return obj


def has_torn_tail(path: Path) -> bool:
    """True when the file's last line lacks its newline (a write cut short)."""
    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return False
        fh.seek(size - 1)
        return fh.read(1) != b"\n"


def cut_torn_tail(path: Path) -> int:
    """Cut a torn last line off the file; return how many bytes were cut."""
    if not path.exists() or not has_torn_tail(path):
        return 0
    with open(path, "rb+") as fh:
        size = fh.seek(0, os.SEEK_END)
        # Walk back in blocks to the last newline; everything after it is a torn write.
        pos, keep = size, 0
        while pos > 0:
            step = min(pos, _BLOCK)
            pos -= step
            fh.seek(pos)
            nl = fh.read(step).rfind(b"\n")
            if nl >= 0:
                keep = pos + nl + 1
                break
        fh.truncate(keep)
    return size - keep


class JsonlLog:
    """One append-only JSON Lines file with a write buffer.

    `durable` logs hand every line to the OS as it is appended (a `kill -9` a moment later
    cannot lose it); the others buffer up to FLUSH_BYTES until `flush`. A line is written
    with one `write`, so lines stay whole. What the OS holds reaches stable storage (a power
    cut cannot lose it) when `sync` runs: the run store calls it every second, from a worker
    thread, so appends never wait on the disk.
    """

    def __init__(self, path: Path, *, durable: bool) -> None:
        self.path = path
        self.durable = durable
        self._buf = bytearray()
        self._fd: int | None = None
        # Writes handed to the OS, and how many of them the last `sync` covered (counted,
        # not flagged, so a write during a sync in another thread is not missed).
        self._written = 0
        self._synced = 0
        self._new_entry = False  # the file was created: its folder entry needs a sync too

    def recover(self) -> int:
        """Cut a torn last line (see `cut_torn_tail`); return how many bytes were cut."""
        return cut_torn_tail(self.path)

    def read(self, *, on_bad: OnBad = "skip") -> Iterator[Line]:
        return read(self.path, torn_tail="skip", on_bad=on_bad)

    def read_at(self, offset: int) -> dict[str, Any]:
        return read_at(self.path, offset)

    def append(self, obj: Any) -> None:
        """One line: a JSON object, or a dataclass (orjson writes its fields in order)."""
        self._buf += orjson.dumps(obj)
        self._buf += b"\n"
        if self.durable or len(self._buf) >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self._buf:
            return
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._new_entry = not self.path.exists()
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        data, self._buf = bytes(self._buf), bytearray()
        view = memoryview(data)
        while view:  # a single write of a line keeps lines whole; loop only on short writes
            written = os.write(self._fd, view)
            view = view[written:]
        self._written += 1

    def sync(self) -> bool:
        """Make what was handed to the OS durable (fsync; also the folder entry of a file
        this log created). Safe from another thread than the one appending. True if it
        had anything to do."""
        fd, target = self._fd, self._written
        if fd is None or target == self._synced:
            return False
        os.fsync(fd)
        if self._new_entry:
            sync_dir(self.path.parent)
            self._new_entry = False
        self._synced = target
        return True

    def close(self) -> None:
        self.flush()
        if self._fd is not None:
            self.sync()
            os.close(self._fd)
            self._fd = None


def sync_dir(folder: Path) -> None:
    """fsync a folder, so that files created or renamed in it survive a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
