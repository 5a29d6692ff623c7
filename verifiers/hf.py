"""Optional Hugging Face source: stream a dataset's records instead of reading a file.

Used by the loaders when a job names ``hf_dataset`` (with ``hf_split``, default
``test``, and optionally ``hf_config``) in a source's options, e.g. MMLU-Pro as
``TIGER-Lab/MMLU-Pro`` or LiveBench as ``livebench/reasoning``. Needs the ``hf`` extra
(``pip install 'judgeflow[hf]'``); records stream, nothing is downloaded whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from verifiers.errors import SourceError


def iter_hf(
    dataset: str, *, split: str = "test", config: str | None = None
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
        stream = datasets.load_dataset(dataset, config, split=split, streaming=True)
    except Exception as exc:  # network, auth, unknown name: one clear message
        raise SourceError(where, None, f"cannot open: {type(exc).__name__}: {exc}") from None
    for n, rec in enumerate(stream, start=1):
        yield n, dict(rec)
