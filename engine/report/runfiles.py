"""Reading a run folder's JSONL files for the report: streamed, tolerant of a torn tail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson


def iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Objects of a JSONL file, one at a time; a missing file is empty.

    A torn last line (a run killed mid-write) and blank lines are skipped: the report
    describes what was durably written, and the engine cuts the same tail on resume.
    """
    if not path.exists():
        return
    with open(path, "rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip() or not line.endswith(b"\n"):
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise ValueError(f"{path}, line {lineno}: not valid JSON ({exc})") from None
            if isinstance(obj, dict):
                yield obj


def read_json(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    obj = orjson.loads(path.read_bytes())
    return obj if isinstance(obj, dict) else None
