"""Peak RSS of a whole run through the graph, 1,000 vs 100,000 questions (issue 2 target: flat
within 20%).

A zero-latency loopback fake server (separate process) answers every call; the engine runs
`python -m engine run` in a child process whose peak RSS is read from wait4(). k = 2 answers
per question, one vanilla judge in both orders, so every stage carries load.

    .venv/bin/python bench/graph_memory.py [--sizes 1000 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fakes.process import fake_server_process  # noqa: E402


def write_questions(path: Path, n: int) -> None:
    rng = random.Random(0)
    with open(path, "wb") as fh:
        for i in range(n):
            options = [f"option {j} for question {i}" for j in range(4)]
            answer = rng.randrange(4)
            fh.write(
                orjson.dumps(
                    {
                        "question_id": i,
                        "question": f"Synthetic question number {i}: pick one.",
                        "options": options,
                        "answer": "ABCD"[answer],
                        "answer_index": answer,
                        "cot_content": "",
                        "category": "math",
                        "src": "bench",
                    }
                )
                + b"\n"
            )


def job_text(name: str, questions: Path, base_url: str, out: Path) -> str:
    return f"""
name: {name}
output_dir: {out}
providers:
  fake:
    type: openai_compatible
    base_url: {base_url}
    max_concurrency: 128
sources:
  - format: mmlu_pro
    path: {questions}
response_model: {{provider: fake, model: m, samples: 2, temperature: 0.7, max_tokens: 64}}
judges:
  - {{name: j, type: vanilla, provider: fake, model: m}}
concurrency: {{generate: 64, judge: 64}}
"""


def run_once(tmp: Path, n: int, base_url: str) -> tuple[float, float, int]:
    questions = tmp / f"q{n}.jsonl"
    write_questions(questions, n)
    job = tmp / f"job{n}.yaml"
    job.write_text(job_text(f"mem{n}", questions, base_url, tmp / "runs"))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "run", str(job), "--quiet", "--no-report"], cwd=REPO
    )
    _, status, rusage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    assert os.waitstatus_to_exitcode(status) in (0, 1), status
    scores = sum(1 for _ in open(tmp / "runs" / f"mem{n}" / "scores.jsonl", "rb"))
    return rusage.ru_maxrss / 1024, elapsed, scores


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        with fake_server_process("--script", "bench.fake_scripts:mmlu_or_vanilla") as (_, url):
            results = []
            for n in args.sizes:
                rss, secs, scores = run_once(tmp, n, url)
                results.append((n, rss, secs, scores))
                print(
                    f"{n:>7} questions: peak RSS {rss:7.1f} MiB, {secs:6.1f} s, "
                    f"{scores} pairs scored, {n / secs:,.0f} questions/s",
                    flush=True,
                )
    base = results[0][1]
    for n, rss, _, _ in results[1:]:
        print(f"peak RSS ratio {n} / {results[0][0]}: {rss / base:.3f} (target <= 1.20)")


if __name__ == "__main__":
    main()
