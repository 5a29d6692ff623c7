"""What every stage of one run shares.

`RunContext` is built complete before the graph starts and never changes: the job, the
store, the started providers and the built judges. What does change during a run lives in
one object, `RunCounters`: the numbers the progress view shows and stats.json keeps. The
graph registers each stage's counters there once (engine.pipeline); a stage bumps only its
own.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import anyio

from engine.batching.tag import Mode
from engine.checkpoint import RunStore
from engine.imported import ImportedResponses
from engine.jobload import LoadedJob
from engine.jobspec import Job
from engine.judges.base import Judge
from engine.judges.meta import MetaJudge
from engine.keys import JudgmentKeys
from providers.base import Provider, ProviderError

SKIPPED_KEPT = 100  # malformed input lines kept for the summary (memory stays flat)


@dataclass
class StageStats:
    """Live counters of one stage (read by the progress view; bumped by the stage only)."""

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
class RunCounters:
    """Every live number of one run, in one place: the progress view's data."""

    stages: dict[str, StageStats] = field(default_factory=dict)  # in graph order
    no_pair_reasons: Counter[str] = field(default_factory=Counter)
    incomplete_questions: int = 0
    skipped_lines: list[str] = field(default_factory=list)  # the first few, for the summary
    skipped_count: int = 0
    errors: Counter[str] = field(default_factory=Counter)  # "provider:error_class" -> calls
    warnings: list[str] = field(default_factory=list)  # e.g. a source with no question left
    # Judge (or answering model) -> empty replies cut at the token cap ("out of tokens").
    out_of_tokens: Counter[str] = field(default_factory=Counter)

    def register(self, name: str, unit: str) -> StageStats:
        """A stage's counters; each stage is registered once, by the graph."""
        if name in self.stages:
            raise ValueError(f"stage {name!r} is registered twice")
        self.stages[name] = StageStats(name, unit)
        return self.stages[name]

    def report_skipped(self, message: str) -> None:
        """A malformed input line skipped by a loader."""
        self.skipped_count += 1
        if len(self.skipped_lines) < SKIPPED_KEPT:
            self.skipped_lines.append(message)

    def warn(self, message: str) -> None:
        """Something the user should know that does not stop the run."""
        self.warnings.append(message)

    def note_error(self, provider: str, exc: ProviderError) -> None:
        self.errors[f"{provider}:{exc.error_class}"] += 1

    def failed_calls(self) -> int:
        return sum(s.failed for s in self.stages.values())


@dataclass(frozen=True, slots=True)
class JudgeSlot:
    """A built judge and the provider its calls go to."""

    judge: Judge
    provider: str


@dataclass(frozen=True, slots=True)
class MetaSlot:
    """The built meta-judge, its provider, and the judges whose judgments it scores."""

    judge: MetaJudge
    provider: str
    judges: frozenset[str]


@dataclass(frozen=True)
class RunContext:
    loaded: LoadedJob
    store: RunStore
    providers: Mapping[str, Provider]  # started, by name
    judges: Mapping[str, JudgeSlot]  # by judge name, in job order
    counters: RunCounters
    stop: anyio.Event = field(default_factory=anyio.Event)  # set by the first Ctrl-C
    limit: int | None = None  # --limit: at most this many items per source
    imported: ImportedResponses | None = None  # answers of an earlier run (`responses:`)
    meta: MetaSlot | None = None  # the meta-judge stage, when the job has one
    # Per judge, made on first use: what its keys and batch mode are computed from once a
    # run rather than once per pair (engine.stages.judge).
    judge_keys: dict[str, JudgmentKeys] = field(default_factory=dict, init=False)

    @property
    def job(self) -> Job:
        return self.loaded.job

    @cached_property
    def judge_modes(self) -> dict[str, Mode | None]:
        """Each judge's own `mode`, if it gives one (else its provider's)."""
        return {j.name: j.mode for j in self.job.judges}

    @property
    def stopping(self) -> bool:
        return self.stop.is_set()

    def stopped_providers(self) -> dict[str, str]:
        return {
            name: p.stats.stopped_reason
            for name, p in self.providers.items()
            if p.stats.stopped_reason
        }
