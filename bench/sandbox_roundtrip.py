"""Sandbox round trip for a trivial stdin->stdout program (goal: median <= 15 ms).

Side by side in one run, interleaved so machine load hits every variant alike:

* plain `subprocess.run` of `python -I -S -c` (no isolation at all: the reference);
* bubblewrap started per program with the sandbox's own filesystem view and
  namespaces (the design we did not take: one bwrap and one interpreter per program);
* our pool, warm, as the engine runs it, at each level this machine allows: root (own
  uid, cgroup), userns (the unprivileged path, forced), and isolation none.

    .venv/bin/python bench/sandbox_roundtrip.py [--runs 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verifiers.sandbox import SandboxPool, interpreter_view, real_root
from verifiers.sandbox.layout import CHILD_ENV, bwrap_argv, find_bwrap

CODE = "print(input())"


def plain() -> None:
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", CODE], input=b"hello\n", capture_output=True
    )
    assert done.stdout == b"hello\n"


def bwrap_per_program(level: str) -> Callable[[], None]:
    tool = find_bwrap()
    assert tool is not None, "bwrap is not installed"
    view = interpreter_view()
    argv = bwrap_argv(tool, view, level)  # type: ignore[arg-type]
    argv = [*argv[: argv.index("--") + 1], view.python, "-I", "-S", "-c", CODE]

    def run() -> None:
        done = subprocess.run(argv, input=b"hello\n", capture_output=True, env=CHILD_ENV)
        assert done.stdout == b"hello\n", done.stderr

    return run


def pooled(pool: SandboxPool) -> Callable[[], None]:
    def run() -> None:
        result = pool.run(CODE, ["hello\n"])
        assert result.outcomes and result.outcomes[0].stdout == "hello\n", result

    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100)
    args = ap.parse_args()
    pools = {}
    if real_root():
        pools["root"] = SandboxPool(1, level="root")
    pools["userns"] = SandboxPool(1, level="userns")
    pools["none"] = SandboxPool(1, isolation="none")
    variants: dict[str, Callable[[], None]] = {
        "plain subprocess.run (no isolation)": plain,
        "bwrap + python per program (userns)": bwrap_per_program("userns"),
    }
    for level, pool in pools.items():
        if pool.refused:
            print(f"level {level}: {pool.refused}")
            continue
        variants[f"pool, warm, level {level}"] = pooled(pool)
    for fn in variants.values():  # warm up: first starts, page cache
        fn()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.runs):
        for name, fn in variants.items():
            t = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t) * 1000)
    base = statistics.median(times["plain subprocess.run (no isolation)"])
    print(f"runs: {args.runs}  cores: {os.cpu_count()}  load: {os.getloadavg()[0]:.1f}")
    for level, pool in pools.items():
        print(f"  {level}: {pool.describe()}")
    for name, ts in times.items():
        med = statistics.median(ts)
        p90 = statistics.quantiles(ts, n=10)[-1]
        print(f"{name:40s} median {med:6.1f} ms  p90 {p90:6.1f} ms  x{med / base:4.2f}")
    for pool in pools.values():
        pool.close()


if __name__ == "__main__":
    main()
