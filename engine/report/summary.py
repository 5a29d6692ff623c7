"""`build_summary`: one run folder's records reduced to the numbers the report shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.report.analyses import solve_accuracy, solve_vs_judge
from engine.report.runfiles import iter_jsonl, read_json
from engine.scoring import Scored, group_accuracy, judge_metrics


def _judge_meta(manifest: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """name -> {type, model, provider} from the job recorded in the manifest."""
    judges = ((manifest or {}).get("job") or {}).get("judges") or []
    return {
        str(j["name"]): {k: j.get(k) for k in ("type", "model", "provider", "orders") if k in j}
        for j in judges
        if isinstance(j, dict) and "name" in j
    }


def _judgment_status(run_dir: Path) -> dict[str, tuple[str, bool]]:
    """request_key -> (judge, failed). Later lines win: a retried call appends its success
    after the recorded error. Only these two fields are kept, never the raw replies."""
    return {
        str(j.get("request_key")): (str(j.get("judge")), bool(j.get("error")))
        for j in iter_jsonl(run_dir / "judgments.jsonl")
    }


def build_summary(run_dir: Path) -> dict[str, Any]:
    """Everything report.md, the table and the plots need, for one run folder.

    Reads responses, verdicts, pairs, judgments and scores (.jsonl), plus manifest.json and
    stats.json when present. Judgment errors are counted but never scored: a pair × judge
    with a failed order has no score line until a resume succeeds.
    """
    run_dir = Path(run_dir)
    manifest = read_json(run_dir / "manifest.json")
    stats = read_json(run_dir / "stats.json")
    meta = _judge_meta(manifest)

    pair_sources: dict[str, str] = {}
    pair_models: set[str] = set()
    for p in iter_jsonl(run_dir / "pairs.jsonl"):
        pair_sources[str(p["pair_id"])] = str(p.get("source", ""))
        pair_models.add(str(p.get("response_model")))

    judgments = _judgment_status(run_dir)
    errors: dict[str, int] = {}
    calls: dict[str, int] = {}
    for name, failed in judgments.values():
        calls[name] = calls.get(name, 0) + 1
        errors[name] = errors.get(name, 0) + failed

    scores = {(s.get("pair_id"), s.get("judge")): s for s in iter_jsonl(run_dir / "scores.jsonl")}
    per_judge: dict[str, list[tuple[Scored, str]]] = {}
    for s in scores.values():
        item = Scored(s["source"], s["label"], s.get("decision_AB"), s.get("decision_BA"))
        per_judge.setdefault(str(s["judge"]), []).append((item, str(s.get("response_model"))))

    judges: dict[str, dict[str, Any]] = {}
    for name in list(meta) + sorted(set(per_judge) - set(meta)):
        rows = per_judge.get(name, [])
        items = [it for it, _ in rows]
        judges[name] = {
            **meta.get(name, {}),
            "pairs_scored": len(items),
            "pairs_unscored": max(0, len(pair_sources) - len(items)) if pair_sources else 0,
            "calls_recorded": calls.get(name, 0),
            "call_errors": errors.get(name, 0),
            **judge_metrics(items, orders=int(meta.get(name, {}).get("orders") or 2)),
            # Self-preference: does a judge do better on answers from its own model?
            "by_response_model": group_accuracy((rm, it.outcome == "correct") for it, rm in rows),
        }

    solve = solve_accuracy(
        iter_jsonl(run_dir / "responses.jsonl"), iter_jsonl(run_dir / "verdicts.jsonl")
    )
    job = (manifest or {}).get("job") or {}
    return {
        "run": str(run_dir),
        "name": str(job.get("name") or run_dir.name),
        "job_file": (manifest or {}).get("job_file"),
        "description": job.get("description"),
        "imported_from": (manifest or {}).get("imported_from"),
        "counts": {
            "pairs": len(pair_sources),
            "response_models": sorted(pair_models),
            "judgments": len(judgments),
            "judgment_errors": sum(errors.values()),
            "scores": len(scores),
        },
        "judges": judges,
        "solve": solve,
        "solve_vs_judge": solve_vs_judge(judges, solve),
        "providers": (stats or {}).get("providers", {}),
        "no_pair_reasons": (stats or {}).get("no_pair_reasons", {}),
    }
