"""Throughput of real programs on real problems' public tests, 1 slot vs a slot per core.

The programs are JudgeBench's LiveCodeBench responses (both the correct and the wrong
one of each of the 73 pairs: 146 programs over 69 problems), fenced and verified with
`verifiers.livecodebench.verify` on the shared sample's public tests, exactly as the
engine does. Both pool sizes run the same programs in the same process, one after the
other, at the isolation the engine would use here (or the one given with --level).

    .venv/bin/python bench/sandbox_throughput.py [--level root|userns|none]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import verifiers.sandbox.pool as pool_module
from verifiers import livecodebench
from verifiers.sandbox import SandboxPool

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sandbox_lcb_conformance import PROBLEMS, lcb_pairs


def jobs() -> list[tuple[Any, str]]:
    questions = {q.meta["question_id"]: q for q in livecodebench.load(PROBLEMS)}
    out = []
    for pair, qid in lcb_pairs():
        for key in ("response_A", "response_B"):
            out.append((questions[qid], f"```python\n{pair[key]}\n```"))
    return out


def measure(pool: SandboxPool, work: list[tuple[Any, str]]) -> tuple[float, int]:
    pool_module._default = pool  # the pool verify() uses
    for _ in range(pool.size):  # every slot started before the clock runs
        pool.run("print(1)", ["\n"])
    started = time.perf_counter()
    with ThreadPoolExecutor(pool.size * 2) as ex:
        verdicts = list(ex.map(lambda job: livecodebench.verify(*job), work))
    elapsed = time.perf_counter() - started
    return elapsed, sum(v.correct is True for v in verdicts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--level", choices=["root", "userns", "none"], default=None)
    args = ap.parse_args()
    work = jobs()
    tests = sum(len(q.ground_truth) for q, _ in work)
    cores = len(os.sched_getaffinity(0))
    print(
        f"programs: {len(work)}  problems: {len({q.id for q, _ in work})}  "
        f"public tests (max): {tests}  cores: {cores}  load: {os.getloadavg()[0]:.1f}"
    )
    results = {}
    for size in (1, cores):
        pool = SandboxPool(size, level=args.level)
        if size == 1:
            print(f"sandbox: {pool.describe()}")
        elapsed, passed = measure(pool, work)
        pool.close()
        results[size] = elapsed
        print(
            f"pool size {size}: {elapsed:6.2f} s  {len(work) / elapsed:6.1f} programs/s  "
            f"passed {passed}"
        )
    print(f"speed-up with {cores} slots: x{results[1] / results[cores]:.2f}")


if __name__ == "__main__":
    main()
