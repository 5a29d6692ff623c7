"""Conformance on the published JudgeBench pairs (shared data; skipped when absent).

Every pair is tied to its source question by the links file; the pair's correct answer
must verify right and its wrong answer wrong. docs/conformance.md explains each
LiveBench pair where our verdicts differ from JudgeBench's label.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from verifiers import livebench, mmlu_pro
from verifiers.base import Question
from verifiers.pair_files import load_pairs

# Raise this when a verifier improves; docs/conformance.md lists the rest one by one.
LIVEBENCH_AGREE = 207


def _pairs(data: Path) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    links = {}
    with (data / "sources" / "judgebench_source_links.jsonl").open() as f:
        for line in f:
            row = json.loads(line)
            links[row["pair_id"]] = row
    for path in sorted((data / "judgebench").glob("*.jsonl")):
        for pair in load_pairs(path, "judgebench"):
            yield pair, links[pair["pair_id"]]


def _sides(pair: dict[str, Any]) -> tuple[str, str]:
    a, b = pair["response_A"], pair["response_B"]
    return (a, b) if pair["label"] == "A>B" else (b, a)


def test_mmlu_pro_reproduces_every_label(shared_data: Path) -> None:
    path = shared_data / "sources" / "mmlu_pro_test_sample300.jsonl"
    questions = {q.original_id: q for q in mmlu_pro.load(path)}
    agree = total = 0
    for pair, _link in _pairs(shared_data):
        if not pair["source"].startswith("mmlu-pro"):
            continue
        q = questions[pair["original_id"]]
        assert q.source == pair["source"]
        # JudgeBench's field is our question text plus JudgeBench's own instruction.
        assert pair["question"].startswith(q.question + "\n")
        good, bad = _sides(pair)
        total += 1
        right, wrong = mmlu_pro.verify(q, good), mmlu_pro.verify(q, bad)
        agree += right.correct is True and wrong.correct is False
    assert (agree, total) == (308, 308)


def livebench_agreement(data: Path) -> tuple[Counter[str], Counter[str], list[str]]:
    """Per task: pairs whose labels we reproduce, all pairs, and the ids of the others."""
    questions: dict[str, Question] = {}
    for path in sorted((data / "sources").glob("livebench_*_question_sample.jsonl")):
        for q in livebench.load(path):
            questions[q.meta["question_id"]] = q
    agree: Counter[str] = Counter()
    total: Counter[str] = Counter()
    others = []
    for pair, link in _pairs(data):
        if not pair["source"].startswith("livebench"):
            continue
        q = questions[link["link_value"]]
        assert (q.source, q.question) == (pair["source"], pair["question"])
        good, bad = _sides(pair)
        total[q.task] += 1
        if livebench.verify(q, good).correct is True and livebench.verify(q, bad).correct is False:
            agree[q.task] += 1
        else:
            others.append(pair["pair_id"])
    return agree, total, others


def test_livebench_agreement(shared_data: Path) -> None:
    agree, total, others = livebench_agreement(shared_data)
    assert sum(total.values()) == 239
    assert sum(agree.values()) >= LIVEBENCH_AGREE
    # Labels we cannot reproduce are documented pair by pair.
    doc = (Path(__file__).resolve().parents[2] / "docs" / "conformance.md").read_text()
    missing = [pid for pid in others if pid[:8] not in doc]
    assert not missing, f"undocumented disagreements: {missing}"


def _well_formed(q: Question) -> str:
    """An answer that gives the ground truth in the format the question asks for."""
    gt = q.ground_truth
    return {
        "spatial": f"Thinking.\n**{gt}**",
        "web_of_lies_v2": f"Thinking.\n**{gt}**",
        "zebra_puzzle": f"Thinking.\n***{gt}***",
        "olympiad": f"Reasoning.\n\nAnswer: {gt}",
        "AMPS_Hard": f"So $\\boxed{{{gt}}}$",
        "math_comp": gt * 5 if len(gt) == 1 else f"The answer is {gt}",
    }[q.task]


def test_every_sample_question_accepts_its_own_ground_truth(shared_data: Path) -> None:
    n = 0
    for path in sorted((shared_data / "sources").glob("livebench_*_question_sample.jsonl")):
        for q in livebench.load(path):
            v = livebench.verify(q, _well_formed(q))
            assert (v.correct, v.score) == (True, 1.0), (q.id, q.task, v)
            assert livebench.verify(q, "I do not know.").correct is False, q.id
            n += 1
    assert n == 306
