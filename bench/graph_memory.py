"""Peak RSS of a whole run through the graph, 1,000 vs 100,000 vs 1,000,000 questions
(issue 2 target: flat within 20%; issue 16: to a million).

A zero-latency loopback fake server (separate process) answers every call; the engine runs
`python -m engine run` in a child process whose peak RSS is read from wait4(). k = 2 answers
per question, one vanilla judge in both orders, so every stage carries load.

    .venv/bin/python bench/graph_memory.py [--sizes 1000 100000 1000000] [--trace 60]
        [--stop-after SECONDS]   # the last size stopped (Ctrl-C) after that long
"""

from __future__ import annotations

import argparse
import os
import random
import signal
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


def _status_kib(pid: int, field: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # it has just exited
        return 0
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class _Lines:
    """Lines of a file that grows, counted from where the last call stopped."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset, self.count = path, 0, 0

    def __call__(self) -> int:
        if self.path.exists():
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read()
            self.offset += len(chunk)
            self.count += chunk.count(b"\n")
        return self.count


def run_once(
    tmp: Path, n: int, base_url: str, trace: float = 0.0, stop_after: float = 0.0
) -> tuple[float, float, int, int]:
    """(peak RSS MiB, seconds, pairs scored, questions answered) of one run. With `trace`,
    the peak so far is printed every `trace` seconds beside the questions answered (from
    responses.jsonl, k = 2 per question), so a run stopped at `stop_after` seconds still
    shows whether memory grows with the questions read."""
    questions = tmp / f"q{n}.jsonl"
    write_questions(questions, n)
    job = tmp / f"job{n}.yaml"
    job.write_text(job_text(f"mem{n}", questions, base_url, tmp / "runs"))
    run = tmp / "runs" / f"mem{n}"
    answered = _Lines(run / "responses.jsonl")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "run", str(job), "--quiet", "--no-report"], cwd=REPO
    )
    next_trace, stopped = t0 + trace, False
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.5)
        now = time.perf_counter()
        if trace and now >= next_trace:
            next_trace += trace
            print(
                f"    {now - t0:7.0f} s: {answered() // 2:>9,} questions answered, peak RSS "
                f"{_status_kib(proc.pid, 'VmHWM') / 1024:6.1f} MiB, "
                f"load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        if stop_after and not stopped and now - t0 >= stop_after:
            proc.send_signal(signal.SIGINT)  # the engine stops cleanly, as on Ctrl-C
            stopped = True
    elapsed = time.perf_counter() - t0
    assert stopped or os.waitstatus_to_exitcode(status) in (0, 1), status
    scores = sum(1 for _ in open(run / "scores.jsonl", "rb"))
    return rusage.ru_maxrss / 1024, elapsed, scores, answered() // 2


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    ap.add_argument("--trace", type=float, default=0.0, help="print the peak every S seconds")
    ap.add_argument("--stop-after", type=float, default=0.0, help="stop the last size at S s")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        with fake_server_process("--script", "bench.fake_scripts:mmlu_or_vanilla") as (_, url):
            results = []
            for i, n in enumerate(args.sizes):
                last = i == len(args.sizes) - 1
                stop = args.stop_after if last else 0.0
                rss, secs, scores, done = run_once(tmp, n, url, args.trace, stop)
                results.append((n, rss, secs, scores))
                note = "" if done >= n else f" (stopped after {done:,} questions answered)"
                print(
                    f"{n:>7} questions: peak RSS {rss:7.1f} MiB, {secs:6.1f} s, "
                    f"{scores} pairs scored, {done / secs:,.0f} questions/s{note}",
                    flush=True,
                )
    base = results[0][1]
    for n, rss, _, _ in results[1:]:
        print(f"peak RSS ratio {n} / {results[0][0]}: {rss / base:.3f} (target <= 1.20)")


if __name__ == "__main__":
    main()
