"""`python -m engine batches cancel RUN_DIR` and the batch lines of `status RUN_DIR`."""

from __future__ import annotations

import time
from pathlib import Path

import orjson

from engine.batching.ledger import BatchInfo, Ledger
from engine.jobspec import Job
from providers.base import ProviderError
from providers.batch import batch_api
from providers.batch.base import BatchAPI
from providers.http import HTTPProvider
from providers.registry import create_provider


def batch_rows(run_dir: Path) -> list[tuple[str, ...]]:
    """One row per batch of the run: provider, model, ids, state, requests, counts, age."""
    ledger = Ledger(run_dir)
    if not ledger.path.exists():
        return []
    ledger.open(recover=False)  # reading only: a live run may be appending
    now = time.time()
    rows: list[tuple[str, ...]] = []
    for b in ledger.batches.values():
        counts = ", ".join(f"{k} {v}" for k, v in b.counts.items())
        state = b.state + (f" ({b.ending})" if b.ending else "")
        state += " · cancel asked" if b.cancel_asked and b.open else ""
        rows.append(
            (
                b.provider,
                b.model,
                b.local_id,
                b.remote_id or "-",
                state,
                str(len(b.requests)),
                counts,
                age(now - b.prepared_at),
            )
        )
    return rows


def age(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


async def cancel_batches(run_dir: Path) -> list[str]:
    """Ask the API to cancel every batch of the run still open; one line per batch. A resume
    then sends again what the cancelled batches did not run."""
    manifest = orjson.loads((run_dir / "manifest.json").read_bytes())
    job = Job.model_validate(manifest["job"])
    ledger = Ledger(run_dir)
    ledger.open()
    lines: list[str] = []
    open_ = [b for b in ledger.batches.values() if b.open]
    try:
        for name in sorted({b.provider for b in open_}):
            provider = create_provider(name, job.providers[name])
            if not isinstance(provider, HTTPProvider):
                continue
            async with provider:
                api = batch_api(provider)
                for info in (b for b in open_ if b.provider == name):
                    lines.append(await _cancel(api, ledger, info))
    finally:
        ledger.close()
    return lines or ["no open batches"]


async def _cancel(api: BatchAPI, ledger: Ledger, info: BatchInfo) -> str:
    try:
        if info.remote_id is None:
            known = {b.remote_id for b in ledger.of(info.provider) if b.remote_id}
            found = await api.find(info.label, info.prepared_at, len(info.requests), known)
            if found is None:
                ledger.write("abandoned", info, reason="the API has no such batch")
                return f"{info.local_id}: never reached the API"
            ledger.write("submitted", info, remote_id=found.remote_id, state=found.state)
        assert info.remote_id is not None
        status = await api.cancel(info.remote_id)
    except ProviderError as exc:
        return f"{info.local_id}: cancel failed: {exc}"
    ledger.write("cancel", info, state=status.state)
    return f"{info.provider} batch {info.remote_id}: {status.state}"
