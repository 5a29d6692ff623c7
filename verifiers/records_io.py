"""The loader skeleton every source format shares, and its streaming record readers.

A format states what it does with one raw record as a `RecordReader`: the fields it
requires, a filter on the raw record, a builder that raises ValueError/TypeError on a
malformed record, and the key that must be unique (a question's id). Its options are a
typed `LoaderOptions` model (filters and settings; the Hugging Face fields are common to
every format), so a job's `options:` are checked by `validate` like every other field.
`Loader` turns a function making such a reader (from the options) into the format's
`load(path, *, limit, on_error, report, seen, on_empty, progress, **options)`: records
stream from a file (JSON Lines through `verifiers.jsonl`, a JSON array, parquet) or a
Hugging Face dataset (`verifiers.hf`), and a malformed one, or one whose key was seen
before (in this file or in another source of the run, given the same `seen`), raises
`SourceError` naming file and line (``on_error="fail"``) or goes to `report` (``"skip"``).
A source that yields nothing calls `on_empty` with a message naming the filters.
`Loader.wanted` streams the raw records the filter keeps without building them, which is
cheap enough to count. A `ReadProgress` given to either is kept up to date with how far
the input has been read, so the engine can estimate a source's size from one pass
(engine.stages.totals).

A JSON array has to be parsed whole (the format forces it; MMLU-Pro's own release is one),
and parquet is read one row group at a time.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from verifiers import jsonl
from verifiers.errors import OnError, SourceError
from verifiers.seen_keys import SeenKeys

T = TypeVar("T")
Opts = TypeVar("Opts", bound="LoaderOptions")
Report = Callable[[str], Any] | None
Raw = dict[str, Any]
# Where each key was first seen, shared by the sources of one run (verifiers.seen_keys).
Seen = SeenKeys


class LoaderOptions(BaseModel):
    """A source format's `options:`; a format subclasses it with its filters and settings.

    The Hugging Face fields are every format's: `hf_dataset` names a dataset on the Hub, or
    a folder holding one (written by `save_to_disk`, or data files such as parquet shards),
    read instead of the source's file (extra `hf`; see `verifiers.hf`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    # The fields that select records (named when a source comes out empty).
    FILTERS: ClassVar[tuple[str, ...]] = ()

    hf_dataset: str | None = None
    hf_split: str = "test"
    hf_config: str | None = None

    def filters(self) -> str:
        """The filters in force, as `name=value` (empty when none is)."""
        given = [(n, getattr(self, n)) for n in self.FILTERS if getattr(self, n) is not None]
        return ", ".join(f"{n}={_shown(v)}" for n, v in given)


def _shown(value: Any) -> str:
    return repr([str(v) for v in value]) if isinstance(value, list | tuple) else repr(str(value))


@dataclass(slots=True)
class ReadProgress:
    """How far a loader has read its input: `done` of `size` units, bytes of a JSON Lines
    file or records of a JSON array or parquet file, up to the end of the last record read.
    `size` is None until the input is open, and stays None for a Hugging Face dataset."""

    done: int = 0
    size: int | None = None
    unit: str = "bytes"

    @property
    def fraction(self) -> float | None:
        """The share of the input read so far, or None when its size is unknown."""
        if not self.size:
            return None
        return min(1.0, self.done / self.size)


@dataclass(frozen=True, slots=True)
class RecordReader(Generic[T]):
    """What one source format does with each raw record."""

    build: Callable[[Raw], T]  # raises ValueError/TypeError on a malformed record
    required: tuple[str, ...] = ()  # fields that must be present and not null
    wanted: Callable[[Raw], bool] = lambda rec: True  # the format's filters
    key: Callable[[T], str] | None = None  # what must be unique (a question's id)
    what: str = "question"  # what one item is, in messages


