"""Sandbox round trip for a trivial stdin->stdout program (target: median < 60 ms).

Side by side in one run, interleaved so machine load hits every variant alike:
plain `subprocess.run` of `python -I -S -c` (no isolation at all), our sandbox with the
isolation this machine allows (namespaces, rlimits, own uid), and our sandbox with
namespaces switched off (the fallback path).

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

from verifiers.sandbox import Capabilities, capabilities, run_in_sandbox

CODE = "print(input())"


def plain() -> None:
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", CODE], input=b"hello\n", capture_output=True
    )
    assert done.stdout == b"hello\n"


def sandbox(caps: Capabilities) -> Callable[[], None]:
    def run() -> None:
        out = run_in_sandbox(CODE, ["hello\n"], uid=61500, caps=caps).outcomes[0]
        assert out.stdout == "hello\n", out

    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100)
    args = ap.parse_args()
    caps = capabilities()
    variants: dict[str, Callable[[], None]] = {
        "plain subprocess.run (no isolation)": plain,
        "sandbox, full isolation": sandbox(caps),
        "sandbox, fallback (no namespaces)": sandbox(Capabilities((), caps.drop_uid, ())),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.runs):
        for name, fn in variants.items():
            t = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t) * 1000)
    base = statistics.median(times["plain subprocess.run (no isolation)"])
    print(f"runs: {args.runs}  cores: {os.cpu_count()}  load: {os.getloadavg()[0]:.1f}")
    print(f"isolation here: namespaces={caps.namespaces} own uid={caps.drop_uid} {caps.notes}")
    for name, ts in times.items():
        med = statistics.median(ts)
        p90 = statistics.quantiles(ts, n=10)[-1]
        print(f"{name:40s} median {med:6.1f} ms  p90 {p90:6.1f} ms  x{med / base:4.2f}")


if __name__ == "__main__":
    main()
