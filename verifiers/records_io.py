"""The loader skeleton every source format shares, and its streaming record readers.

A format states what it does with one raw record as a `RecordReader`: the fields it
requires, a filter on the raw record, and a builder that raises ValueError/TypeError on a
malformed record. `Loader` turns a function making such a reader (from the format's
options) into the format's `load(path, *, limit, on_error, report, hf_*, **options)`:
records stream from a file (JSON Lines through `verifiers.jsonl`, a JSON array, parquet)
or a Hugging Face dataset, and a malformed one raises `SourceError` naming file and line
(``on_error="fail"``) or goes to `report` (``"skip"``). `Loader.wanted` streams the raw
records the filter keeps without building them, which is cheap enough to count.

A JSON array has to be parsed whole (the format forces it; MMLU-Pro's own release is one),
and parquet is read one row group at a time.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import orjson

from verifiers import jsonl
from verifiers.errors import OnError, SourceError

T = TypeVar("T")
Report = Callable[[str], Any] | None
Raw = dict[str, Any]
# The Hugging Face options every loader handles itself.
HF_OPTIONS = frozenset({"hf_dataset", "hf_split", "hf_config"})


@dataclass(frozen=True, slots=True)
class RecordReader(Generic[T]):
    """What one source format does with each raw record."""

    build: Callable[[Raw], T]  # raises ValueError/TypeError on a malformed record
    required: tuple[str, ...] = ()  # fields that must be present and not null
    wanted: Callable[[Raw], bool] = lambda rec: True  # the format's filters


class Loader(Generic[T]):
    """A source format's `load`, made from its `reader(**options) -> RecordReader`."""

    def __init__(self, reader: Callable[..., RecordReader[T]]) -> None:
        self.reader = reader

    def options(self) -> set[str]:
        """The keyword options a job may give this format."""
        return set(inspect.signature(self.reader).parameters) | HF_OPTIONS

    def __call__(
        self,
        path: Path,
        *,
        limit: int | None = None,
        on_error: str = "fail",
        report: Report = None,
        hf_dataset: str | None = None,
        hf_split: str = "test",
        hf_config: str | None = None,
        **options: Any,
    ) -> Iterator[T]:
        """Stream items, at most `limit`; see the module docstring."""
        reader = self.reader(**options)
        policy = check_on_error(on_error)
        records = source_records(
            path,
            on_error=policy,
            report=report,
            hf_dataset=hf_dataset,
            hf_split=hf_split,
            hf_config=hf_config,
        )
        return stream(reader, records, path, limit=limit, on_error=policy, report=report)

    def wanted(
        self, path: Path, *, limit: int | None = None, hf_dataset: str | None = None, **options: Any
    ) -> Iterator[Raw] | None:
        """The raw records `load` would build (malformed lines left out, built ones not
        checked), or None for a Hugging Face dataset, which is not streamed twice."""
        if hf_dataset:
            return None
        options = {k: v for k, v in options.items() if k not in HF_OPTIONS}
        return wanted_records(self.reader(**options), Path(path), limit)


def wanted_records(reader: RecordReader[Any], path: Path, limit: int | None) -> Iterator[Raw]:
    """The raw records of a file that `reader` keeps, at most `limit`, none built."""
    n = 0
    for line, rec in iter_records(path, on_error="skip"):
        if limit is not None and n >= limit:
            return
        if require(rec, reader.required, path, line) is None and reader.wanted(rec):
            n += 1
            yield rec


def stream(
    reader: RecordReader[T],
    records: Iterator[tuple[int, Raw]],
    path: Path,
    *,
    limit: int | None,
    on_error: OnError,
    report: Report,
) -> Iterator[T]:
    """Items built from `records` (line, record): required fields, filter, build, limit."""
    count = 0
    for line, rec in records:
        if limit is not None and count >= limit:
            return
        missing = require(rec, reader.required, path, line)
        if missing:
            bad_record(missing, on_error, report)
            continue
        if not reader.wanted(rec):
            continue
        try:
            item = reader.build(rec)
        except (ValueError, TypeError) as exc:
            bad_record(SourceError(path, line, str(exc)), on_error, report)
            continue
        count += 1
        yield item


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
) -> Iterator[tuple[int, Raw]]:
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
    def bad(err: SourceError) -> None:
        bad_record(err, on_error, report)

    # A file a person wrote may end without a newline: its last line is a record.
    for line in jsonl.read(path, torn_tail="keep", on_bad=bad):
        yield line.number, line.record


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