class Loader(Generic[T, Opts]):
    """A source format's `load`, made from its options model and `reader(options)`.

    `hf_files(config)` names the data files of a Hugging Face dataset that is a set of
    files rather than a dataset with splits (LiveCodeBench's releases), or None.
    """

    def __init__(
        self,
        reader: Callable[[Opts], RecordReader[T]],
        schema: type[Opts],
        *,
        hf_files: Callable[[str | None], list[str]] | None = None,
    ) -> None:
        self.reader = reader
        self.schema = schema
        self.hf_files = hf_files

    def options(self) -> set[str]:
        """The option names a job may give this format."""
        return set(self.schema.model_fields)

    def parse(self, options: dict[str, Any]) -> Opts:
        """The typed options; a bad one raises ValueError naming it (see `problems`)."""
        problems = self.problems(options)
        if problems:
            raise ValueError(
                "; ".join(f"option {'.'.join(map(str, loc))}: {m}" for loc, m in problems)
            )
        return self.schema.model_validate(options)

    def problems(self, options: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
        """Every problem with a job's options, as (location inside `options`, message)."""
        try:
            self.schema.model_validate(options)
        except ValidationError as exc:
            out: list[tuple[tuple[str | int, ...], str]] = []
            known = sorted(self.schema.model_fields)
            for err in exc.errors():
                loc = tuple(err["loc"])
                if err["type"] == "extra_forbidden":
                    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
                    hint = (
                        f"; did you mean {close[0]!r}?"
                        if close
                        else f" (known: {', '.join(known)})"
                    )
                    out.append((loc, f"unknown option for {self.name}{hint}"))
                else:
                    out.append((loc, f"{err['msg']} (got {err.get('input')!r})"))
            return out
        return []

    @property
    def name(self) -> str:
        return self.schema.__module__.rsplit(".", 1)[-1]

    def __call__(
        self,
        path: Path,
        *,
        limit: int | None = None,
        on_error: str = "fail",
        report: Report = None,
        seen: Seen | None = None,
        on_empty: Report = None,
        progress: ReadProgress | None = None,
        **options: Any,
    ) -> Iterator[T]:
        """Stream items, at most `limit`; see the module docstring."""
        opts = self.parse(options)
        reader = self.reader(opts)
        policy = check_on_error(on_error)
        if opts.hf_dataset:
            from verifiers.hf import iter_hf

            files = self.hf_files(opts.hf_config) if self.hf_files else None
            records = iter_hf(
                opts.hf_dataset, split=opts.hf_split, config=opts.hf_config, files=files
            )
            path = Path(f"hf:{opts.hf_dataset}[{opts.hf_split}]")
        else:
            records = iter_records(path, on_error=policy, report=report, progress=progress)
        items = stream(
            reader, records, path, limit=limit, on_error=policy, report=report, seen=seen
        )
        if on_empty is None or limit == 0:
            return items
        return _warn_if_empty(items, opts, path, on_empty)

    def wanted(
        self,
        path: Path,
        *,
        limit: int | None = None,
        progress: ReadProgress | None = None,
        **options: Any,
    ) -> Iterator[Raw] | None:
        """The raw records `load` would build (malformed lines left out, built ones not
        checked), or None for a Hugging Face dataset, which is not streamed twice."""
        opts = self.parse(options)
        if opts.hf_dataset:
            return None
        return wanted_records(self.reader(opts), Path(path), limit, progress)


def _warn_if_empty(
    items: Iterator[T], opts: LoaderOptions, path: Path, on_empty: Callable[[str], Any]
) -> Iterator[T]:
    n = 0
    for item in items:
        n += 1
        yield item
    if n == 0:
        filters = opts.filters()
        why = f"no record passed the filters {filters}" if filters else "it holds no records"
        on_empty(f"{path}: 0 questions: {why}")


def wanted_records(
    reader: RecordReader[Any],
    path: Path,
    limit: int | None,
    progress: ReadProgress | None = None,
) -> Iterator[Raw]:
    """The raw records of a file that `reader` keeps, at most `limit`, none built."""
    n = 0
    for line, rec in iter_records(path, on_error="skip", progress=progress):
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
    seen: Seen | None = None,
) -> Iterator[T]:
    """Items built from `records` (line, record): required fields, filter, build, a key
    not seen before (in `seen`, shared across files, or in this file), limit."""
    count = 0
    seen = SeenKeys() if seen is None else seen
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
        if reader.key is not None:
            key = reader.key(item)
            first = seen.first(key)
            if first is not None:
                msg = f"duplicate {reader.what} id {key!r} (first at {first})"
                bad_record(SourceError(path, line, msg), on_error, report)
                continue
            seen.add(key, str(path), line)
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
    path: Path,
    *,
    on_error: OnError = "fail",
    report: Report = None,
    progress: ReadProgress | None = None,
) -> Iterator[tuple[int, Raw]]:
    """Yield ``(line or record number, record)`` from .jsonl, .json or .parquet files;
    `progress`, when given, follows the reading."""
    path = Path(path)
    if not path.exists():
        raise SourceError(path, None, "file not found")
    suffix = path.suffix.lower()
    progress = progress if progress is not None else ReadProgress()
    if suffix == ".parquet":
        records = _parquet(path, progress)
    elif suffix == ".json" and _starts_with_array(path):
        records = _json_array(path, on_error, report, progress)
    else:
        records = _json_lines(path, on_error, report, progress)
    yield from records
    progress.done = progress.size or progress.done


def _json_lines(
    path: Path, on_error: OnError, report: Report, progress: ReadProgress
) -> Iterator[tuple[int, dict[str, Any]]]:
    def bad(err: SourceError) -> None:
        bad_record(err, on_error, report)

    progress.size, progress.unit = path.stat().st_size, "bytes"
    # A file a person wrote may end without a newline: its last line is a record.
    for line in jsonl.read(path, torn_tail="keep", on_bad=bad):
        progress.done = line.end
        yield line.number, line.record


def _starts_with_array(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(64).lstrip()
    return head.startswith(b"[")


def _json_array(
    path: Path, on_error: OnError, report: Report, progress: ReadProgress
) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise SourceError(path, None, f"invalid JSON: {exc}") from None
    progress.size, progress.unit = len(data), "records"
    for n, rec in enumerate(data, start=1):
        progress.done = n
        if not isinstance(rec, dict):
            msg = f"record {n}: expected a JSON object, got {type(rec).__name__}"
            bad_record(SourceError(path, n, msg), on_error, report)
            continue
        yield n, rec


def _parquet(path: Path, progress: ReadProgress) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        raise SourceError(
            path, None, "reading parquet needs pyarrow (pip install 'judgeflow[hf]')"
        ) from None
    n = 0
    table = pq.ParquetFile(path)
    progress.size, progress.unit = table.metadata.num_rows, "records"
    for batch in table.iter_batches(batch_size=256):
        for rec in batch.to_pylist():
            n += 1
            progress.done = n
            yield n, rec


def require(
    rec: dict[str, Any], fields: tuple[str, ...], path: Path, line: int
) -> SourceError | None:
    """The error for the first missing field, or None when all are present."""
    for name in fields:
        if name not in rec or rec[name] is None:
            return SourceError(path, line, f"missing field {name!r}")
    return None
