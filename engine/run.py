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
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import orjson
from rich.console import Console

from engine import manifest
from engine.checkpoint import RunStore
from engine.context import RunContext
from engine.imported import ImportedResponses
from engine.jobload import LoadedJob
from engine.judges.base import Judge
from engine.judges.registry import create_judge
from engine.pipeline import run_graph
from engine.progress import ProgressView, output_console
from engine.requests import judge_spec
from providers.base import Provider
from providers.registry import create_provider
from verifiers.errors import SourceError

EXIT_OK, EXIT_FAILED_CALLS, EXIT_INVALID, EXIT_PROVIDER_STOPPED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


FLUSH_EVERY_S = 1.0


class ResumeRefused(Exception):
    pass


class RunAborted(Exception):
    """The run cannot go on for a reason the user must fix (named in the message)."""


@dataclass
class RunResult:
    run_dir: Path
    exit_code: int
    interrupted: bool
    failed_calls: int
    stopped: dict[str, str]


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


def build_judges(loaded: LoadedJob) -> dict[str, tuple[Judge, str]]:
    return {
        cfg.name: (create_judge(judge_spec(cfg, loaded.base_dir)), cfg.provider)
        for cfg in loaded.job.judges
    }


def _used_provider_names(loaded: LoadedJob) -> list[str]:
    return list(dict.fromkeys(name for name, _ in loaded.job.used_providers()))


async def _count_totals(ctx: RunContext) -> None:
    """Fill in stage totals where they are cheap to know (line counts), for the ETA."""
    from engine.dryrun import count_items

    job = ctx.job
    n = await anyio.to_thread.run_sync(count_items, ctx.loaded, ctx.limit)
    ctx.stage("load", "items").total = n
    if job.start == "pairs":
        ctx.stage("score", "pairs").total = n
        ctx.stage("judge", "calls").total = n * 2 * len(ctx.judges)
        return
    samples = (job.response_model.samples if job.response_model else 0) + sum(
        s.samples for s in job.solvers
    )
    ctx.stage("generate", "answers").total = n * samples
    ctx.stage("verify", "answers").total = n * samples
    ctx.stage("pair", "questions").total = n


def write_stats(ctx: RunContext) -> None:
    providers = {}
    for name, p in ctx.providers.items():
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
            for s in ctx.stages.values()
        },
        "no_pair_reasons": dict(ctx.no_pair_reasons),
        "incomplete_questions": ctx.incomplete_questions,
        "errors": dict(ctx.errors),
        "skipped_lines": ctx.skipped_count,
        "skipped_examples": ctx.skipped_lines,
    }
    (ctx.run_dir / "stats.json").write_bytes(orjson.dumps(stats, option=orjson.OPT_INDENT_2))


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
                os._exit(EXIT_INTERRUPTED)


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
    run_dir = prepare_run_dir(loaded, fresh=fresh)
    store = RunStore(run_dir)
    cut = store.open()
    for name, n in cut.items():
        console.print(f"[yellow]{run_dir / name}: dropped a torn last line ({n} bytes)[/]")
    ctx = RunContext(
        loaded=loaded, store=store, run_dir=run_dir, providers={}, judges={}, limit=limit
    )
    if loaded.job.responses:
        ctx.imported = ImportedResponses(loaded.resolve(loaded.job.responses))
        await anyio.to_thread.run_sync(ctx.imported.load)
    aborted: Exception | None = None
    try:
        async with AsyncExitStack() as stack:
            for name in _used_provider_names(loaded):
                try:
                    provider: Provider = create_provider(name, loaded.job.providers[name])
                    await stack.enter_async_context(provider)
                except (ValueError, RuntimeError, OSError) as exc:
                    raise RunAborted(f"provider {name!r} could not start: {exc}") from None
                ctx.providers[name] = provider
            ctx.judges = build_judges(loaded)
            view = ProgressView(ctx, quiet=quiet, console=console)
            async with anyio.create_task_group() as tg:
                graph_scope = anyio.CancelScope()
                tg.start_soon(_watch_signals, ctx, graph_scope, console)
                tg.start_soon(view.run)
                tg.start_soon(_count_totals, ctx)
                tg.start_soon(_flush_every, store, FLUSH_EVERY_S)
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
        if ctx.providers or ctx.stages:
            write_stats(ctx)
    if aborted is not None:
        raise RunAborted(str(aborted))
    if ctx.skipped_count:
        console.print(f"[yellow]{ctx.skipped_count} malformed input lines skipped, e.g.:[/]")
        for line in ctx.skipped_lines[:5]:
            console.print(f"  {line}", highlight=False)
    stopped = ctx.stopped_providers()
    failed = sum(s.failed for s in ctx.stages.values())
    if ctx.stopping:
        code = EXIT_INTERRUPTED
        console.print(f"Interrupted. Resume with: python -m engine run {loaded.path}")
    elif stopped:
        code = EXIT_PROVIDER_STOPPED
        for name, why in stopped.items():
            console.print(f"[red]provider {name} stopped: {why}[/]")
        console.print(f"Fix it, then resume with: python -m engine run {loaded.path}")
    elif failed or ctx.incomplete_questions:
        code = EXIT_FAILED_CALLS
        console.print(
            f"[yellow]{failed} calls failed; resume to retry them: "
            f"python -m engine run {loaded.path}[/]"
        )
    else:
        code = EXIT_OK
    if report and not ctx.stopping:
        from engine.report import write_report

        out = None if quiet else output_console()
        write_report([run_dir], run_dir, console=out)
        if out is not None and loaded.job.description:
            out.print(loaded.job.description.strip(), style="italic", highlight=False)
    return RunResult(run_dir, code, ctx.stopping, failed, stopped)


def main_run(loaded: LoadedJob, **kwargs: Any) -> int:
    try:
        result = anyio.run(lambda: run_job(loaded, **kwargs))
    except (ResumeRefused, RunAborted) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    return result.exit_code
