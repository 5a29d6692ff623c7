"""Run one job: open (or resume) the run folder, start providers, drive the graph, finish.

Ctrl-C once: intake stops, in-flight calls get `shutdown_grace` seconds to land, then the
rest is cancelled; records are flushed and the resume command is printed. Ctrl-C twice:
flush what is buffered and exit at once (lines are appended whole, so nothing is corrupt).
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import sys
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import anyio
from rich.console import Console

from engine import manifest, runstats
from engine.batching import open_batches_note, wrap_providers
from engine.batching.collector import BatchingProvider
from engine.batching.ledger import Ledger
from engine.checkpoint import RunStore
from engine.context import JudgeSlot, MetaSlot, RunContext, RunCounters
from engine.exitcodes import ExitCode
from engine.gc_tuning import tune_gc
from engine.imported import ImportedResponses
from engine.jobload import LoadedJob
from engine.judges.registry import create_judge
from engine.pipeline import run_graph
from engine.progress import ProgressView, output_console
from engine.requests import judge_spec, meta_judge
from engine.usage import RunUsage, judge_providers
from engine.verify_backend import BackendError
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
    """Create or check the run folder; raise `ResumeRefused` if the job changed unsafely, or
    if the folder is not this job's run (then nothing in it is touched, `--fresh` or not)."""
    run_dir = run_dir_of(loaded)
    new = manifest.build(loaded.job, loaded.path)
    try:
        old = _own_manifest(run_dir, loaded.job.name)
        if fresh and old is not None:
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
    except OSError as exc:
        raise ResumeRefused(f"cannot use {run_dir} as the run folder: {exc}") from None
    return run_dir


def build_meta(loaded: LoadedJob) -> MetaSlot | None:
    spec = loaded.job.meta_judge
    if spec is None:
        return None
    judge = meta_judge(spec, loaded.base_dir)
    return MetaSlot(judge, spec.provider, frozenset(loaded.job.meta_judged()))


def _own_manifest(run_dir: Path, name: str) -> dict[str, Any] | None:
    """The manifest of the run in `run_dir`: None for a folder that does not exist yet or is
    empty; `ResumeRefused` for one that holds something else than this job's run."""
    if not run_dir.exists():
        return None
    if not run_dir.is_dir() or run_dir.is_symlink():
        raise ResumeRefused(f"{run_dir} is not a folder; change the job's `name` or `output_dir`")
    try:
        old = manifest.read(run_dir)
    except ValueError:  # orjson's decode error
        raise ResumeRefused(f"{run_dir}/{manifest.MANIFEST} is not readable JSON") from None
    if old is None:
        if any(p.name != manifest.MANIFEST + ".tmp" for p in run_dir.iterdir()):
            raise ResumeRefused(
                f"{run_dir} is not a run folder (it has files but no manifest.json); it is "
                "left as it is, --fresh or not: change the job's `name` or `output_dir`"
            )
        return None
    owner = (old.get("job") or {}).get("name")
    if owner != name:
        raise ResumeRefused(
            f"{run_dir} holds the run of another job ({owner!r}); it is left as it is, "
            "--fresh or not: change the job's `name` or `output_dir`"
        )
    return old


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


async def _flush_every(seconds: float, flush: Callable[[], None], store: RunStore) -> None:
    """Every record the OS holds reaches stable storage (fsync in a worker thread, so the
    loop never waits on the disk), then batched records and stats.json reach the OS; at
    least this often. In that order, a derived record handed to the OS always comes after
    the paid records it was made from are durable."""
    while True:
        await anyio.sleep(seconds)
        await anyio.to_thread.run_sync(store.sync)
        flush()


def resume_command(
    loaded: LoadedJob, *, limit: int | None = None, quiet: bool = False, report: bool = True
) -> str:
    """The command that resumes this run: the job and every `--set`, `--limit`, `--quiet`
    and `--no-report` as given (never `--fresh`, which would start it over)."""
    argv = ["python", "-m", "engine", "run", str(loaded.path)]
    for assignment in loaded.overrides:
        argv += ["--set", assignment]
    if limit is not None:
        argv += ["--limit", str(limit)]
    argv += ["--quiet"] if quiet else []
    argv += [] if report else ["--no-report"]
    return shlex.join(argv)


