"""Streaming readers for source files: one record at a time, errors named by file and line.

JSON Lines are read line by line. A JSON array has to be parsed whole (the format
forces it; MMLU-Pro's own release is one), and parquet is read one row group at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from verifiers.errors import OnError, SourceError

Report = Callable[[str], Any] | None


def check_on_error(on_error: str) -> OnError:
    if on_error not in ("skip", "fail"):
        raise ValueError(f"on_error must be 'skip' or 'fail', not {on_error!r}")
    return on_error  # type: ignore[return-value]


def bad_record(err: SourceError, on_error: OnError, report: Report) -> None:
    """Raise `err` (on_error='fail') or hand its message to `report` and carry on."""
    if on_error == "fail":
        raise err
    if report is not None:
        report(str(err))


def iter_records(
    path: Path, *, on_error: OnError = "fail", report: Report = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line or record number, record)`` from .jsonl, .json or .parquet files."""
    path = Path(path)
    if not path.exists():
        raise SourceError(path, None, "file not found")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        yield from _parquet(path)
    elif suffix == ".json" and _starts_with_array(path):
        yield from _json_array(path, on_error, report)
    else:
        yield from _json_lines(path, on_error, report)


def source_records(
    path: Path,
    *,
    on_error: OnError,
    report: Report,
    hf_dataset: str | None = None,
    hf_split: str = "test",
    hf_config: str | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """A loader's records: from a Hugging Face dataset when one is named, else from `path`."""
    if hf_dataset:
        from verifiers.hf import iter_hf

        return iter_hf(hf_dataset, split=hf_split, config=hf_config)
    return iter_records(path, on_error=on_error, report=report)


def _json_lines(
    path: Path, on_error: OnError, report: Report
) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open("rb") as f:
        for n, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                rec = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                bad_record(SourceError(path, n, f"invalid JSON: {exc}"), on_error, report)
                continue
            if not isinstance(rec, dict):
                msg = f"expected a JSON object, got {type(rec).__name__}"
                bad_record(SourceError(path, n, msg), on_error, report)
                continue
            yield n, rec


def _starts_with_array(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(64).lstrip()
    return head.startswith(b"[")


def _json_array(
    path: Path, on_error: OnError, report: Report
) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise SourceError(path, None, f"invalid JSON: {exc}") from None
    for n, rec in enumerate(data, start=1):
        if not isinstance(rec, dict):
            msg = f"record {n}: expected a JSON object, got {type(rec).__name__}"
            bad_record(SourceError(path, n, msg), on_error, report)
            continue
        yield n, rec


def _parquet(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        raise SourceError(
            path, None, "reading parquet needs pyarrow (pip install 'judgeflow[hf]')"
        ) from None
    n = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=256):
        for rec in batch.to_pylist():
            n += 1
            yield n, rec


def require(
    rec: dict[str, Any], fields: tuple[str, ...], path: Path, line: int
) -> SourceError | None:
    """The error for the first missing field, or None when all are present."""
    for name in fields:
        if name not in rec or rec[name] is None:
            return SourceError(path, line, f"missing field {name!r}")
    return None
