"""Run one job: open (or resume) the run folder, start providers, drive the graph, finish.

Ctrl-C once: intake stops, in-flight calls get `shutdown_grace` seconds to land, then the
rest is cancelled; records are flushed and the resume command is printed. Ctrl-C twice:
flush what is buffered and exit at once (lines are appended whole, so nothing is corrupt).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from collections.abc import Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import anyio
import orjson
from rich.console import Console

from engine import manifest
from engine.batching import open_batches_note, wrap_providers
from engine.batching.collector import BatchingProvider
from engine.batching.ledger import Ledger
from engine.checkpoint import RunStore
from engine.context import JudgeSlot, MetaSlot, RunContext, RunCounters
from engine.exitcodes import ExitCode
from engine.imported import ImportedResponses
from engine.jobload import LoadedJob
from engine.judges.registry import create_judge
from engine.pipeline import run_graph
from engine.progress import ProgressView, output_console
from engine.requests import judge_spec, meta_judge
from providers.base import Provider
from providers.registry import create_provider
from verifiers.errors import SourceError
from verifiers.sandbox import configure as configure_sandbox

FLUSH_EVERY_S = 1.0


class ResumeRefused(Exception):
    pass


class RunAborted(Exception):
    """The run cannot go on for a reason the user must fix (named in the message)."""


@dataclass(frozen=True, slots=True)
class RunResult:
    run_dir: Path
    exit_code: ExitCode


def run_dir_of(loaded: LoadedJob) -> Path:
    return Path(os.path.expandvars(loaded.job.output_dir)).expanduser() / loaded.job.name


def prepare_run_dir(loaded: LoadedJob, *, fresh: bool) -> Path:
    """Create or check the run folder; raise `ResumeRefused` if the job changed unsafely."""
    run_dir = run_dir_of(loaded)
    new = manifest.build(loaded.job, loaded.path)
    old = manifest.read(run_dir)
    if fresh and run_dir.exists():
        shutil.rmtree(run_dir)
        old = None
    if old is not None:
        problems = manifest.incompatibilities(old, new)
        if problems:
            raise ResumeRefused(
                f"{run_dir} was made by a different job:\n  - "
                + "\n  - ".join(problems)
                + "\nRe-run with --fresh to start over, or change the job's `name`."
            )
        new["created"] = old.get("created", new["created"])
    manifest.write(run_dir, new)
    return run_dir


def build_meta(loaded: LoadedJob) -> MetaSlot | None:
    spec = loaded.job.meta_judge
    if spec is None:
        return None
    judge = meta_judge(spec, loaded.base_dir)
    return MetaSlot(judge, spec.provider, frozenset(loaded.job.meta_judged()))


def build_judges(loaded: LoadedJob) -> dict[str, JudgeSlot]:
    return {
        cfg.name: JudgeSlot(create_judge(judge_spec(cfg, loaded.base_dir)), cfg.provider)
        for cfg in loaded.job.judges
    }


def _used_provider_names(loaded: LoadedJob) -> list[str]:
    return list(dict.fromkeys(name for name, _ in loaded.job.used_providers()))


async def _start_providers(loaded: LoadedJob, stack: AsyncExitStack) -> dict[str, Provider]:
    """Start every provider the job uses (each closed by `stack`); a failure aborts the run."""
    providers: dict[str, Provider] = {}
    for name in _used_provider_names(loaded):
        try:
            provider = create_provider(name, loaded.job.providers[name])
            await stack.enter_async_context(provider)
        except (ValueError, RuntimeError, OSError) as exc:
            raise RunAborted(f"provider {name!r} could not start: {exc}") from None
        providers[name] = provider
    return providers


def write_stats(run_dir: Path, counters: RunCounters, started: Mapping[str, Provider]) -> None:
    providers = {}
    for name, p in started.items():
        st = p.stats
        providers[name] = {
            "requests": st.requests,
            "completed": st.completed,
            "retries": st.retries,
            "rate_limited": st.rate_limited,
            "errors": st.errors,
            "input_tokens": st.usage.input_tokens,
            "output_tokens": st.usage.output_tokens,
            "reasoning_tokens": st.usage.reasoning_tokens,
            "cached_tokens": st.usage.cached_tokens,
            "cost": st.cost,
            "stopped_reason": st.stopped_reason,
            "by_model": {
                m: {"input_tokens": u.input_tokens, "output_tokens": u.output_tokens, "cost": c}
                for m, (u, c) in st.by_model.items()
            },
        }
    stats = {
        "providers": providers,
        "stages": {
            s.name: {"done": s.done, "reused": s.reused, "failed": s.failed, "total": s.total}
            for s in counters.stages.values()
        },
        "no_pair_reasons": dict(counters.no_pair_reasons),
        "incomplete_questions": counters.incomplete_questions,
        "errors": dict(counters.errors),
        "skipped_lines": counters.skipped_count,
        "skipped_examples": counters.skipped_lines,
        "warnings": counters.warnings,
    }
    (run_dir / "stats.json").write_bytes(orjson.dumps(stats, option=orjson.OPT_INDENT_2))


async def _flush_every(store: RunStore, seconds: float) -> None:
    """Batched (derived) records reach the disk at least this often."""
    while True:
        await anyio.sleep(seconds)
        store.flush()


async def _watch_signals(ctx: RunContext, graph_scope: anyio.CancelScope, console: Console) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _sig in signals:
            if not ctx.stopping:
                console.print(
                    "[yellow]Stopping: no new work; waiting for calls in flight "
                    f"(up to {ctx.job.shutdown_grace:.0f}s). Ctrl-C again to quit now.[/]"
                )
                ctx.stop.set()
                graph_scope.deadline = anyio.current_time() + ctx.job.shutdown_grace
            else:
                ctx.store.flush()
                console.print(f"[red]Quit. Resume with: python -m engine run {ctx.loaded.path}[/]")
                os._exit(ExitCode.INTERRUPTED)


async def run_job(
    loaded: LoadedJob,
    *,
    fresh: bool = False,
    limit: int | None = None,
    quiet: bool = False,
    console: Console | None = None,
    report: bool = True,
) -> RunResult:
    console = console or Console(stderr=True, soft_wrap=True)
    configure_sandbox(loaded.job.sandbox.isolation)  # the pool is made on first use
    if loaded.job.sandbox.isolation == "none":
        console.print("[yellow]sandbox: {isolation: none}: code answers run unsandboxed[/]")
    run_dir = prepare_run_dir(loaded, fresh=fresh)
    store = RunStore(run_dir)
    cut = store.open()
    ledger = Ledger(run_dir)
    if n_cut := ledger.open():
        cut[ledger.path.name] = n_cut
    for name, n in cut.items():
        console.print(f"[yellow]{run_dir / name}: dropped a torn last line ({n} bytes)[/]")
    imported = None
    if loaded.job.responses:
        imported = ImportedResponses(loaded.resolve(loaded.job.responses))
        await anyio.to_thread.run_sync(imported.load)
    counters = RunCounters()
    providers: dict[str, Provider] = {}
    collectors: dict[str, BatchingProvider] = {}
    ctx: RunContext | None = None
    aborted: Exception | None = None
    try:
        async with AsyncExitStack() as stack:
            providers = await _start_providers(loaded, stack)
            stop = anyio.Event()
            collectors = wrap_providers(loaded.job, providers, ledger, stop)
            ctx = RunContext(
                loaded=loaded,
                store=store,
                providers=MappingProxyType({**providers, **collectors}),
                judges=MappingProxyType(build_judges(loaded)),
                meta=build_meta(loaded),
                counters=counters,
                stop=stop,
                limit=limit,
                imported=imported,
            )
            view = ProgressView(
                counters, ctx.providers, title=loaded.job.name, quiet=quiet, console=console
            )
            async with anyio.create_task_group() as tg:
                graph_scope = anyio.CancelScope()
                tg.start_soon(_watch_signals, ctx, graph_scope, console)
                tg.start_soon(view.run)
                tg.start_soon(_flush_every, store, FLUSH_EVERY_S)
                for collector in collectors.values():
                    await tg.start(collector.run)
                with graph_scope:
                    await run_graph(ctx)
                tg.cancel_scope.cancel()
    except* (SourceError, RunAborted) as group:
        # A malformed input line with `on_error: fail`, or a provider that cannot start:
        # one clear message, not a traceback. Work done so far is kept for a resume.
        aborted = group.exceptions[0]
        while isinstance(aborted, ExceptionGroup):
            aborted = aborted.exceptions[0]
    finally:
        store.close()
        ledger.close()
        if providers or counters.stages:
            write_stats(run_dir, counters, providers)
    if aborted is not None:
        raise RunAborted(str(aborted))
    assert ctx is not None  # the run was not aborted, so it started
    code = _finish(ctx, console, report=report, quiet=quiet)
    for line in open_batches_note(collectors, run_dir):
        console.print(f"[yellow]{line}[/]")
    return RunResult(run_dir, code)


def _finish(ctx: RunContext, console: Console, *, report: bool, quiet: bool) -> ExitCode:
    """Tell the user how the run ended, write the report, and pick the exit code."""
    counters, loaded = ctx.counters, ctx.loaded
    for warning in counters.warnings:
        console.print(f"[yellow]warning: {warning}[/]", highlight=False)
    if counters.skipped_count:
        console.print(f"[yellow]{counters.skipped_count} malformed input lines skipped, e.g.:[/]")
        for line in counters.skipped_lines[:5]:
            console.print(f"  {line}", highlight=False)
    stopped = ctx.stopped_providers()
    failed = counters.failed_calls()
    if ctx.stopping:
        code = ExitCode.INTERRUPTED
        console.print(f"Interrupted. Resume with: python -m engine run {loaded.path}")
    elif stopped:
        code = ExitCode.PROVIDER_STOPPED
        for name, why in stopped.items():
            console.print(f"[red]provider {name} stopped: {why}[/]")
        console.print(f"Fix it, then resume with: python -m engine run {loaded.path}")
    elif failed or counters.incomplete_questions:
        code = ExitCode.FAILED_CALLS
        console.print(
            f"[yellow]{failed} calls failed; resume to retry them: "
            f"python -m engine run {loaded.path}[/]"
        )
    else:
        code = ExitCode.OK
    if report and not ctx.stopping:
        from engine.report import write_report

        out = None if quiet else output_console()
        write_report([ctx.store.run_dir], ctx.store.run_dir, console=out)
        if out is not None and loaded.job.description:
            out.print(loaded.job.description.strip(), style="italic", highlight=False)
    return code


def main_run(loaded: LoadedJob, **kwargs: Any) -> int:
    try:
        result = anyio.run(lambda: run_job(loaded, **kwargs))
    except (ResumeRefused, RunAborted) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.INVALID
    return result.exit_code
