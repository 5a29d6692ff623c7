"""CPU time of every sympy comparison the published AMPS_Hard pairs need (the measurement
behind verifiers.math_equiv.CPU_LIMIT), and the wall time of the same comparison through
the pool, side by side, so the ratio shows how busy the machine was.

    .venv/bin/python bench/sympy_cpu.py        # reads ../shared/data; prints the slowest

In process, each comparison starts with an empty parse cache (the worst case: the pool's
children keep what they parsed).
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from verifiers import livebench, math_worker  # noqa: E402
from verifiers.livebench_math import amps_extract, clean_latex  # noqa: E402
from verifiers.math_equiv import CPU_LIMIT, EquivPool  # noqa: E402

DATA = REPO.parent / "shared" / "data"


def comparisons() -> list[tuple[str, str, str]]:
    """(pair id, key, extracted answer) for every AMPS_Hard answer sympy must compare."""
    links = {}
    for line in (DATA / "sources" / "judgebench_source_links.jsonl").read_bytes().splitlines():
        row = orjson.loads(line)
        links[row["pair_id"]] = row["link_value"]
    questions = {}
    for path in sorted((DATA / "sources").glob("livebench_math_*_question_sample.jsonl")):
        for q in livebench.load(path):
            questions[q.meta["question_id"]] = q
    out = []
    for path in sorted((DATA / "judgebench").glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            pair = orjson.loads(line)
            q = questions.get(links.get(pair["pair_id"], ""))
            if q is None or q.task != "AMPS_Hard":
                continue
            key = clean_latex(q.ground_truth).replace(" ^", "^")
            for side in ("response_A", "response_B"):
                got = amps_extract(pair[side])
                if got is not None and got.replace(" ", "") != key.replace(" ", ""):
                    out.append((pair["pair_id"][:8], key, got))
    return out


def main() -> None:
    if not DATA.is_dir():
        print("../shared/data is absent: nothing to measure")
        return
    todo = comparisons()
    math_worker.compare("x", "x")
    warnings.simplefilter("ignore")  # sympy installs its own filter on import
    cpu = []
    for pid, key, got in todo:
        math_worker._parse.cache_clear()
        start = time.process_time()
        status, _ = math_worker.compare(key, got)
        cpu.append((time.process_time() - start, pid, status))
    pool = EquivPool(workers=1)
    pool.check("1", "1")
    walls = {}
    for pid, key, got in todo:
        start = time.perf_counter()
        pool.check(key, got)
        walls.setdefault(pid, []).append(time.perf_counter() - start)
    pool.shutdown()
    cpu.sort(reverse=True)
    print(f"{len(cpu)} comparisons; CPU limit {CPU_LIMIT:g} s")
    print(f"total CPU {sum(c for c, _, _ in cpu):.1f} s, slowest:")
    for c, pid, status in cpu[:5]:
        print(f"  {pid}  {c:6.2f} s CPU  {status}")
    print(f"slowest / limit: {cpu[0][0] / CPU_LIMIT:.2f}")
    total_wall = sum(sum(w) for w in walls.values())
    print(f"through the pool: {total_wall:.1f} s wall for the same comparisons")


if __name__ == "__main__":
    main()
