"""Pair files: the published JudgeBench pairs, and generic preference pairs.

``load_pairs(path, fmt, *, seed=0, limit=None, on_error="fail", report=None, hf_dataset=None,
hf_split="test", hf_config=None)`` streams dicts with exactly JudgeBench's pair fields (from
the file, or from a Hugging Face dataset such as ``ScalerLab/JudgeBench``, splits ``gpt``
and ``claude``, through `verifiers.hf`)::

    pair_id, original_id, source, question, response_model, response_A, response_B, label

* ``judgebench`` – the published files, one pair per line, checked field by field.
* ``preference`` – ``prompt``/``chosen``/``rejected`` records (RewardBench-style sets),
  so judges can be compared on other benchmarks. Which side the chosen answer takes is
  drawn from the seed and the pair's content, so labels come out balanced and a rerun
  gives the same pairs; ``pair_id`` is a UUID of the question and the two answers in
  their A/B order. ``source`` is the record's ``source`` or ``subset`` field (else
  ``preference``); ``response_model`` its ``chosen_model`` / ``model`` (else ``unknown``).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from verifiers.records_io import (
    Raw,
    ReadProgress,
    RecordReader,
    Report,
    check_on_error,
    iter_records,
    require,
    stream,
)

PAIR_FIELDS = (
    "pair_id",
    "original_id",
    "source",
    "question",
    "response_model",
    "response_A",
    "response_B",
    "label",
)
# Our namespace for pair ids (uuid5), so ids never collide with JudgeBench's own.
PAIR_NAMESPACE = uuid.UUID("6f1d3c1e-8a53-4c55-9d1e-5b0f6c2a7e41")
LABELS = ("A>B", "B>A")


def pair_id(*parts: str) -> str:
    """A deterministic UUID of the pair's parts (question id or text, answer A, answer B)."""
    return str(uuid.uuid5(PAIR_NAMESPACE, "\x1f".join(parts)))


def chosen_first(seed: int, *parts: str) -> bool:
    """A fair coin drawn from the seed and the content: True puts the chosen answer at A."""
    digest = hashlib.sha256("\x1f".join((str(seed), *parts)).encode()).digest()
    return digest[0] & 1 == 0


def pair_reader(fmt: Literal["judgebench", "preference"], seed: int = 0) -> RecordReader[Raw]:
    """What `load_pairs` does with each record of a pair file of format `fmt`."""
    if fmt == "judgebench":
        return RecordReader(_judgebench)
    if fmt == "preference":
        return RecordReader(lambda rec: _preference(rec, seed))
    raise ValueError(f"pair file format must be 'judgebench' or 'preference', not {fmt!r}")


def load_pairs(
    path: Path,
    fmt: Literal["judgebench", "preference"],
    *,
    seed: int = 0,
    limit: int | None = None,
    on_error: str = "fail",
    report: Report = None,
    hf_dataset: str | None = None,
    hf_split: str = "test",
    hf_config: str | None = None,
    progress: ReadProgress | None = None,
) -> Iterator[Raw]:
    """Stream pairs from a JudgeBench or preference file (see the module docstring)."""
    policy = check_on_error(on_error)
    records: Iterator[tuple[int, Raw]]
    if hf_dataset:
        from verifiers.hf import iter_hf

        records = iter_hf(hf_dataset, split=hf_split, config=hf_config)
        path = Path(f"hf:{hf_dataset}[{hf_split}]")
    else:
        records = iter_records(Path(path), on_error=policy, report=report, progress=progress)
    return stream(
        pair_reader(fmt, seed), records, path, limit=limit, on_error=policy, report=report
    )


def _text(rec: dict[str, Any], name: str) -> str:
    value = rec.get(name)
    if not isinstance(value, str):
        got = "missing" if value is None else type(value).__name__
        raise ValueError(f"field {name!r}: expected a string, got {got}")
    return value


def _judgebench(rec: dict[str, Any]) -> dict[str, Any]:
    for name in PAIR_FIELDS:
        if name not in rec:
            raise ValueError(f"missing field {name!r}")
    for name in ("pair_id", "source", "question", "response_model", "response_A", "response_B"):
        _text(rec, name)
    if rec["label"] not in LABELS:
        raise ValueError(f"field 'label': expected 'A>B' or 'B>A', got {rec['label']!r}")
    if not (rec["original_id"] is None or isinstance(rec["original_id"], int | str)):
        raise ValueError("field 'original_id': expected an int, a string or null")
    return {name: rec[name] for name in PAIR_FIELDS}


def _preference(rec: dict[str, Any], seed: int) -> dict[str, Any]:
    missing = require(rec, ("prompt", "chosen", "rejected"), Path("."), 0)
    if missing:
        raise ValueError(missing.message)
    prompt, chosen, rejected = _text(rec, "prompt"), _text(rec, "chosen"), _text(rec, "rejected")
    first = chosen_first(seed, prompt, chosen, rejected)
    a, b = (chosen, rejected) if first else (rejected, chosen)
    original = rec.get("id", rec.get("original_id"))
    source = rec.get("source") or rec.get("subset") or "preference"
    model = rec.get("chosen_model") or rec.get("model") or "unknown"
    return {
        "pair_id": pair_id(str(original) if original is not None else prompt, a, b),
        "original_id": original if isinstance(original, int | str) else None,
        "source": str(source),
        "question": prompt,
        "response_model": str(model),
        "response_A": a,
        "response_B": b,
        "label": "A>B" if first else "B>A",
    }
