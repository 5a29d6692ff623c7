"""build_summary / write_report over run folders written as the engine writes them."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
from rich.console import Console

from engine.records import (
    JudgmentRecord,
    PairRecord,
    Record,
    ResponseRecord,
    ScoreRecord,
    VerdictRecord,
)
from engine.report import build_summary, write_report
from engine.scoring import flip, outcome


def _dump(run: Path, records: list[Record]) -> None:
    run.mkdir(parents=True, exist_ok=True)
    for r in records:
        with open(run / r.FILE, "ab") as fh:
            fh.write(orjson.dumps(r.to_dict()) + b"\n")


def _pair(pid: str, source: str, label: str, rm: str) -> PairRecord:
    return PairRecord(pid, None, source, "q", rm, "a", "b", label)  # type: ignore[arg-type]


def _score(p: PairRecord, judge: str, ab: str | None, ba_own: str | None) -> ScoreRecord:
    back = flip(ba_own)  # type: ignore[arg-type]
    return ScoreRecord(
        p.pair_id,
        judge,
        p.source,
        p.label,
        ab,
        back,  # type: ignore[arg-type]
        outcome(p.label, ab, back),
        p.response_model,
    )  # type: ignore[arg-type]


def _answer(key: str, model: str, source: str, correct: bool | None) -> list[Record]:
    return [
        ResponseRecord(key, "q-" + key, source, 0, "prov", model, "text"),
        VerdictRecord(key, "q-" + key, source, "t", correct, float(bool(correct)), "x", "r"),
    ]


def make_run(run: Path) -> None:
    pairs = [
        _pair("p1", "mmlu-pro-law", "A>B", "gpt-4o"),
        _pair("p2", "mmlu-pro-law", "B>A", "gpt-4o"),
        _pair("p3", "livebench-math", "A>B", "claude"),
        _pair("p4", "livebench-math", "B>A", "claude"),
    ]
    recs: list[Record] = list(pairs)
    # Judge "j" (model judge-model): p1 right/right, p2 wrong/wrong, p3 right/tie; p4's BA
    # call failed, so p4 has no score (the engine retries it on resume).
    recs += [
        _score(pairs[0], "j", "A>B", "B>A"),
        _score(pairs[1], "j", "A>B", "B>A"),
        _score(pairs[2], "j", "A>B", "A=B"),
        JudgmentRecord("k4ab", "p4", "j", "AB", "Output (b)", "B>A"),
        JudgmentRecord("k4ba", "p4", "j", "BA", None, None, error="server", error_message="503"),
        # a call that failed, then succeeded on resume: the later line wins
        JudgmentRecord("k1ab", "p1", "j", "AB", None, None, error="timeout"),
        JudgmentRecord("k1ab", "p1", "j", "AB", "Output (a)", "A>B"),
    ]
    # Solver answers: the judge's own model solved math 1/2 and knowledge 2/2.
    recs += _answer("r1", "judge-model", "livebench-math", True)
    recs += _answer("r2", "judge-model", "livebench-math", False)
    recs += _answer("r3", "judge-model", "mmlu-pro-law", True)
    recs += _answer("r4", "judge-model", "mmlu-pro-law", True)
    recs += _answer("r5", "judge-model", "mmlu-pro-law", None)  # undecidable: left out
    recs.append(
        ResponseRecord("r6", "q", "mmlu-pro-law", 0, "prov", "judge-model", None, error="timeout")
    )
    _dump(run, recs)
    manifest = {
        "job_file": "jobs/x.yaml",
        "job": {
            "name": "demo",
            "judges": [
                {"name": "j", "type": "vanilla", "model": "judge-model", "provider": "fake"}
            ],
        },
    }
    (run / "manifest.json").write_bytes(orjson.dumps(manifest))
    stats = {
        "providers": {
            "fake": {
                "requests": 12,
                "retries": 3,
                "rate_limited": 2,
                "errors": 1,
                "input_tokens": 900,
                "output_tokens": 80,
                "cost": 0.0123,
                "by_model": {},
            }
        },
        "no_pair_reasons": {"all_correct": 5, "all_wrong": 2},
    }
    (run / "stats.json").write_bytes(orjson.dumps(stats))


def test_build_summary(tmp_path: Path) -> None:
    make_run(tmp_path / "run")
    typed = build_summary(tmp_path / "run")
    s = typed.as_dict()  # the summary.json shape, as earlier readers know it
    assert typed.judges["j"].overall.correct == 2 and typed.counts.pairs == 4
    j = s["judges"]["j"]
    assert (j["type"], j["model"]) == ("vanilla", "judge-model")
    assert j["pairs_scored"] == 3 and j["pairs_unscored"] == 1
    assert j["outcomes"] == {"correct": 2, "incorrect": 1, "tie": 0}
    assert j["overall"]["accuracy"] == 100 * 2 / 3
    assert j["by_category"]["knowledge"]["accuracy"] == 50.0
    assert j["by_category"]["math"]["accuracy"] == 100.0
    # Errors are counted, never scored; the retried call's success replaced its error.
    assert j["call_errors"] == 1 and s["counts"]["judgment_errors"] == 1
    # Self-preference: accuracy per response model.
    assert j["by_response_model"]["gpt-4o"]["accuracy"] == 50.0
    assert j["by_response_model"]["claude"]["accuracy"] == 100.0
    # Solve accuracy from responses ⋈ verdicts; undecidable and failed answers left out.
    solve = s["solve"]["judge-model"]
    assert solve["by_category"]["math"]["accuracy"] == 50.0
    assert solve["by_category"]["knowledge"]["accuracy"] == 100.0
    assert solve["overall"]["n"] == 4
    gap = {r["category"]: r for r in s["solve_vs_judge"]}
    assert gap["math"]["solve_accuracy"] == 50.0 and gap["math"]["judge_accuracy"] == 100.0
    assert gap["knowledge"]["gap"] == -50.0
    assert s["providers"]["fake"]["retries"] == 3
    assert s["no_pair_reasons"] == {"all_correct": 5, "all_wrong": 2}


def test_build_summary_without_manifest_or_stats(tmp_path: Path) -> None:
    run = tmp_path / "bare"
    p = _pair("p1", "livecodebench", "A>B", "m")
    _dump(run, [p, _score(p, "judge-x", "A>B", "B>A")])
    with open(run / "scores.jsonl", "ab") as fh:
        fh.write(b'{"pair_id": "p2", "judge"')  # a torn last line is ignored
    s = build_summary(run).as_dict()
    assert s["name"] == "bare"
    assert s["judges"]["judge-x"]["by_category"]["coding"]["accuracy"] == 100.0
    assert s["providers"] == {} and s["solve"] == {}


def test_write_report_files_and_table(tmp_path: Path) -> None:
    make_run(tmp_path / "r1")
    make_run(tmp_path / "r2")
    buf = io.StringIO()
    result = write_report(
        [tmp_path / "r1", tmp_path / "r2"], tmp_path / "out", console=Console(file=buf, width=220)
    )
    out = tmp_path / "out"
    assert len(result["table"]) == 2  # one row per run × judge
    summary = orjson.loads((out / "summary.json").read_bytes())
    assert summary["table"][0]["accuracy"] == 100 * 2 / 3
    for png in ("accuracy_by_category.png", "order_effects.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "report.md").read_text()
    assert "| demo | j | judge-model | 3 | 66.7 [" in md
    assert "Solve versus judge" in md and "Accuracy by response model" in md
    assert "all_correct" in md and "| fake | 12 | 3 | 2 | 1 | 900 | 80 | 0.0123 |" in md
    text = buf.getvalue()
    assert "judge-model" in text and "66.7" in text