async def _watch_signals(
    ctx: RunContext, graph_scope: anyio.CancelScope, console: Console, resume: str
) -> None:
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
                console.print(f"Quit. Resume with: {resume}", style="red", markup=False)
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
    resume = resume_command(loaded, limit=limit, quiet=quiet, report=report)
    imported = None
    if loaded.job.responses:  # read before the run folder is made: a bad file is a job error
        rm = loaded.job.response_model
        imported = ImportedResponses(
            loaded.resolve(loaded.job.responses), rm.model if rm is not None else None
        )
        try:
            await anyio.to_thread.run_sync(imported.load)
        except SourceError as exc:
            raise RunAborted(f"responses: {exc}") from None
    run_dir = prepare_run_dir(loaded, fresh=fresh)
    earlier = runstats.earlier_counters(run_dir)
    store = RunStore(run_dir, RunUsage(judge_providers(loaded.data)))
    cut = store.open()
    ledger = Ledger(run_dir)
    if n_cut := ledger.open():
        cut[ledger.path.name] = n_cut
    for name, n in cut.items():
        console.print(
            f"{run_dir / name}: dropped a torn last line ({n} bytes)", style="yellow", markup=False
        )
    counters = RunCounters()
    providers: dict[str, Provider] = {}
    collectors: dict[str, BatchingProvider] = {}
    ctx: RunContext | None = None
    aborted: Exception | None = None

    def write_stats() -> None:
        runstats.write(run_dir, runstats.build(counters, providers, store.usage, earlier))

    def flush() -> None:
        store.flush()
        write_stats()

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
                counters,
                ctx.providers,
                title=loaded.job.name,
                quiet=quiet,
                console=console,
                earlier=store.usage.providers(),
            )
            async with anyio.create_task_group() as tg:
                graph_scope = anyio.CancelScope()
                tg.start_soon(_watch_signals, ctx, graph_scope, console, resume)
                tg.start_soon(view.run)
                tg.start_soon(_flush_every, FLUSH_EVERY_S, flush, store)
                for collector in collectors.values():
                    await tg.start(collector.run)
                with graph_scope:
                    await run_graph(ctx)
                tg.cancel_scope.cancel()
    except* (SourceError, RunAborted, BackendError) as group:
        # A malformed input line with `on_error: fail`, or a provider that cannot start:
        # one clear message, not a traceback. Work done so far is kept for a resume.
        aborted = group.exceptions[0]
        while isinstance(aborted, ExceptionGroup):
            aborted = aborted.exceptions[0]
    finally:
        store.close()
        ledger.close()
        write_stats()
    if aborted is not None:
        raise RunAborted(f"{aborted}\nFix it, then resume with: {resume}")
    assert ctx is not None  # the run was not aborted, so it started
    code = _finish(ctx, console, resume, report=report, quiet=quiet)
    for line in open_batches_note(collectors, run_dir):
        console.print(line, style="yellow", markup=False)
    return RunResult(run_dir, code)


def _finish(
    ctx: RunContext, console: Console, resume: str, *, report: bool, quiet: bool
) -> ExitCode:
    """Tell the user how the run ended, write the report, and pick the exit code."""
    counters, loaded = ctx.counters, ctx.loaded
    for warning in counters.warnings:
        # Messages carry paths, ids and API error codes in brackets: never read as markup.
        console.print(f"warning: {warning}", style="yellow", markup=False, highlight=False)
    if counters.skipped_count:
        console.print(
            f"{counters.skipped_count} malformed input lines skipped, e.g.:", style="yellow"
        )
        for line in counters.skipped_lines[:5]:
            console.print(f"  {line}", markup=False, highlight=False)
    stopped = ctx.stopped_providers()
    failed = counters.failed_calls()
    if ctx.stopping:
        code = ExitCode.INTERRUPTED
        console.print(f"Interrupted. Resume with: {resume}", markup=False)
    elif stopped:
        code = ExitCode.PROVIDER_STOPPED
        for name, why in stopped.items():
            console.print(f"provider {name} stopped: {why}", style="red", markup=False)
        console.print(f"Fix it, then resume with: {resume}", markup=False)
    elif failed or counters.incomplete_questions:
        code = ExitCode.FAILED_CALLS
        console.print(
            f"{failed} calls failed; resume to retry them: {resume}",
            style="yellow",
            markup=False,
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
    tune_gc()
    try:
        result = anyio.run(lambda: run_job(loaded, **kwargs))
    except (ResumeRefused, RunAborted) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.INVALID
    return result.exit_code
