"""`python -m engine`: run, validate, status, report (exit codes: engine.exitcodes)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from engine.exitcodes import ExitCode, help_text
from engine.jobload import JobError, LoadedJob, load_job
from engine.progress import output_console
from engine.records import RECORD_TYPES
from engine.usage import PAID, RunUsage, Tally, judge_providers
from verifiers import jsonl
from verifiers.errors import SourceError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m engine",
        description="judgeflow: build and run JudgeBench-style benchmarks for LLM judges.",
        epilog=help_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)

    def job_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("job", type=Path, help="job file (YAML)")
        sp.add_argument(
            "--set",
            dest="overrides",
            action="append",
            default=[],
            metavar="PATH=VALUE",
            help="override a job field, e.g. judges.0.model=x",
        )

    run = sub.add_parser("run", help="run a job (resumes when its run folder exists)")
    job_args(run)
    run.add_argument("--limit", type=int, help="at most N questions (or pairs) per source")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="count calls and estimate tokens and cost; send nothing",
    )
    run.add_argument("--fresh", action="store_true", help="delete the run folder and start over")
    run.add_argument("--quiet", action="store_true", help="no progress view")
    run.add_argument("--no-report", action="store_true", help="skip the report at the end")

    val = sub.add_parser("validate", help="check a job file; write nothing")
    job_args(val)

    st = sub.add_parser("status", help="what a run folder holds")
    st.add_argument("run_dir", type=Path)

    bat = sub.add_parser("batches", help="the batches of a run folder (batch mode)")
    bat.add_argument(
        "action", choices=("list", "cancel"), help="list them, or cancel the open ones"
    )
    bat.add_argument("run_dir", type=Path)

    rep = sub.add_parser("report", help="report on one or more run folders")
    rep.add_argument("run_dirs", type=Path, nargs="*")
    rep.add_argument(
        "--import",
        dest="imports",
        type=Path,
        nargs="+",
        default=[],
        metavar="FILE",
        help="rescore published JudgeBench judge outputs",
    )
    rep.add_argument("--out", type=Path, help="where to write the report (default: the run)")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse: 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    console = Console(stderr=True, soft_wrap=True)
    if args.command in ("run", "validate"):
        # Checking a job, or counting what it would send, needs no secrets: a missing API key
        # is a warning there; a real run refuses to start without it.
        sends = args.command == "run" and not args.dry_run
        try:
            loaded = load_job(args.job, args.overrides, keys_required=sends)
        except JobError as exc:
            for line in exc.problems:  # as text: a problem may quote brackets
                console.print(Text.assemble(("error:", "red"), " ", line), highlight=False)
            return ExitCode.INVALID
        for line in loaded.warnings:
            console.print(
                Text.assemble(("warning:", "yellow"), f" {line} (needed to run)"), highlight=False
            )
        if args.command == "validate":
            console.print(f"{args.job}: OK (starts from {loaded.job.start})", markup=False)
            return ExitCode.OK
        if args.limit is not None and args.limit < 0:
            console.print("[red]error:[/] --limit must be >= 0")
            return ExitCode.INVALID
        if args.dry_run:
            return _dry_run(loaded, args.limit)
        from engine.run import main_run

        return main_run(
            loaded,
            fresh=args.fresh,
            limit=args.limit,
            quiet=args.quiet,
            console=console,
            report=not args.no_report,
        )
    if args.command == "status":
        return _status(args.run_dir)
    if args.command == "batches":
        return _batches(args.action, args.run_dir)
    return _report(args)


def _dry_run(loaded: LoadedJob, limit: int | None) -> int:
    from engine.dryrun import estimate

    try:
        est = estimate(loaded, limit)
    except (SourceError, OSError, ValueError, TypeError) as exc:  # a source that cannot be read
        Console(stderr=True).print(Text.assemble(("error:", "red"), f" {exc}"), highlight=False)
        return ExitCode.INVALID
    table = Table(title=f"dry run · {loaded.job.name} (nothing sent)")
    cols = (
        *("provider/model", "calls", "input tokens (est.)", "output tokens (max)"),
        *("mode", "cost online $", "cost batch $"),
    )
    for col in cols:
        table.add_column(col, justify="left" if col in ("provider/model", "mode") else "right")
    for key, calls in est.calls.items():
        batch = est.cost_batch.get(key)
        table.add_row(
            key,
            str(calls),
            str(est.input_tokens[key]),
            str(est.output_tokens[key]),
            "+".join(sorted(est.modes.get(key, ()))),
            f"{est.cost_online.get(key, 0.0):.4f}",
            "-" if batch is None else f"{batch:.4f}",
        )
    out = output_console()
    out.print(table)
    what = (
        f"{est.pairs} pairs"
        if loaded.job.start == "pairs"
        else (f"{est.questions} questions, at most {est.pairs} pairs")
    )
    online = sum(est.cost_online.values())
    batch = sum(v if v is not None else est.cost_online[k] for k, v in est.cost_batch.items())
    out.print(f"{what}; estimated cost at most ${est.cost:.2f} in the job's modes", markup=False)
    out.print(
        f"all online: ${online:.2f}; all in batches where the API has them: ${batch:.2f}",
        markup=False,
    )
    for ref in est.uncapped:
        out.print(
            f"note: {ref} has no max_tokens: its answers are counted at the assumed cap",
            markup=False,
        )
    return ExitCode.OK


def _status(run_dir: Path) -> int:
    console = output_console()
    if not (run_dir / "manifest.json").exists():
        console.print("[red]error:[/]", escape(f"{run_dir} is not a run folder (no manifest.json)"))
        return ExitCode.INVALID
    manifest = orjson.loads((run_dir / "manifest.json").read_bytes())
    table = Table(
        title=f"{run_dir} · job {manifest.get('job_file')} · since {manifest.get('created')}"
    )
    for col in ("file", "records", "with error", "torn tail"):
        table.add_column(col, justify="left" if col == "file" else "right")
    usage = RunUsage(judge_providers(manifest.get("job")))
    for rtype in RECORD_TYPES:
        path = run_dir / rtype.FILE
        counts: Counter[str] = Counter()
        for line in jsonl.read(path, torn_tail="skip", on_bad="skip"):
            counts["error" if line.record.get("error") else "ok"] += 1
            if rtype in PAID:
                usage.add(line.record)
        torn = path.exists() and jsonl.has_torn_tail(path)
        table.add_row(rtype.FILE, str(counts["ok"]), str(counts["error"]), "yes" if torn else "")
    console.print(table)
    stats_path = run_dir / "stats.json"
    stats = orjson.loads(stats_path.read_bytes()) if stats_path.exists() else {}
    live = stats.get("providers", {}) if isinstance(stats, dict) else {}
    # Usage and cost are summed over the records (every process of the run); retries and
    # errors are the live counts the run's processes left in stats.json.
    spent = usage.providers()
    for name in dict.fromkeys([*spent, *live]):
        u, st = spent.get(name, Tally()), live.get(name, {})
        console.print(
            f"provider {name}: {u.calls} calls, {u.input_tokens} input / {u.output_tokens} "
            f"output tokens, ${u.cost:.4f}; {st.get('retries', 0)} retries, "
            f"{st.get('errors', 0)} errors"
        )
    total = usage.total()
    console.print(
        f"run total: {total.calls} calls, {total.input_tokens} input / "
        f"{total.output_tokens} output tokens, ${total.cost:.4f}"
    )
    if stats.get("no_pair_reasons"):
        console.print(f"questions without a pair: {stats['no_pair_reasons']}", markup=False)
    _batch_table(console, run_dir)
    return ExitCode.OK


def _batch_table(console: Console, run_dir: Path) -> None:
    from engine.batching.commands import batch_rows

    rows = batch_rows(run_dir)
    if not rows:
        return
    table = Table(title="batches")
    cols = ("provider", "model", "batch", "API id", "state", "requests", "counts", "age")
    for col in cols:
        table.add_column(col, justify="right" if col in ("requests", "age") else "left")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _batches(action: str, run_dir: Path) -> int:
    console = output_console()
    if not (run_dir / "manifest.json").exists():
        console.print("[red]error:[/]", escape(f"{run_dir} is not a run folder (no manifest.json)"))
        return ExitCode.INVALID
    if action == "list":
        _batch_table(console, run_dir)
        return ExitCode.OK
    import anyio

    from engine.batching.commands import cancel_batches
    from providers.registry import MissingKeyError

    try:
        lines = anyio.run(cancel_batches, run_dir)
    except (MissingKeyError, ValueError) as exc:
        console.print("[red]error:[/]", escape(str(exc)))
        return ExitCode.INVALID
    for line in lines:
        console.print(line, markup=False, highlight=False)
    console.print(
        "A resume sends again what the cancelled batches did not run: python -m engine run JOB"
    )
    return ExitCode.OK


def _report(args: argparse.Namespace) -> int:
    from engine.report import import_published, write_report

    console = output_console()
    if args.imports:
        out = args.out or Path("runs") / "imported"
        import_published(args.imports, out, console=console)
        return 0
    if not args.run_dirs:
        print("error: give run folders, or --import FILE...", file=sys.stderr)
        return ExitCode.INVALID
    for d in args.run_dirs:
        if not (d / "manifest.json").exists() and not (d / "scores.jsonl").exists():
            print(f"error: {d} is not a run folder", file=sys.stderr)
            return ExitCode.INVALID
    out = args.out or (args.run_dirs[0] if len(args.run_dirs) == 1 else Path("runs") / "compare")
    write_report(args.run_dirs, out, console=console)
    return ExitCode.OK
