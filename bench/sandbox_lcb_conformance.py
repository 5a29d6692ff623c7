"""Conformance: our LiveCodeBench verifier on JudgeBench's 73 coding pairs, public tests only.

Each pair has a labelled-better (correct) and a labelled-worse (wrong) response. We
verify both against the source problem's public tests and count agreement: better
passes and worse fails. Usage::

    .venv/bin/python bench/sandbox_lcb_conformance.py [--float-tol 1e-6]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from verifiers import livecodebench  # noqa: E402
from verifiers.base import Question, Verdict  # noqa: E402

DATA = REPO.parent / "shared" / "data"
PROBLEMS = DATA / "sources" / "livecodebench_release_v1_public_tests_sample100.jsonl"
LINKS = DATA / "sources" / "judgebench_source_links.jsonl"
PAIRS = sorted((DATA / "judgebench").glob("dataset=judgebench,*.jsonl"))


def lcb_pairs() -> list[tuple[dict, str]]:
    """(pair, question_id) for every livecodebench pair in the published files."""
    links = {}
    for line in LINKS.read_text().splitlines():
        row = json.loads(line)
        if row["source"] == "livecodebench":
            links[row["pair_id"]] = row["link_value"]
    out = []
    for path in PAIRS:
        for line in path.read_text().splitlines():
            pair = json.loads(line)
            if pair["source"] == "livecodebench":
                out.append((pair, links[pair["pair_id"]]))
    return out


def evaluate(float_tol: float | None) -> dict:
    questions = {
        q.meta["question_id"]: q
        for q in livecodebench.load(PROBLEMS, float_tolerance=float_tol, timeout_s=6.0)
    }
    pairs = lcb_pairs()
    jobs: list[tuple[Question, str]] = []
    for pair, qid in pairs:
        q = questions[qid]
        assert q.question == pair["question"], qid
        good, bad = (
            ("response_A", "response_B") if pair["label"] == "A>B" else ("response_B", "response_A")
        )
        # JudgeBench stores the already-extracted code; fence it as a model would.
        jobs += [(q, f"```python\n{pair[good]}\n```"), (q, f"```python\n{pair[bad]}\n```")]
    started = time.perf_counter()
    with ThreadPoolExecutor(4) as ex:
        verdicts: list[Verdict] = list(ex.map(lambda j: livecodebench.verify(*j), jobs))
    elapsed = time.perf_counter() - started
    kinds: Counter[str] = Counter()
    details = []
    for n, (_pair, qid) in enumerate(pairs):
        good, bad = verdicts[2 * n], verdicts[2 * n + 1]
        kind = {
            (True, False): "agree (better passes, worse fails)",
            (True, True): "both pass",
            (False, False): "both fail",
            (False, True): "inverted (worse passes, better fails)",
        }.get((good.correct, bad.correct), "unverifiable")
        kinds[kind] += 1
        if kind != "agree (better passes, worse fails)":
            details.append((qid, kind, good.reason, bad.reason))
    return {"pairs": len(pairs), "kinds": kinds, "details": details, "seconds": elapsed}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--float-tol", type=float, default=None)
    ap.add_argument("--details", action="store_true")
    args = ap.parse_args()
    res = evaluate(args.float_tol)
    print(f"pairs: {res['pairs']}  float_tol: {args.float_tol}  wall: {res['seconds']:.1f} s")
    for kind, count in res["kinds"].most_common():
        print(f"  {count:3d}  {kind}")
    if args.details:
        for qid, kind, g, b in res["details"]:
            print(f"- {qid}: {kind}\n    better: {g[:150]}\n    worse:  {b[:150]}")


if __name__ == "__main__":
    main()
