"""The streamed, columnar report equals the record-by-record one it replaced.

The reference below is the report's arithmetic as it was before the columns
(engine.report.columns): every score kept as a `ScoreRecord` in dicts, metrics summed
record by record, comparisons and self-preference joined on pair_id strings, solve
accuracy joined on request_key strings, the meta-judge's filtered accuracy joined on
(pair_id, judge, order) strings. Two run folders of random records, with what a resumed
run leaves behind (a later line for the same key, a failed call retried, answers without a
verdict, verdicts that could not decide, replies empty at the token cap, meta-judgments
failed, unscored or scored again), sharing pairs and a judge name, must give the same
summary.json numbers and the same viewer scores either way.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest

from engine.records import Decision, ScoreRecord
from engine.report import build_report, keyed, write_report
from engine.report.families import model_family
from engine.report.runfiles import iter_jsonl
from engine.report.viewer import Scan, score_code
from engine.scoring import (
    Accuracy,
    OrderEffects,
    Outcomes,
    _first_shown,
    accuracy_ci,
    category,
    difference,
    flip,
    ordered_categories,
    outcome,
)
from engine.stats import cohen_kappa, mcnemar_exact, newcombe_paired

SOURCES = ("mmlu-pro-law", "livebench-reasoning", "livebench-math", "livecodebench", "x-other")
DECISIONS: tuple[Decision | None, ...] = ("A>B", "B>A", "A=B", None)
MODELS = ("gpt-4o", "claude-3-5-sonnet", "gemini-1.5-pro")


def _write(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with open(path, "ab") as fh:
        for r in rows:
            fh.write(orjson.dumps(r) + b"\n")


def make_run(
    run: Path,
    name: str,
    judges: Sequence[tuple[str, str]],
    pids: range,
    seed: int,
    meta_judge: dict[str, Any] | None = None,
) -> None:
    rng = random.Random(seed)
    meta_rng = random.Random(seed + 1000)  # its own stream: the other records stay as they were
    run.mkdir(parents=True)
    job: dict[str, Any] = {
        "name": name,
        "judges": [{"name": j, "type": "vanilla", "model": m} for j, m in judges],
    }
    if meta_judge is not None:
        job["meta_judge"] = meta_judge
    (run / "manifest.json").write_bytes(orjson.dumps({"job": job}))
    pairs, judgments, scores, responses, verdicts, metas = [], [], [], [], [], []
    for i in pids:
        pid, src = f"p{i:04d}", SOURCES[i % len(SOURCES)]
        label = rng.choice(("A>B", "B>A"))
        rm = MODELS[i % len(MODELS)]
        pairs.append({"pair_id": pid, "source": src, "label": label, "response_model": rm})
        for k in range(2):
            key = f"{pid}/r{k}"
            # Some answers failed, then succeeded on resume; some have no source of their own.
            if rng.random() < 0.1:
                responses.append({"request_key": key, "model": rm, "source": src, "text": None})
            responses.append(
                {"request_key": key, "model": rm, "source": src if k else "", "text": "t"}
            )
            correct = rng.choice((True, False, None)) if rng.random() < 0.9 else None
            verdicts.append({"response_key": key, "source": src, "correct": correct})
        for j, _ in judges:
            for order in ("AB", "BA"):
                rec = {
                    "request_key": f"{pid}/{j}/{order}",
                    "pair_id": pid,
                    "judge": j,
                    "order": order,
                    "decision": None,
                    "raw": "r",
                }
                if rng.random() < 0.1:
                    judgments.append({**rec, "error": "timeout"})
                if rng.random() < 0.9:
                    judgments.append({**rec, "error": None})
                # Out of tokens: an empty reply cut at max_tokens, sometimes answered later.
                for _ in range(meta_rng.random() < 0.15):
                    judgments.append({**rec, "raw": "", "finish_reason": "length", "error": None})
                    if meta_rng.random() < 0.3:
                        judgments.append({**rec, "finish_reason": "stop", "error": None})
                if meta_judge is not None:
                    metas += _meta_lines(meta_rng, pid, j, order)
            if rng.random() < 0.1:
                continue  # not scored yet
            for _ in range(1 + (rng.random() < 0.1)):  # a later line for the same pair wins
                ab, ba = rng.choice(DECISIONS), rng.choice(DECISIONS)
                scores.append(
                    {
                        "pair_id": pid,
                        "judge": j,
                        "source": src,
                        "label": label,
                        "decision_AB": ab,
                        "decision_BA": ba,
                        "outcome": outcome(label, ab, ba),
                        "response_model": rm,
                    }
                )
    rng.shuffle(scores)
    for file, rows in (
        ("pairs", pairs),
        ("judgments", judgments),
        ("scores", scores),
        ("responses", responses),
        ("verdicts", verdicts),
        ("meta_judgments", metas),
    ):
        _write(run / f"{file}.jsonl", rows)


def _meta_lines(rng: random.Random, pid: str, judge: str, order: str) -> list[dict[str, Any]]:
    """A judgment's meta-judgments as a resumed run leaves them: none yet, a failed call
    (retried or not), a reply without every criterion, a later line scoring it again."""
    rec = {"request_key": f"m/{pid}/{judge}/{order}", "pair_id": pid, "judge": judge}
    rec["order"] = order
    out = []
    for _ in range(rng.choice((0, 1, 1, 1, 2))):
        if rng.random() < 0.1:
            out.append({**rec, "meta_score": None, "error": "timeout"})
            continue
        score = None if rng.random() < 0.1 else rng.choice((1, 2.5, 3, 3.5, 4, 4.25, 5))
        out.append({**rec, "meta_score": score, "error": None})
    return out


# ---------------------------------------------------------------- the reference (old path)


def ref_order(items: Sequence[ScoreRecord], orders: int) -> OrderEffects:
    n = consistent = side = first = both_first = ties = nones = 0
    for s in items:
        n += 1
        consistent += s.decision_AB is not None and s.decision_AB == s.decision_BA
        own = (s.decision_AB, flip(s.decision_BA))[:orders]
        shown = [_first_shown(d) for d in own]
        picked = [f for f in shown if f is not None]
        side += len(picked)
        first += sum(picked)
        both_first += shown == [True, True]
        ties += sum(d == "A=B" for d in own)
        nones += sum(d is None for d in own)
    return OrderEffects(n, orders, consistent, side, first, both_first, ties, nones)


def ref_judge(items: Sequence[ScoreRecord]) -> dict[str, Any]:
    by_cat: dict[str, list[bool]] = {}
    counts = {"correct": 0, "incorrect": 0, "tie": 0}
    by_model: dict[str, list[bool]] = {}
    for s in items:
        counts[s.outcome] += 1
        by_cat.setdefault(category(s.source), []).append(s.outcome == "correct")
        by_model.setdefault(str(s.response_model), []).append(s.outcome == "correct")
    return {
        "pairs_scored": len(items),
        "overall": Accuracy.of(counts["correct"], len(items)).as_dict(),
        "by_category": {c: accuracy_ci(by_cat[c]).as_dict() for c in ordered_categories(by_cat)},
        "outcomes": Outcomes(**counts).as_dict(),
        "order": ref_order(items, 2).as_dict(),
        "by_response_model": {m: accuracy_ci(v).as_dict() for m, v in sorted(by_model.items())},
    }


def ref_scores(run: Path) -> dict[str, dict[str, ScoreRecord]]:
    """judge -> pair_id -> its last score line."""
    out: dict[str, dict[str, ScoreRecord]] = {}
    for o in iter_jsonl(run / "scores.jsonl"):
        s = ScoreRecord(
            o["pair_id"],
            o["judge"],
            o["source"],
            o["label"],
            o["decision_AB"],
            o["decision_BA"],
            o["outcome"],
            o["response_model"],
        )
        out.setdefault(s.judge, {})[s.pair_id] = s
    return out


def ref_calls(run: Path) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """(calls, failed calls, out-of-tokens replies) per judge; the last line per key wins."""
    seen: set[str] = set()
    failed: dict[str, str] = {}
    spent: dict[str, str] = {}
    calls: dict[str, int] = {}
    for j in iter_jsonl(run / "judgments.jsonl"):
        key = str(j["request_key"])
        if key not in seen:
            seen.add(key)
            calls[j["judge"]] = calls.get(j["judge"], 0) + 1
        if j.get("error"):
            failed[key] = j["judge"]
        else:
            failed.pop(key, None)
        if j.get("raw") == "" and j.get("finish_reason") == "length":
            spent[key] = j["judge"]
        else:
            spent.pop(key, None)
    errors: dict[str, int] = {}
    for judge in failed.values():
        errors[judge] = errors.get(judge, 0) + 1
    out_of_tokens: dict[str, int] = {}
    for judge in spent.values():
        out_of_tokens[judge] = out_of_tokens.get(judge, 0) + 1
    return calls, errors, out_of_tokens


def ref_meta(
    run: Path, judge: str, scores: dict[str, ScoreRecord], threshold: float
) -> dict[str, Any]:
    """The meta-judge's filtered accuracy as it was computed before the columns."""
    metas: dict[tuple[str, str, str], float | None] = {}
    for m in iter_jsonl(run / "meta_judgments.jsonl"):
        if m.get("error"):
            continue
        score = m.get("meta_score")
        key = (str(m["pair_id"]), str(m["judge"]), str(m["order"]))
        metas[key] = float(score) if isinstance(score, int | float) else None
    mine = {k: v for k, v in metas.items() if k[1] == judge}
    kept = {k for k, v in mine.items() if v is not None and v >= threshold}
    pairs = [s for p, s in scores.items() if {(p, judge, "AB"), (p, judge, "BA")} <= kept]
    plain = [s.outcome == "correct" for s in scores.values()]
    return {
        "threshold": threshold,
        "judgments_scored": sum(v is not None for v in mine.values()),
        "judgments_kept": len(kept),
        "pairs_kept": len(pairs),
        "accuracy": accuracy_ci(s.outcome == "correct" for s in pairs).as_dict(),
        "plain_accuracy": accuracy_ci(plain).as_dict(),
    }


