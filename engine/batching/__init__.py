"""Batch mode in the engine: the collector that turns calls into batches, the ledger that
records them in the run folder, and the tag that tells a call's request key and mode."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import anyio

from engine.batching.collector import BatchingProvider
from engine.batching.ledger import Ledger
from engine.jobspec import Job
from providers.base import Provider
from providers.config import BATCH_TYPES
from providers.http import HTTPProvider


def batch_users(job: Job) -> set[str]:
    """Providers some of whose calls the job sends in batches."""
    names = {n for n, cfg in job.providers.items() if cfg.mode == "batch"}
    refs = ([job.response_model] if job.response_model else []) + list(job.solvers)
    names |= {r.provider for r in refs if r.mode == "batch"}
    names |= {j.provider for j in job.judges if j.mode == "batch"}
    return names


def wrap_providers(
    job: Job, providers: Mapping[str, Provider], ledger: Ledger, stop: anyio.Event
) -> dict[str, BatchingProvider]:
    """A collector for every provider that sends batches, or has batches of an earlier
    (killed) run in the ledger: those are collected, not paid for again, in either mode."""
    users = batch_users(job) | {b.provider for b in ledger.batches.values()}
    return {
        name: BatchingProvider(p, ledger, stop)
        for name, p in providers.items()
        if name in users and isinstance(p, HTTPProvider) and p.config.type in BATCH_TYPES
    }


def open_batches_note(collectors: Mapping[str, BatchingProvider], run_dir: Path) -> list[str]:
    """What to tell the user about batches still running at the API when the run stops."""
    still = [b for c in collectors.values() for b in c.open_batches()]
    if not still:
        return []
    n = sum(len(b.requests) for b in still)
    return [
        f"{len(still)} batches ({n} requests) are still running at the API; a resume collects "
        "their answers (nothing is sent again).",
        f"To cancel them instead: python -m engine batches cancel {run_dir}",
    ]
