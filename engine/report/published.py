"""Import published JudgeBench judge outputs and rescore them with the same rule.

A published file (JudgeBench's `outputs/`) holds one line per pair: the pair record plus
`judge_name` and `judgments`, a list with one entry per order — `{"judgment": {...},
"decision": "A>B" | "B>A" | "A=B" | null}` or null where the call failed. The first entry
judged (A, B); the second, if present, judged (B, A) and is flipped back. Reward-model
files keep `judgment.scores` ([first shown, second shown]); where a decision is absent it
is derived from them. Each file becomes a run folder (pairs, judgments, scores, manifest)
under `out_dir/runs/`, and the usual report is written over all of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from engine.checkpoint import RunStore
from engine.judges.reward_model import decide
from engine.keys import stable_hash
from engine.records import Decision, JudgmentRecord, Order, PairRecord, ScoreRecord
from engine.report.write import write_report
from engine.scoring import score_record
from verifiers import jsonl

DECISIONS: frozenset[str] = frozenset({"A>B", "B>A", "A=B"})
ORDERS: tuple[Order, Order] = ("AB", "BA")


def published_decision(entry: Mapping[str, Any] | None) -> Decision | None:
    """One order's decision; a failed call (null), or an unknown value, is no decision.

    Unknown strings would get 0 votes under JudgeBench's rule as well, so reading them
    as no decision leaves every published score unchanged.
    """
    if entry is None:
        return None
    d = entry.get("decision")
    if d is None:
        scores = (entry.get("judgment") or {}).get("scores")
        if isinstance(scores, list) and len(scores) == 2:
            return decide(float(scores[0]), float(scores[1]))
        return None
    return d if d in DECISIONS else None


def _raw(entry: Mapping[str, Any] | None) -> str | None:
    if entry is None:
        return None
    j = entry.get("judgment") or {}
    if j.get("response"):
        return str(j["response"])
    return orjson.dumps({"scores": j["scores"]}).decode() if "scores" in j else None


def _judge_model(path: Path, first: Mapping[str, Any]) -> str:
    for entry in first.get("judgments") or []:
        if entry and (entry.get("judgment") or {}).get("judge_model"):
            return str(entry["judgment"]["judge_model"])
    m = re.search(r"judge_model=([^,]+?)(?:\.jsonl)?$", path.name)
    return m.group(1) if m else "unknown"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", name).strip("_") or "imported"


def import_file(path: Path, runs_dir: Path) -> Path:
    """Turn one published file into a run folder; return the folder."""
    run_dir = runs_dir / _safe(path.name.removesuffix(".jsonl"))
    # An import replaces what an earlier import of the same file wrote.
    for rtype in (PairRecord, JudgmentRecord, ScoreRecord):
        (run_dir / rtype.FILE).unlink(missing_ok=True)
    store = RunStore(run_dir)
    store.open()
    meta: dict[str, Any] | None = None
    orders = 0
    try:
        for line in jsonl.read(path, torn_tail="skip", on_bad="raise"):
            rec, lineno = line.record, line.number
            try:
                judgments = rec["judgments"]
                pair = PairRecord.from_dict(rec)
            except (KeyError, TypeError) as exc:
                raise ValueError(f"{path}, line {lineno}: missing field {exc}") from None
            if meta is None:
                meta = {
                    "type": str(rec.get("judge_name", "judge")),
                    "model": _judge_model(path, rec),
                }
                meta["name"] = f"{meta['type']}/{meta['model']}"
            if len(judgments) not in (1, 2):
                raise ValueError(
                    f"{path}, line {lineno}: field 'judgments' must hold 1 or 2 "
                    f"entries, has {len(judgments)}"
                )
            orders = max(orders, len(judgments))
            decisions: list[Decision | None] = []
            for entry, order in zip(judgments, ORDERS, strict=False):
                d = published_decision(entry)
                decisions.append(d)
                store.put(
                    JudgmentRecord(
                        request_key=stable_hash([path.name, pair.pair_id, order]),
                        pair_id=pair.pair_id,
                        judge=meta["name"],
                        order=order,
                        raw=_raw(entry),
                        decision=d,
                        error=None if entry is not None else "published_null",
                    )
                )
            d_ab = decisions[0]
            d_ba = decisions[1] if len(decisions) == 2 else None
            store.put(pair)
            store.put(score_record(pair, meta["name"], d_ab, d_ba))
    finally:
        store.close()
    judges = [] if meta is None else [{**meta, "orders": orders}]
    # Name the run by its response model: the judge column already names the judge.
    m = re.search(r"response_model=([^,]+)", path.name)
    name = m.group(1).removesuffix(".jsonl") if m else run_dir.name
    manifest = {"imported_from": str(path), "job": {"name": name, "judges": judges}}
    (run_dir / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return run_dir


def import_published(
    files: Sequence[Path], out_dir: Path, console: Console | None = None
) -> dict[str, Any]:
    """Import each published file as a run folder and write one report over all of them."""
    out_dir = Path(out_dir)
    runs = [import_file(Path(f), out_dir / "runs") for f in files]
    return write_report(runs, out_dir, console=console)
