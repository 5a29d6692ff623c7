"""Sandbox round trip for a trivial stdin->stdout program (target: median < 60 ms).

Side by side in one run, interleaved so machine load hits every variant alike:
plain `subprocess.run` of `python -I -S -c` (no isolation at all); our sandbox through a
warm zygote, as the pool runs it, with the isolation this machine allows (namespaces,
rlimits, own uid) and with namespaces switched off (the fallback path); and our sandbox
starting a fresh zygote interpreter for every run.

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

from verifiers.sandbox import Capabilities, Zygote, capabilities, run_in_sandbox

CODE = "print(input())"


def plain() -> None:
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", CODE], input=b"hello\n", capture_output=True
    )
    assert done.stdout == b"hello\n"


def sandbox(caps: Capabilities, zygote: Zygote | None) -> Callable[[], None]:
    def run() -> None:
        result = run_in_sandbox(CODE, ["hello\n"], uid=61500, caps=caps, zygote=zygote)
        assert result.outcomes[0].stdout == "hello\n", result

    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100)
    args = ap.parse_args()
    caps = capabilities()
    variants: dict[str, Callable[[], None]] = {
        "plain subprocess.run (no isolation)": plain,
        "sandbox, warm zygote (as the pool runs)": sandbox(caps, Zygote()),
        "sandbox, warm, fallback (no namespaces)": sandbox(
            Capabilities(False, caps.drop_uid, ()), Zygote()
        ),
        "sandbox, cold (zygote started per run)": sandbox(caps, None),
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
        print(f"{name:42s} median {med:6.1f} ms  p90 {p90:6.1f} ms  x{med / base:4.2f}")


if __name__ == "__main__":
    main()
