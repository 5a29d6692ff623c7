"""What the once-a-second fsync of the run store costs a run (issue 11, item 6).

The same job (MMLU-Pro-format questions, k = 2 answers, one vanilla judge in both orders)
runs in this process against a zero-latency loopback fake server in its own process,
alternately as shipped (every log fsynced each second from a worker thread) and with the
store's `sync` replaced by a no-op, so the only difference is the fsyncs. Printed: wall time
and questions/s of each run, fsync calls, and the throughput ratio synced / unsynced.

    .venv/bin/python bench/durability.py [--questions 3000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import anyio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.graph_memory import job_text, write_questions  # noqa: E402
from engine.checkpoint import RunStore  # noqa: E402
from engine.jobload import load_job  # noqa: E402
from engine.run import run_job  # noqa: E402
from fakes.process import fake_server_process  # noqa: E402


def run_once(tmp: Path, name: str, questions: Path, url: str, synced: bool) -> tuple[float, int]:
    job = tmp / f"{name}.yaml"
    job.write_text(job_text(name, questions, url, tmp / "runs"))
    calls = 0
    real_fsync, real_sync = os.fsync, RunStore.sync

    def counting(fd: int) -> None:
        nonlocal calls
        calls += 1
        real_fsync(fd)

    os.fsync = counting
    if not synced:
        RunStore.sync = lambda self: None  # type: ignore[method-assign]
    try:
        t0 = time.perf_counter()
        result = anyio.run(lambda: run_job(load_job(job, env={}), quiet=True, report=False))
        elapsed = time.perf_counter() - t0
    finally:
        os.fsync, RunStore.sync = real_fsync, real_sync  # type: ignore[method-assign]
    assert result.exit_code == 0, result
    return elapsed, calls


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    n = args.questions
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        questions = tmp / "q.jsonl"
        write_questions(questions, n)
        rates: dict[bool, list[float]] = {True: [], False: []}
        with fake_server_process("--script", "bench.fake_scripts:mmlu_or_vanilla") as (_, url):
            for r in range(args.rounds):
                for synced in (True, False):
                    name = f"{'sync' if synced else 'nosync'}{r}"
                    secs, calls = run_once(tmp, name, questions, url, synced)
                    rates[synced].append(n / secs)
                    print(
                        f"round {r} {'fsync each second' if synced else 'no fsync        '}: "
                        f"{secs:6.1f} s, {n / secs:6.0f} questions/s, {calls} fsync calls",
                        flush=True,
                    )
    on, off = sum(rates[True]) / len(rates[True]), sum(rates[False]) / len(rates[False])
    print(f"throughput with fsync / without: {on / off:.3f}")


if __name__ == "__main__":
    main()
