"""Per-answer cost of verification, measured side by side on the published JudgeBench answers.

* light verifiers (MMLU-Pro, LiveBench reasoning, AMC/AIME) in this process, µs per answer;
* AMPS_Hard's sympy check three ways on the same answers:
  - our pool: persistent children with sympy imported, one per comparison (cache off);
  - a fresh child per comparison (how LiveBench isolates its sympy call);
  - sympy in this process with no time limit (the floor; unsafe on hostile input).

    .venv/bin/python bench/verify_cost.py [--limit 70]

Needs ../shared/data (the published pairs and the source samples).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from verifiers import livebench, livebench_math, math_worker, mmlu_pro  # noqa: E402
from verifiers.base import Question  # noqa: E402
from verifiers.math_equiv import WORKER, EquivPool  # noqa: E402

DATA = REPO.parent / "shared" / "data"


def answers_by_task() -> dict[str, list[tuple[Question, str]]]:
    links = {}
    for line in (DATA / "sources" / "judgebench_source_links.jsonl").open():
        row = json.loads(line)
        links[row["pair_id"]] = row
    mmlu = {q.original_id: q for q in mmlu_pro.load(DATA / "sources/mmlu_pro_test_sample300.jsonl")}
    lb = {}
    for path in (DATA / "sources").glob("livebench_*_question_sample.jsonl"):
        for q in livebench.load(path):
            lb[q.meta["question_id"]] = q
    out: dict[str, list[tuple[Question, str]]] = {}
    for path in sorted((DATA / "judgebench").glob("*.jsonl")):
        for line in path.open():
            p = json.loads(line)
            if p["source"].startswith("mmlu-pro"):
                q = mmlu[p["original_id"]]
            elif p["source"].startswith("livebench"):
                q = lb[links[p["pair_id"]]["link_value"]]
            else:
                continue
            for text in (p["response_A"], p["response_B"]):
                out.setdefault(q.task, []).append((q, text))
    return out


def per_answer_us(
    verify: Callable[[Question, str], object], items: list[tuple[Question, str]], rounds: int = 20
) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for q, text in items:
            verify(q, text)
    return (time.perf_counter() - start) / (rounds * len(items)) * 1e6


def fresh_child(a: str, b: str) -> None:
    """One new interpreter per comparison: start, import sympy, compare, exit."""
    req = json.dumps({"a": a, "b": b}) + "\n"
    subprocess.run(
        [sys.executable, str(WORKER)],
        input=req,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=70, help="AMPS_Hard answers to time")
    args = ap.parse_args()
    warnings.simplefilter("ignore")  # sympy deprecation chatter from the in-process baseline
    if not DATA.is_dir():
        sys.exit(f"{DATA} is absent")
    by_task = answers_by_task()

    print("light verifiers, in-process (µs per answer):")
    for task in ("mmlu_pro", "web_of_lies_v2", "zebra_puzzle", "spatial", "math_comp"):
        items = by_task[task]
        verify = mmlu_pro.verify if task == "mmlu_pro" else livebench.verify
        print(f"  {task:16s} {len(items):4d} answers  {per_answer_us(verify, items):8.1f} µs")

    amps = by_task["AMPS_Hard"][: args.limit]
    keys, got = [], []
    for q, text in amps:
        ans = livebench_math.amps_extract(text)
        if ans is not None:
            keys.append(livebench_math.clean_latex(q.ground_truth).replace(" ^", "^"))
            got.append(ans)
    n = len(got)
    print(f"\nAMPS_Hard sympy comparison, {n} answers (ms per answer, median / mean):")

    pool = EquivPool(workers=1)
    pool.check("1", "1")  # start the child outside the timing, as a long run would
    t_pool = []
    for a, b in zip(keys, got, strict=True):
        pool._cache.clear()
        s = time.perf_counter()
        pool.check(a, b, timeout=30)
        t_pool.append(time.perf_counter() - s)
    pool.shutdown()

    t_inproc = []
    math_worker.compare("x", "x")
    warnings.simplefilter("ignore")  # sympy installs its own filter on import
    for a, b in zip(keys, got, strict=True):
        s = time.perf_counter()
        math_worker.compare(a, b)
        t_inproc.append(time.perf_counter() - s)

    t_fresh = []
    for a, b in zip(keys, got, strict=True):
        s = time.perf_counter()
        fresh_child(a, b)
        t_fresh.append(time.perf_counter() - s)

    def row(name: str, ts: list[float]) -> None:
        med, mean = statistics.median(ts) * 1e3, statistics.mean(ts) * 1e3
        print(f"  {name:34s} {med:8.1f} / {mean:8.1f}")

    row("in-process sympy (no time limit)", t_inproc)
    row("our pool (persistent child)", t_pool)
    row("fresh child per comparison", t_fresh)
    ratio = statistics.mean(t_fresh) / statistics.mean(t_pool)
    overhead = statistics.mean(t_pool) / statistics.mean(t_inproc)
    print(f"\n  fresh child / pool (mean): {ratio:.1f}x")
    print(f"  pool / in-process (mean): {overhead:.2f}x")


if __name__ == "__main__":
    main()
