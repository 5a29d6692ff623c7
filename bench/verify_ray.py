"""Verification throughput, local backend vs Ray backend, on the same cores (issue 16).

The programs are JudgeBench's LiveCodeBench responses (146 programs over 69 problems, as
in bench/sandbox_throughput.py), verified against the shared sample's public tests, once
through `LocalBackend` (worker threads, a sandbox pool with a slot per core) and once
through `RayBackend` on a private local Ray cluster with as many CPUs (each worker a
sandbox of one slot), in the same process, one after the other. Both are warmed first
(every slot started, every Ray worker up); Ray's start-up is reported on its own. The
ratio is the cost of the Ray path on one machine: tasks, object store, a process hop, and
Ray's own processes (raylet, GCS, the workers' idle loops) on the same two cores. Then the
fixed cost per check: one trivial program checked one at a time on each backend.

    .venv/bin/python bench/verify_ray.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sandbox_throughput import jobs

from engine.jobspec import VerifySpec
from engine.verify_backend import Backend, LocalBackend, RayBackend
from verifiers import livecodebench

DEMO_LCB = Path(__file__).resolve().parents[1] / "jobs" / "demo_data" / "livecodebench.jsonl"


async def measure(backend: Backend, work: list[tuple[Any, str]]) -> tuple[float, int]:
    passed = 0

    async def one(q: Any, answer: str) -> None:
        nonlocal passed
        v = await backend.check(q, answer)  # awaited before `passed` is read
        passed += v.correct is True

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for q, answer in work:
            tg.start_soon(one, q, answer)
    return time.perf_counter() - started, passed


async def round_trip(backend: Backend, n: int) -> float:
    """Median seconds of one trivial check (one test, A + B), one at a time: the fixed
    cost per check of a backend, without the programs' own work."""
    q = next(iter(livecodebench.load(DEMO_LCB, limit=1)))
    answer = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        assert (await backend.check(q, answer)).correct is True
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


async def main(rounds: int) -> None:
    work = jobs()
    cores = len(os.sched_getaffinity(0))
    print(
        f"programs: {len(work)}  problems: {len({q.id for q, _ in work})}  cores: {cores}  "
        f"load: {os.getloadavg()[0]:.1f}"
    )
    local = LocalBackend(cores)
    t0 = time.perf_counter()
    ray_backend = RayBackend(VerifySpec(backend="ray", address="local"), "auto", local)
    await ray_backend.start()
    print(f"ray start-up (local cluster, probe of every node): {time.perf_counter() - t0:.1f} s")
    print(f"ray: {ray_backend.describe()}")
    warm = work[: 4 * cores]
    await measure(local, warm)
    await measure(ray_backend, warm)
    times: dict[str, list[float]] = {"local": [], "ray": []}
    for r in range(rounds):
        for name, backend in (("local", local), ("ray", ray_backend)):
            elapsed, passed = await measure(backend, work)
            times[name].append(elapsed)
            print(
                f"round {r + 1} {name:5}: {elapsed:6.2f} s  {len(work) / elapsed:6.1f} "
                f"programs/s  passed {passed}  load {os.getloadavg()[0]:.1f}"
            )
    trips = {name: await round_trip(b, 40) for name, b in (("local", local), ("ray", ray_backend))}
    await ray_backend.close()
    lo, ra = min(times["local"]), min(times["ray"])
    print(f"best of {rounds}: local {len(work) / lo:.1f} programs/s, ray {len(work) / ra:.1f}")
    print(f"ray / local throughput: x{lo / ra:.2f}  (overhead of the Ray path: {ra / lo - 1:+.0%})")
    print(
        f"one trivial check, median of 40 one at a time: local {1000 * trips['local']:.1f} ms, "
        f"ray {1000 * trips['ray']:.1f} ms (+{1000 * (trips['ray'] - trips['local']):.1f} ms "
        "per check: task submit, object store, the worker's process hop)"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    anyio.run(main, ap.parse_args().rounds)
