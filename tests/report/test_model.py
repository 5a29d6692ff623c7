"""The typed report: summary.json keeps every field earlier versions wrote; comparisons
and self-preference are computed once, on the right pairs."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from engine.report import write_report
from engine.report.build import build_report, unique
from engine.stats import mcnemar_exact, newcombe_paired
from tests.report.test_summary import _dump, _pair, _score, make_run

# The fields summary.json had before the typed model (added to since, never renamed).
OLD_TOP = {"generated", "runs", "table"}
OLD_RUN = {
    "run", "name", "job_file", "description", "imported_from", "counts", "judges", "solve",
    "solve_vs_judge", "providers", "no_pair_reasons",
}  # fmt: skip
OLD_COUNTS = {"pairs", "response_models", "judgments", "judgment_errors", "scores"}
OLD_JUDGE = {
    "type", "model", "provider", "pairs_scored", "pairs_unscored", "calls_recorded",
    "call_errors", "overall", "by_category", "outcomes", "order", "by_response_model",
}  # fmt: skip
OLD_ACC = {"n", "correct", "accuracy", "ci_low", "ci_high"}
OLD_ORDER = {"n", "consistency", "first_position", "both_first", "tie_rate", "no_decision_rate"}
OLD_GAP = {"judge", "model", "category", "solve_accuracy", "judge_accuracy", "gap"}
OLD_ROW = {
    "run", "judge", "model", "pairs", "accuracy", "ci_low", "ci_high", "knowledge",
    "reasoning", "math", "coding", "consistency", "first_position", "tie_rate",
    "no_decision_rate", "call_errors",
}  # fmt: skip


def test_summary_json_keeps_every_old_field(tmp_path: Path) -> None:
    make_run(tmp_path / "run")
    write_report([tmp_path / "run"], tmp_path / "out")
    s = orjson.loads((tmp_path / "out" / "summary.json").read_bytes())
    assert OLD_TOP <= set(s)
    run = s["runs"][0]
    assert OLD_RUN <= set(run) and OLD_COUNTS <= set(run["counts"])
    j = run["judges"]["j"]
    assert OLD_JUDGE <= set(j) and OLD_ORDER <= set(j["order"])
    for acc in [j["overall"], *j["by_category"].values(), *j["by_response_model"].values()]:
        assert OLD_ACC <= set(acc)
    for m in run["solve"].values():
        assert {"overall", "by_category"} <= set(m) and OLD_ACC <= set(m["overall"])
    assert all(OLD_GAP <= set(g) for g in run["solve_vs_judge"])
    assert OLD_ROW <= set(s["table"][0])
    # and what was added: intervals for the gap, the position test, the comparisons
    gap = run["solve_vs_judge"][0]
    assert gap["gap_low"] <= gap["gap"] <= gap["gap_high"]
    assert 0 <= j["order"]["position_bias_p"] <= 1 and "comparisons" in s


def _two_judge_run(run: Path) -> None:
    """Judges a and b on 10 pairs: both right 3, only a 1, only b 5, neither 1."""
    pairs = [_pair(f"p{i}", "livebench-math", "A>B", "gpt-4o") for i in range(10)]
    recs = list(pairs)
    kinds = ["both"] * 3 + ["a"] + ["b"] * 5 + ["none"]
    for p, kind in zip(pairs, kinds, strict=True):
        for judge in ("a", "b"):
            right = kind == "both" or kind == judge
            recs.append(_score(p, judge, "A>B" if right else "B>A", "B>A" if right else "A>B"))
    _dump(run, recs)


def test_comparison_of_two_judges_on_a_hand_table(tmp_path: Path) -> None:
    _two_judge_run(tmp_path / "run")
    rep = build_report([tmp_path / "run"])
    (c,) = rep.comparisons
    assert (c.n, c.both, c.only_a, c.only_b, c.neither) == (10, 3, 1, 5, 1)
    assert (c.accuracy_a.accuracy, c.accuracy_b.accuracy) == (40.0, 80.0)
    assert c.mcnemar_p == 14 / 64 == mcnemar_exact(1, 5)
    assert c.kappa == pytest.approx(-1 / 14)
    ref = newcombe_paired(3, 1, 5, 1)
    assert c.difference.estimate == pytest.approx(-40.0)
    assert (c.difference.low, c.difference.high) == pytest.approx((100 * ref.low, 100 * ref.high))
    d = rep.as_dict()["comparisons"][0]
    assert (d["a"], d["b"], d["table"]["only_b"]) == ("a", "b", 5)


def test_self_preference_pools_a_judge_over_runs_one_per_response_model(tmp_path: Path) -> None:
    """Published outputs come one file (run) per response model: only pooled can they
    compare a judge's own family with the others."""
    for name, model, right in (("gpt", "gpt-4o", 4), ("claude", "claude-3-5-sonnet", 1)):
        run = tmp_path / name
        pairs = [_pair(f"{name}{i}", "livebench-math", "A>B", model) for i in range(4)]
        recs = list(pairs)
        recs += [
            _score(p, "arena", "A>B" if i < right else "B>A", "B>A") for i, p in enumerate(pairs)
        ]
        _dump(run, recs)
        manifest = {"job": {"name": name, "judges": [{"name": "arena", "model": "gpt-4o-mini"}]}}
        (run / "manifest.json").write_bytes(orjson.dumps(manifest))
    rep = build_report([tmp_path / "gpt", tmp_path / "claude"])
    assert [r.label for r in rep.rows] == ["gpt / arena", "claude / arena"]  # names collide
    for row in rep.rows:
        sp = row.self_preference
        assert sp is not None and sp.family == "openai"
        assert (sp.own.correct, sp.own.n, sp.others.correct, sp.others.n) == (4, 4, 1, 4)
        assert sp.difference.estimate == pytest.approx(75.0)
    assert rep.comparisons == ()  # the two runs share no pair


def test_unique_labels() -> None:
    assert unique(["a", "b", "a", "a"]) == ["a", "b", "a (2)", "a (3)"]
