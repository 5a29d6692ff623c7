"""Hugging Face sources: a dataset's records streamed, from the Hub or from a folder on disk.

Used by every loader when a job names ``hf_dataset`` in a source's options (with
``hf_split``, default ``test``, and ``hf_config``), e.g. MMLU-Pro as ``TIGER-Lab/MMLU-Pro``
or LiveBench as ``livebench/reasoning``. Needs the ``hf`` extra (``pip install
'judgeflow[hf]'``). One call, dispatched on what `dataset` is, as `datasets` itself does:

* a folder written by ``save_to_disk`` (it holds ``dataset_dict.json``, or ``state.json``
  beside ``dataset_info.json``): ``datasets.load_from_disk``, then the split;
* anything else, a Hub id or a folder of data files (parquet shards, JSON Lines):
  ``datasets.load_dataset(dataset, config, split=split, streaming=True)``, so a folder laid
  out like the Hub repository goes through the very call that reads the repository;
* a dataset that is a set of files rather than splits (LiveCodeBench's releases, whose
  Hub repository has a loading script, which `datasets` no longer runs): the format names
  the files and ``load_dataset("json", data_files=...)`` reads them from the folder, or
  from the Hub as ``hf://datasets/<id>/<file>``.

Records stream; nothing is downloaded whole by us (the Hub client caches what it fetches).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from verifiers.errors import SourceError


def saved_to_disk(folder: Path) -> bool:
    """True for a folder `save_to_disk` wrote (a Dataset or a DatasetDict)."""
    if (folder / "dataset_dict.json").is_file():
        return True
    return (folder / "state.json").is_file() and (folder / "dataset_info.json").is_file()


def _open(
    datasets: Any, dataset: str, split: str, config: str | None, files: list[str] | None
) -> Iterable[Any]:
    local = Path(dataset).expanduser()
    if files is not None:
        base = str(local) if local.is_dir() else f"hf://datasets/{dataset}"
        data_files = {split: [f"{base}/{name}" for name in files]}
        found: Iterable[Any] = datasets.load_dataset(
            "json", data_files=data_files, split=split, streaming=True
        )
        return found
    if local.is_dir() and saved_to_disk(local):
        saved = datasets.load_from_disk(str(local))
        if isinstance(saved, datasets.DatasetDict):
            if split not in saved:
                raise KeyError(f"no split {split!r}; the dataset has {sorted(saved)}")
            return saved[split]  # type: ignore[no-any-return]
        return saved  # type: ignore[no-any-return]
    streamed: Iterable[Any] = datasets.load_dataset(dataset, config, split=split, streaming=True)
    return streamed


def iter_hf(
    dataset: str,
    *,
    split: str = "test",
    config: str | None = None,
    files: list[str] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(record number, record)`` from a Hugging Face dataset, streaming."""
    where = f"hf:{dataset}[{split}]"
    try:
        import datasets
    except ModuleNotFoundError:
        raise SourceError(
            where,
            None,
            "reading a Hugging Face dataset needs the 'hf' extra (pip install 'judgeflow[hf]')",
        ) from None
    try:
        records = iter(_open(datasets, dataset, split, config, files))
    except Exception as exc:  # network, auth, unknown name or split: one clear message
        raise SourceError(where, None, f"cannot open: {type(exc).__name__}: {exc}") from None
    n = 0
    while True:
        try:
            rec = next(records)
        except StopIteration:
            return
        except Exception as exc:  # a shard that cannot be read mid-stream
            raise SourceError(where, n + 1, f"cannot read: {type(exc).__name__}: {exc}") from None
        n += 1
        yield n, dict(rec)
