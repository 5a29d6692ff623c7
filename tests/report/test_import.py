"""Importing published JudgeBench judge outputs reproduces JudgeBench's own scores.

The published output files are not in ../shared, so fixtures are written here in their
format (pair record + `judge_name` + `judgments`, one `{judgment, decision}` per order or
null for a failed call) from the published GPT-4o pairs, and the rescoring is compared
with an independent computation of JudgeBench's rule.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from engine.cli import main as cli_main
from engine.report import import_published

GPT_PAIRS = "judgebench/dataset=judgebench,response_model=gpt-4o-2024-05-13.jsonl"
OPP = {"A>B": "B>A", "B>A": "A>B"}


def _pairs(shared_data: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (shared_data / GPT_PAIRS).read_bytes().splitlines()]


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def _entry(decision: str | None, model: str = "gpt-4o-mini") -> dict[str, Any]:
    return {
        "judgment": {"judge_model": model, "prompt": "p", "response": f"v [[{decision}]]"},
        "decision": decision,
    }


def _cat(source: str) -> str:
    for prefix, cat in (
        ("mmlu-pro", "knowledge"),
        ("livebench-reasoning", "reasoning"),
        ("livebench-math", "math"),
        ("livecodebench", "coding"),
    ):
        if source.startswith(prefix):
            return cat
    return "other"


def judgebench_scores(records: list[dict[str, Any]]) -> dict[str, float]:
    """JudgeBench's published rule, written out independently: per category and overall,
    100 × pairs with a positive vote sum / all pairs; single-game: decision == label."""
    tally: dict[str, list[int]] = {}
    for r in records:
        label, js = r["label"], r["judgments"]
        d1 = js[0]["decision"] if js[0] is not None else None
        if len(js) == 1:
            ok = d1 == label
        else:
            raw2 = js[1]["decision"] if js[1] is not None else None
            d2 = OPP.get(raw2, raw2)
            votes = sum((d == label) - (d == OPP[label]) for d in (d1, d2))
            ok = votes > 0
        for key in (_cat(r["source"]), "overall"):
            tally.setdefault(key, [0, 0])
            tally[key][0] += ok
            tally[key][1] += 1
    return {k: 100 * c / n for k, (c, n) in tally.items()}


def _imported(result: dict[str, Any]) -> dict[str, float]:
    (judge,) = result["runs"][0]["judges"].values()
    out = {c: a["accuracy"] for c, a in judge["by_category"].items()}
    out["overall"] = judge["overall"]["accuracy"]
    return out


def test_tiny_file_by_hand(tmp_path: Path) -> None:
    base = {
        "original_id": None,
        "question": "q",
        "response_model": "m",
        "response_A": "a",
        "response_B": "b",
        "judge_name": "arena_hard",
    }
    recs = [
        # right + right -> correct
        {
            **base,
            "pair_id": "1",
            "source": "livebench-math",
            "label": "A>B",
            "judgments": [_entry("A>B"), _entry("B>A")],
        },
        # position flip: AB says A, BA says its first (= B) -> tie, not correct
        {
            **base,
            "pair_id": "2",
            "source": "livebench-math",
            "label": "A>B",
            "judgments": [_entry("A>B"), _entry("A>B")],
        },
        # right + failed call (null) -> correct
        {
            **base,
            "pair_id": "3",
            "source": "mmlu-pro-law",
            "label": "B>A",
            "judgments": [_entry("B>A"), None],
        },
        # tie + wrong -> incorrect
        {
            **base,
            "pair_id": "4",
            "source": "mmlu-pro-law",
            "label": "B>A",
            "judgments": [_entry("A=B"), _entry("B>A")],
        },
    ]
    f = _write(tmp_path / "judge_name=arena_hard,judge_model=gpt-4o-mini.jsonl", recs)
    got = _imported(import_published([f], tmp_path / "out"))
    assert got == {"knowledge": 50.0, "math": 50.0, "overall": 50.0}


def test_rescoring_equals_judgebench_rule_on_published_pairs(
    shared_data: Path, tmp_path: Path
) -> None:
    rng = random.Random(7)
    recs = []
    for p in _pairs(shared_data):
        js = [
            None if rng.random() < 0.05 else _entry(rng.choice(["A>B", "B>A", "A=B", None]))
            for _ in range(2)
        ]
        recs.append({**p, "judge_name": "arena_hard", "judgments": js})
    f = _write(tmp_path / "x,judge_name=arena_hard,judge_model=gpt-4o-mini.jsonl", recs)
    result = import_published([f], tmp_path / "out")
    expected = judgebench_scores(recs)
    assert _imported(result) == pytest.approx(expected, abs=1e-12)
    assert set(expected) == {"knowledge", "reasoning", "math", "coding", "overall"}
    assert result["runs"][0]["counts"]["pairs"] == 350
    run = result["runs"][0]
    assert run["judges"]["arena_hard/gpt-4o-mini"]["model"] == "gpt-4o-mini"
    for name in ("summary.json", "report.md", "accuracy_by_category.png"):
        assert (tmp_path / "out" / name).exists()


def _reward_records(shared_data: Path, *, single: bool, keep_decision: bool) -> list[dict]:
    rng = random.Random(11)
    recs = []
    for p in _pairs(shared_data):
        s_a, s_b = round(rng.gauss(0, 2), 3), round(rng.gauss(0, 2), 3)
        js = []
        for first, second in [(s_a, s_b), (s_b, s_a)][: 1 if single else 2]:
            judgment = {
                "judge_model": "Skywork/Skywork-Reward-Llama-3.1-8B",
                "prompt": "",
                "response": "",
                "scores": [first, second],
            }
            entry: dict[str, Any] = {"judgment": judgment}
            if keep_decision:  # as JudgeBench writes it: strictly greater first score wins
                entry["decision"] = "A>B" if first > second else "B>A"
            js.append(entry)
        recs.append({**p, "judge_name": "reward_model", "judgments": js})
    return recs


@pytest.mark.parametrize("single", [True, False])
def test_reward_model_files(shared_data: Path, tmp_path: Path, single: bool) -> None:
    recs = _reward_records(shared_data, single=single, keep_decision=True)
    name = "judge_name=reward_model,judge_model=Skywork_Skywork-Reward-Llama-3.1-8B.jsonl"
    f = _write(tmp_path / name, recs)
    got = _imported(import_published([f], tmp_path / "out"))
    assert got == pytest.approx(judgebench_scores(recs), abs=1e-12)
    # Without stored decisions the scores decide, with the same result (no equal scores here).
    bare = _write(
        tmp_path / ("bare," + name),
        _reward_records(shared_data, single=single, keep_decision=False),
    )
    assert _imported(import_published([bare], tmp_path / "out2")) == got


def test_cli_report_import(shared_data: Path, tmp_path: Path) -> None:
    recs = [
        {**p, "judge_name": "vanilla", "judgments": [_entry(p["label"]), _entry("A=B")]}
        for p in _pairs(shared_data)[:40]
    ]
    f = _write(tmp_path / "judge_name=vanilla,judge_model=m.jsonl", recs)
    out = tmp_path / "rep"
    assert cli_main(["report", "--import", str(f), "--out", str(out)]) == 0
    summary = orjson.loads((out / "summary.json").read_bytes())
    assert summary["table"][0]["accuracy"] == 100.0  # right + tie is right


def test_bad_record_names_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_bytes(b'{"pair_id": "1", "source": "s", "label": "A>B", "judgments": []}\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl, line 1"):
        import_published([f], tmp_path / "out")


def test_single_game_file_order_metrics(shared_data: Path, tmp_path: Path) -> None:
    recs = _reward_records(shared_data, single=True, keep_decision=True)
    f = _write(tmp_path / "judge_name=reward_model,judge_model=rm.jsonl", recs)
    (judge,) = import_published([f], tmp_path / "out")["runs"][0]["judges"].values()
    assert judge["orders"] == 1
    assert judge["order"]["no_decision_rate"] == 0.0  # the order never judged is not counted
