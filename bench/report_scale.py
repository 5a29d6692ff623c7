"""Report cost on a large run: build_summary streams, keeping keys and decisions only.

Side by side in one run, on the same synthetic run folder (N pairs, one judge, both orders,
judge replies of ~2 KB each as real arena_hard judgments are):

* peak RSS of `build_summary` vs a naive reader that loads every record into memory first;
* wall time of the bootstrap interval as scoring.py draws it (the hit count of a resample
  is Binomial(n, p)) vs resampling the pairs' indices (numpy), same number of resamples,
  for n = 350 (one JudgeBench file) and n = 50,000.

Each reader runs in its own child process; its peak RSS is read from wait4().

    .venv/bin/python bench/report_scale.py [--pairs 50000]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
SOURCES = ["mmlu-pro-law", "livebench-reasoning", "livebench-math", "livecodebench"]
DECISIONS = ["A>B", "B>A", "A=B", None]


def write_run(run: Path, n: int) -> int:
    rng = random.Random(0)
    run.mkdir(parents=True, exist_ok=True)
    filler = "The assistant's reasoning step is checked against my own derivation. " * 28
    with (
        open(run / "pairs.jsonl", "wb") as fp,
        open(run / "judgments.jsonl", "wb") as fj,
        open(run / "scores.jsonl", "wb") as fs,
    ):
        for i in range(n):
            pid, src, label = f"p{i}", SOURCES[i % 4], rng.choice(["A>B", "B>A"])
            fp.write(
                orjson.dumps(
                    {
                        "pair_id": pid,
                        "original_id": i,
                        "source": src,
                        "question": "q" * 400,
                        "response_model": "m",
                        "response_A": "a" * 1500,
                        "response_B": "b" * 1500,
                        "label": label,
                    }
                )
                + b"\n"
            )
            ds = []
            for order in ("AB", "BA"):
                d = rng.choice(DECISIONS)
                ds.append(d)
                fj.write(
                    orjson.dumps(
                        {
                            "request_key": f"{pid}{order}",
                            "pair_id": pid,
                            "judge": "j",
                            "order": order,
                            "raw": filler + str(d),
                            "decision": d,
                            "usage": {},
                            "error": None,
                        }
                    )
                    + b"\n"
                )
            fs.write(
                orjson.dumps(
                    {
                        "pair_id": pid,
                        "judge": "j",
                        "source": src,
                        "label": label,
                        "decision_AB": ds[0],
                        "decision_BA": ds[1],
                        "outcome": "tie",
                        "response_model": "m",
                    }
                )
                + b"\n"
            )
    return sum(f.stat().st_size for f in run.iterdir())


STREAMING = "from engine.report import build_summary; import sys; build_summary(sys.argv[1])"
NAIVE = """
import sys, orjson
from pathlib import Path
run = Path(sys.argv[1])
data = {f: [orjson.loads(l) for l in (run / f).read_bytes().splitlines()]
        for f in ("pairs.jsonl", "judgments.jsonl", "scores.jsonl")}
"""


def peak_rss_mb(code: str, run: Path) -> tuple[float, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, str(run)], cwd=REPO)
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return usage.ru_maxrss / 1024, time.perf_counter() - t0


def bootstrap_resampling(hits: list[bool], resamples: int, seed: int) -> tuple[float, float]:
    import numpy as np

    arr = np.asarray(hits, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for i in range(0, resamples, 100):  # chunks: resamples x n at once would not fit for big n
        idx = rng.integers(0, len(arr), size=(min(100, resamples - i), len(arr)))
        means[i : i + len(idx)] = arr[idx].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return 100 * float(low), 100 * float(high)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=50_000)
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    from engine.scoring import BOOTSTRAP_RESAMPLES, accuracy_ci

    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        size = write_run(run, args.pairs)
        print(f"run folder: {args.pairs} pairs, {size / 2**20:.0f} MiB of JSONL")
        base_rss, _ = peak_rss_mb("import orjson, engine.report", run)
        s_rss, s_t = peak_rss_mb(STREAMING, run)
        n_rss, n_t = peak_rss_mb(NAIVE, run)
        print(f"interpreter + imports only : {base_rss:8.0f} MiB")
        print(f"build_summary (streaming)  : {s_rss:8.0f} MiB peak RSS, {s_t:6.2f} s")
        print(f"naive load-everything      : {n_rss:8.0f} MiB peak RSS, {n_t:6.2f} s")
        print(
            f"memory ratio naive/streaming (above the import baseline): "
            f"{(n_rss - base_rss) / max(1.0, s_rss - base_rss):.1f}x"
        )

    def best_of(fn: Callable[[], Any], reps: int = 5) -> tuple[float, Any]:
        times: list[float] = []
        out: Any = None
        for _ in range(reps):
            t0 = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t0)
        return min(times), out

    accuracy_ci([True, False])  # warm-up: first numpy calls pay one-off import costs
    for n in (350, 50_000):
        rng = random.Random(1)
        hits = [rng.random() < 0.6 for _ in range(n)]
        t_ours, acc = best_of(lambda h=hits: accuracy_ci(h))
        t_res, (lo, hi) = best_of(lambda h=hits: bootstrap_resampling(h, BOOTSTRAP_RESAMPLES, 1))
        print(
            f"bootstrap 95% CI, n={n:>6} x {BOOTSTRAP_RESAMPLES} resamples: binomial "
            f"{t_ours * 1000:7.1f} ms [{acc.ci_low:.1f}, {acc.ci_high:.1f}], index resampling "
            f"{t_res * 1000:7.1f} ms [{lo:.1f}, {hi:.1f}] -> {t_res / t_ours:.1f}x faster"
        )


if __name__ == "__main__":
    main()
