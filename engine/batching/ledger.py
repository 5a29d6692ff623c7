"""`batches.jsonl`: every batch of a run, append-only, so a resume after `kill -9` polls the
batches already sent instead of paying for them again.

One event per line (docs/architecture.md lists them): `prepared` (our id, the model and every
request's custom_id, request key and body hash) before anything is sent; `submitted` (the
API's id) once the API took it; `state` on every change seen while polling; `ended` (how,
the counts, and which requests failed or were never run) once its results are read;
`abandoned` when the API never got it; `cancel` when `batches cancel` asked for it. A torn
last line is cut off when the ledger opens, as in the run store.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from verifiers.jsonl import JsonlLog

FILE = "batches.jsonl"


@dataclass(frozen=True, slots=True)
class Request:
    """One request of a batch: its id in the batch, the request key it answers, and the
    hash of its body (a multi-turn judge sends several bodies under one key)."""

    custom_id: str
    tag: str
    body_hash: str


@dataclass
class BatchInfo:
    """What the ledger knows of one batch (rebuilt from its events)."""

    local_id: str
    provider: str
    model: str
    requests: list[Request]
    prepared_at: float
    remote_id: str | None = None
    state: str = "prepared"
    counts: dict[str, int] = field(default_factory=dict)
    ending: str | None = None  # completed / failed / expired / cancelled
    failed: set[str] = field(default_factory=set)  # custom_ids answered with an error
    again: set[str] = field(default_factory=set)  # custom_ids the API never ran
    abandoned: bool = False
    cancel_asked: bool = False
    updated_at: float = 0.0

    @property
    def label(self) -> str:
        return f"judgeflow-{self.local_id}"

    @property
    def open(self) -> bool:
        """Sent (or maybe sent) and not over: its answers are still to come."""
        return not self.abandoned and self.ending is None

    def usable(self, custom_id: str) -> bool:
        """Whether this batch has (or will have) an answer for `custom_id`."""
        if self.abandoned:
            return False
        return custom_id not in self.failed and custom_id not in self.again


class Ledger:
    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / FILE
        self._log = JsonlLog(self.path, durable=True)
        self.batches: dict[str, BatchInfo] = {}
        # (provider, request key, body hash) -> (batch, custom_id): the latest batch wins.
        self._index: dict[tuple[str, str, str], tuple[str, str]] = {}
        # (provider, request key) -> the body hash of its first request (its custom_id is the
        # key; a later turn under the same key has another body and a suffixed custom_id).
        self.first: dict[tuple[str, str], str] = {}

    def open(self, *, recover: bool = True) -> int:
        """Cut a torn tail (unless only reading) and read every event; return the bytes cut."""
        cut = self._log.recover() if recover and self.path.exists() else 0
        for line in self._log.read():
            self._apply(line.record)
        return cut

    def close(self) -> None:
        self._log.close()

    def write(self, event: str, info: BatchInfo, **fields: Any) -> None:
        record = {"event": event, "batch": info.local_id, "t": time.time(), **fields}
        self._log.append(record)
        self._apply(record, info)

    def prepared(self, info: BatchInfo) -> None:
        self.batches[info.local_id] = info
        reqs = [[r.custom_id, r.tag, r.body_hash] for r in info.requests]
        self.write("prepared", info, provider=info.provider, model=info.model, requests=reqs)

    def find(self, provider: str, tag: str, body_hash: str) -> tuple[BatchInfo, str] | None:
        hit = self._index.get((provider, tag, body_hash))
        if hit is None:
            return None
        info = self.batches[hit[0]]
        return (info, hit[1]) if info.usable(hit[1]) else None

    def of(self, provider: str) -> Iterator[BatchInfo]:
        return (b for b in self.batches.values() if b.provider == provider)

    # ---- rebuilding ----------------------------------------------------------------------
    def _apply(self, rec: dict[str, Any], info: BatchInfo | None = None) -> None:
        event, local_id = rec.get("event"), str(rec.get("batch"))
        if event == "prepared" and info is None:
            info = BatchInfo(
                local_id,
                str(rec["provider"]),
                str(rec["model"]),
                [Request(*map(str, r)) for r in rec.get("requests", [])],
                float(rec["t"]),
            )
            self.batches[local_id] = info
        info = info or self.batches.get(local_id)
        if info is None:
            return  # an event of a batch whose `prepared` line was torn: nothing was sent
        info.updated_at = float(rec.get("t", 0.0))
        if event == "prepared":
            for r in info.requests:
                self._index[(info.provider, r.tag, r.body_hash)] = (local_id, r.custom_id)
                self.first.setdefault((info.provider, r.tag), r.body_hash)
        elif event == "submitted":
            info.remote_id = str(rec["remote_id"])
            info.state = str(rec.get("state") or "submitted")
        elif event == "state":
            info.state = str(rec["state"])
            info.counts = dict(rec.get("counts") or {})
        elif event == "ended":
            info.state = str(rec.get("state") or "ended")
            info.ending = str(rec["ending"])
            info.counts = dict(rec.get("counts") or {})
            info.failed = set(rec.get("failed") or ())
            info.again = set(rec.get("again") or ())
        elif event == "abandoned":
            info.abandoned = True
            info.state = "abandoned"
        elif event == "cancel":
            info.cancel_asked = True
