"""Conformance on JudgeBench's 73 LiveCodeBench pairs with public tests only.

The published pairs say which response is correct (by LiveCodeBench's full test suite).
With only the public tests we separate 50 of them; the rest are pairs whose wrong
response passes every public test (22), and one (abc319_c) whose correct response prints
a probability that matches only within a float tolerance. No pair may come out inverted.
"""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from verifiers import livecodebench as lcb

SAMPLE = "sources/livecodebench_release_v1_public_tests_sample100.jsonl"


def _pairs(data: Path) -> list[tuple[str, str, str]]:
    """(question_id, better response, worse response) for every coding pair."""
    links = {}
    for line in (data / "sources" / "judgebench_source_links.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["source"] == "livecodebench":
            links[row["pair_id"]] = row["link_value"]
    out = []
    for path in sorted((data / "judgebench").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            p = json.loads(line)
            if p["source"] == "livecodebench":
                a, b = p["response_A"], p["response_B"]
                better, worse = (a, b) if p["label"] == "A>B" else (b, a)
                out.append((links[p["pair_id"]], better, worse))
    return out


def _outcomes(
    data: Path, float_tol: float | None, only: list[str] | None = None
) -> dict[str, Counter[tuple[bool, bool]]]:
    # A generous per-test limit: two correct responses brute-force for 3 s on a quiet core.
    loaded = lcb.load(data / SAMPLE, float_tolerance=float_tol, question_ids=only, timeout_s=20)
    questions = {q.meta["question_id"]: q for q in loaded}
    pairs = [p for p in _pairs(data) if p[0] in questions]
    jobs = [(questions[qid], f"```python\n{code}\n```") for qid, *codes in pairs for code in codes]
    with ThreadPoolExecutor(4) as ex:
        verdicts = list(ex.map(lambda job: lcb.verify(*job), jobs))
    # A program that ran out of time on a loaded machine is run once more, alone, before
    # it counts (the verdict's typed kind says so; its text is not matched).
    verdicts = [
        lcb.verify(*job) if v.kind == "time_limit" else v
        for job, v in zip(jobs, verdicts, strict=True)
    ]
    by_question: dict[str, Counter[tuple[bool, bool]]] = {}
    for n, (qid, _, _) in enumerate(pairs):
        key = (verdicts[2 * n].correct, verdicts[2 * n + 1].correct)
        by_question.setdefault(qid, Counter())[key] += 1
    return by_question


def test_public_tests_agree_with_judgebench_labels(shared_data: Path) -> None:
    exact = _outcomes(shared_data, None)
    totals = sum(exact.values(), Counter())
    n = sum(totals.values())
    print(f"LiveCodeBench (public tests): {totals[(True, False)]}/{n} pairs agree")
    print(f"  both pass {totals[(True, True)]}, both fail {totals[(False, False)]}")
    print(f"  inverted {totals[(False, True)]}")
    assert totals == Counter({(True, False): 50, (True, True): 22, (False, False): 1})
    doc = (Path(__file__).resolve().parents[2] / "docs" / "conformance.md").read_text()
    assert (
        "| exact (LiveCodeBench's rule: line-wise, numbers as decimals) | **50** | 22 | 1 | 0 |"
        in doc
    )
    assert exact["abc319_c"] == Counter({(False, False): 1})
    # With a tolerance the float answer of abc319_c's correct response is accepted.
    tolerant = _outcomes(shared_data, 1e-6, only=["abc319_c"])
    assert tolerant["abc319_c"] == Counter({(True, False): 1})
