"""Pair files: the published JudgeBench format and generic preference pairs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verifiers.errors import SourceError
from verifiers.pair_files import PAIR_FIELDS, load_pairs

JB = {
    "pair_id": "e302b0a0-28d5-5a3c-b1af-fedcf5543e72",
    "original_id": 1420,
    "source": "mmlu-pro-law",
    "question": "Q?",
    "response_model": "gpt-4o-2024-05-13",
    "response_A": "FFFFF",
    "response_B": "DDDDD",
    "label": "A>B",
}


def write(path: Path, recs: list[object]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in recs]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_judgebench_fields_exactly(tmp_path: Path) -> None:
    path = write(tmp_path / "p.jsonl", [dict(JB, extra="dropped"), dict(JB, original_id=None)])
    pairs = list(load_pairs(path, "judgebench"))
    assert pairs[0] == JB
    assert tuple(pairs[0]) == PAIR_FIELDS
    assert pairs[1]["original_id"] is None


def test_judgebench_errors(tmp_path: Path) -> None:
    recs = [
        JB,
        dict(JB, label="A=B"),
        {k: v for k, v in JB.items() if k != "response_B"},
        dict(JB, question=3),
        "[1, 2]",
        JB,
    ]
    path = write(tmp_path / "p.jsonl", recs)
    reports: list[str] = []
    assert len(list(load_pairs(path, "judgebench", on_error="skip", report=reports.append))) == 2
    assert reports == [
        f"{path}:2: field 'label': expected 'A>B' or 'B>A', got 'A=B'",
        f"{path}:3: missing field 'response_B'",
        f"{path}:4: field 'question': expected a string, got int",
        f"{path}:5: expected a JSON object, got list",
    ]
    with pytest.raises(SourceError) as err:
        list(load_pairs(path, "judgebench"))
    assert err.value.line == 2
    assert len(list(load_pairs(path, "judgebench", on_error="skip", limit=1))) == 1


def test_the_published_files_load(shared_data: Path) -> None:
    files = sorted((shared_data / "judgebench").glob("*.jsonl"))
    pairs = [p for f in files for p in load_pairs(f, "judgebench")]
    assert len(pairs) == 620
    assert len({p["pair_id"] for p in pairs}) == 620
    assert {p["label"] for p in pairs} == {"A>B", "B>A"}


def pref(n: int) -> dict[str, object]:
    return {
        "id": n,
        "prompt": f"p{n}",
        "chosen": f"good {n}",
        "rejected": f"bad {n}",
        "subset": "chat",
    }


def test_preference_pairs_are_deterministic_and_balanced(tmp_path: Path) -> None:
    path = write(tmp_path / "pref.jsonl", [pref(n) for n in range(400)])
    first = list(load_pairs(path, "preference", seed=7))
    assert first == list(load_pairs(path, "preference", seed=7))
    for p, n in zip(first, range(400), strict=True):
        assert tuple(p) == PAIR_FIELDS
        assert (p["original_id"], p["source"], p["question"]) == (n, "chat", f"p{n}")
        good = p["response_A"] if p["label"] == "A>B" else p["response_B"]
        assert good == f"good {n}"
    a_first = sum(p["label"] == "A>B" for p in first)
    assert 170 <= a_first <= 230  # a fair coin per pair: 200 ± 3 sd
    other = list(load_pairs(path, "preference", seed=8))
    assert [p["label"] for p in other] != [p["label"] for p in first]
    # Same A/B order -> same pair id, whatever the seed; swapped order -> a new id.
    for p, q in zip(first, other, strict=True):
        assert (p["pair_id"] == q["pair_id"]) == (p["label"] == q["label"])


def test_preference_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path / "pref.jsonl",
        [pref(1), {"prompt": "p", "chosen": "c"}, dict(pref(2), chosen=["a list"])],
    )
    reports: list[str] = []
    got = list(load_pairs(path, "preference", on_error="skip", report=reports.append))
    assert len(got) == 1
    assert reports == [
        f"{path}:2: missing field 'rejected'",
        f"{path}:3: field 'chosen': expected a string, got list",
    ]
    with pytest.raises(ValueError, match="pair file format"):
        list(load_pairs(path, "rewardbench"))  # type: ignore[arg-type]