def ref_solve(run: Path) -> dict[str, Any]:
    answered: dict[str, tuple[str, str]] = {}
    for r in iter_jsonl(run / "responses.jsonl"):
        if not r.get("error") and r.get("text") is not None:
            answered[str(r["request_key"])] = (str(r.get("model")), str(r.get("source", "")))
    hits: dict[str, dict[str, list[bool]]] = {}
    for v in iter_jsonl(run / "verdicts.jsonl"):
        key = str(v.get("response_key"))
        if key in answered and v.get("correct") is not None:
            model, source = answered[key]
            cat = category(source or str(v.get("source", "")))
            hits.setdefault(model, {}).setdefault(cat, []).append(bool(v["correct"]))
    out = {}
    for model, by_cat in sorted(hits.items()):
        cats = ordered_categories(by_cat)
        out[model] = {
            "overall": accuracy_ci(h for c in cats for h in by_cat[c]).as_dict(),
            "by_category": {c: accuracy_ci(by_cat[c]).as_dict() for c in cats},
        }
    return out


def ref_compare(a: dict[str, ScoreRecord], b: dict[str, ScoreRecord]) -> dict[str, Any] | None:
    common = [p for p in a if p in b]
    if not common:
        return None
    both = only_a = only_b = 0
    for p in common:
        x, y = a[p].outcome == "correct", b[p].outcome == "correct"
        both += x and y
        only_a += x and not y
        only_b += y and not x
    n = len(common)
    neither = n - both - only_a - only_b
    return {
        "n": n,
        "table": {"both": both, "only_a": only_a, "only_b": only_b, "neither": neither},
        "accuracy_a": Accuracy.of(both + only_a, n).as_dict(),
        "accuracy_b": Accuracy.of(both + only_b, n).as_dict(),
        "mcnemar_p": mcnemar_exact(only_a, only_b),
        "kappa": cohen_kappa(both, only_a, only_b, neither),
        "difference": newcombe_paired(both, only_a, only_b, neither).scaled(100.0).estimate,
    }


