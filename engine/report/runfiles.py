"""Reading a run folder's JSONL files for the report: streamed, tolerant of a torn tail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from verifiers import jsonl


def iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Objects of a JSONL file, one at a time; a missing file is empty.

    A torn last line (a run killed mid-write) and blank lines are skipped: the report
    describes what was durably written, and the engine cuts the same tail on resume. A line
    that is not a JSON object raises `SourceError` (a ValueError) naming file and line.
    """
    for line in jsonl.read(path, torn_tail="skip", on_bad="raise"):
        yield line.record


def read_json(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    obj = orjson.loads(path.read_bytes())
    return obj if isinstance(obj, dict) else None
