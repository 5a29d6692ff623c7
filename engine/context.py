"""What every stage of one run shares: the store, providers, judges, counters and the stop flag."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from engine.checkpoint import RunStore
from engine.imported import ImportedResponses
from engine.jobload import LoadedJob
from engine.jobspec import Job
from engine.judges.base import Judge
from providers.base import Provider, ProviderError


@dataclass
class StageStats:
    """Live counters of one stage (read by the progress view; mutated by the stage only)."""

    name: str
    unit: str
    total: int | None = None
    done: int = 0
    reused: int = 0  # satisfied from the checkpoint or cache, nothing sent
    failed: int = 0
    started: float = field(default_factory=time.monotonic)

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        fresh = self.done - self.reused
        return fresh / elapsed if elapsed > 0 else 0.0


@dataclass
class RunContext:
    loaded: LoadedJob
    store: RunStore
    run_dir: Path
    providers: dict[str, Provider]
    judges: dict[str, tuple[Judge, str]]  # judge name -> (judge, provider name)
    limit: int | None = None
    stages: dict[str, StageStats] = field(default_factory=dict)
    no_pair_reasons: Counter[str] = field(default_factory=Counter)
    incomplete_questions: int = 0
    skipped_lines: list[str] = field(default_factory=list)  # the first few, for the summary
    skipped_count: int = 0
    imported: ImportedResponses | None = None
    errors: Counter[str] = field(default_factory=Counter)
    stop: anyio.Event = field(default_factory=anyio.Event)

    @property
    def job(self) -> Job:
        return self.loaded.job

    def stage(self, name: str, unit: str) -> StageStats:
        if name not in self.stages:
            self.stages[name] = StageStats(name, unit)
        return self.stages[name]

    @property
    def stopping(self) -> bool:
        return self.stop.is_set()

    def report_skipped(self, message: str) -> None:
        """A malformed input line skipped by a loader (kept bounded: memory stays flat)."""
        self.skipped_count += 1
        if len(self.skipped_lines) < 100:
            self.skipped_lines.append(message)

    def note_error(self, provider: str, exc: ProviderError) -> None:
        self.errors[f"{provider}:{exc.error_class}"] += 1

    def stopped_providers(self) -> dict[str, str]:
        return {
            name: p.stats.stopped_reason
            for name, p in self.providers.items()
            if p.stats.stopped_reason
        }