def ref_self_preference(family: str | None, scores: Iterable[ScoreRecord]) -> dict[str, Any] | None:
    own: list[bool] = []
    others: list[bool] = []
    for s in scores:
        (own if model_family(str(s.response_model)) == family else others).append(
            s.outcome == "correct"
        )
    if family is None or not own or not others:
        return None
    a, b = accuracy_ci(own), accuracy_ci(others)
    return {"own": a.as_dict(), "others": b.as_dict(), "difference": difference(a, b).estimate}


def _json(x: Any) -> Any:
    return orjson.loads(orjson.dumps(x))  # NaN as null, on both sides


@pytest.mark.parametrize("spill_lines", [None, 37], ids=["held", "spilled"])
def test_the_streamed_report_equals_the_record_by_record_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spill_lines: int | None
) -> None:
    spills: list[object] = []
    if spill_lines is not None:  # every column past 37 lines waits on disk, range by range
        real = keyed.tempfile.TemporaryFile

        def counted(*args: Any, **kwargs: Any) -> Any:
            spills.append(None)
            return real(*args, **kwargs)

        monkeypatch.setattr(keyed, "SPILL_LINES", spill_lines)
        monkeypatch.setattr(keyed.tempfile, "TemporaryFile", counted)
    r1, r2 = tmp_path / "one", tmp_path / "two"
    # Every judge of the first run is meta-judged; of the second, judge-c only.
    meta_1 = {"threshold": 3.5}
    meta_2 = {"threshold": 4.0, "judges": ["judge-c"]}
    judges_1 = [("judge-a", "gpt-4o"), ("judge-b", "claude-3-5-sonnet")]
    make_run(r1, "one", judges_1, range(0, 400), 1, meta_1)
    # Shares a judge name and 200 pairs with the first run: pooled and cross-run joins.
    judges_2 = [("judge-a", "gpt-4o"), ("judge-c", "gemini-1.5-pro")]
    make_run(r2, "two", judges_2, range(200, 700), 2, meta_2)
    got = write_report([r1, r2], tmp_path / "out")

    per_run = {r: ref_scores(r) for r in (r1, r2)}
    metas: dict[Path, dict[str, Any]] = {r1: meta_1, r2: meta_2}
    n_meta = n_spent = 0
    for run, summary in zip((r1, r2), got["runs"], strict=True):
        scores = per_run[run]
        calls, errors, spent = ref_calls(run)
        for name, j in summary["judges"].items():
            expected = ref_judge(list(scores.get(name, {}).values()))
            assert {k: j[k] for k in expected} == _json(expected), name
            assert j["calls_recorded"] == calls.get(name, 0)
            assert j["call_errors"] == errors.get(name, 0)
            assert j["out_of_tokens"] == spent.get(name, 0)
            n_spent += spent.get(name, 0)
            chosen = metas[run].get("judges")
            if chosen is not None and name not in chosen:
                assert j["meta_judge"] is None
            else:
                threshold = float(metas[run]["threshold"])
                ref = ref_meta(run, name, scores.get(name, {}), threshold)
                assert j["meta_judge"] == _json(ref), name
                assert 0 < ref["pairs_kept"] < expected["pairs_scored"]  # a real filter
                n_meta += 1
            n_pairs = sum(1 for _ in iter_jsonl(run / "pairs.jsonl"))
            assert j["pairs_unscored"] == n_pairs - expected["pairs_scored"]
        assert summary["counts"]["scores"] == sum(len(v) for v in scores.values())
        assert summary["counts"]["judgments"] == sum(calls.values())
        assert summary["counts"]["judgment_errors"] == sum(errors.values())
        assert summary["solve"] == _json(ref_solve(run))
        assert summary["solve"]  # the runs' own answers were verified

    rows = [(r1, "judge-a"), (r1, "judge-b"), (r2, "judge-a"), (r2, "judge-c")]
    assert [(t["run"], t["judge"]) for t in got["table"]] == [(r.name, j) for r, j in rows]
    comparisons = {(c["a"], c["b"]): c for c in got["comparisons"]}
    labels = [t["label"] for t in got["table"]]
    n_compared = 0
    for i, (ra, ja) in enumerate(rows):
        for k, (rb, jb) in enumerate(rows[i + 1 :], i + 1):
            expected = ref_compare(per_run[ra][ja], per_run[rb][jb])
            c = comparisons.get((labels[i], labels[k]))
            if expected is None:
                assert c is None
                continue
            n_compared += 1
            assert c is not None
            assert {key: c[key] for key in expected if key != "difference"} == _json(
                {key: v for key, v in expected.items() if key != "difference"}
            )
            assert c["difference"]["estimate"] == expected["difference"]
    assert n_compared == 6  # every pair of the four rows shares pairs
    assert n_meta == 3 and n_spent > 0  # the meta-judge and out-of-tokens were compared

    # Self-preference pools a judge's runs, each pair once, the later run's score winning.
    pooled = {**per_run[r1]["judge-a"], **per_run[r2]["judge-a"]}
    a_rows = [t for t in got["table"] if t["judge"] == "judge-a"]
    expected_sp = ref_self_preference(model_family("gpt-4o"), pooled.values())
    assert expected_sp is not None
    for t in a_rows:
        sp = t["self_preference_detail"]
        assert {k: sp[k] for k in ("own", "others")} == _json(
            {k: expected_sp[k] for k in ("own", "others")}
        )
        assert sp["difference"]["estimate"] == expected_sp["difference"]

    # The viewer's score column: the last score per pair, in the viewer's pair order.
    html = (tmp_path / "out" / "report.html").read_text()
    assert html  # the page was written from the same columns
    report = build_report([r1, r2])
    data = Scan([r1, r2]).data(report)
    ids = data["pairs"]["id"]
    for row, judge in zip(report.rows, data["judges"], strict=True):
        scores = per_run[Path(row.run.run)][row.judge.name]
        expected_col = "".join(
            score_code(s.outcome, s.decision_AB, s.decision_BA) if (s := scores.get(p)) else "."
            for p in ids
        )
        assert judge["score"] == expected_col
    # Spilled, every file's columns went to disk (pairs, judgments, scores, answers, ...).
    assert len(spills) >= (10 if spill_lines is not None else 0)
