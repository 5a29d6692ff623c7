"""`build_summary`: one run folder's records reduced to a typed `RunSummary`.

Streams the JSONL files and keeps only what the numbers need: per judgment its judge and
whether its latest attempt failed; per score the record itself (strings shared, so a run
of 100k pairs × 5 judges stays in the low hundreds of MiB). Raw judge replies and answer
texts are never held here; the HTML viewer reads those in its own pass.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from sys import intern
from typing import Any

from engine.records import AnswerScoreRecord, MetaJudgmentRecord, ScoreRecord, out_of_tokens
from engine.report.analyses import solve_accuracy, solve_vs_judge
from engine.report.families import model_family
from engine.report.model import JudgeSummary, MetaFiltered, RunCounts, RunSummary
from engine.report.runfiles import iter_jsonl, read_json
from engine.scoring import accuracy_ci, group_accuracy, judge_metrics
from engine.usage import RunUsage, Tally, judge_providers

_META = ("type", "model", "provider", "orders")


def _template_set(judge: dict[str, Any]) -> str:
    """The template set a judge of the recorded job used (as `Judge.template_set` says)."""
    chosen = judge.get("templates")
    if not isinstance(chosen, dict) or chosen.get("set", "ours") == "ours":
        return "ours"
    variant = chosen.get("variant")
    return str(chosen["set"]) + (f" ({variant})" if variant else "")


def judge_meta(manifest: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """name -> {type, model, provider, orders, templates} from the job in the manifest."""
    judges = ((manifest or {}).get("job") or {}).get("judges") or []
    return {
        str(j["name"]): {**{k: j.get(k) for k in _META if k in j}, "templates": _template_set(j)}
        for j in judges
        if isinstance(j, dict) and "name" in j
    }


def meta_scores(run_dir: Path) -> dict[tuple[str, str, str], float | None]:
    """(pair_id, judge, order) -> the meta-score of that judgment (a later line wins; failed
    calls are left out)."""
    out: dict[tuple[str, str, str], float | None] = {}
    for m in iter_jsonl(run_dir / MetaJudgmentRecord.FILE):
        if m.get("error"):
            continue
        score = m.get("meta_score")
        key = (str(m.get("pair_id")), intern(str(m.get("judge"))), str(m.get("order")))
        out[key] = float(score) if isinstance(score, int | float) else None
    return out


def meta_filtered(
    judge: str,
    items: list[ScoreRecord],
    scores: dict[tuple[str, str, str], float | None],
    threshold: float,
) -> MetaFiltered:
    """JudgeBench's rule over the pairs whose judgments in both orders reached `threshold`."""
    mine = {k: v for k, v in scores.items() if k[1] == judge}
    kept = {k for k, v in mine.items() if v is not None and v >= threshold}
    pairs = [s for s in items if {(s.pair_id, judge, "AB"), (s.pair_id, judge, "BA")} <= kept]
    return MetaFiltered(
        threshold=threshold,
        judgments=sum(v is not None for v in mine.values()),
        kept=len(kept),
        pairs_kept=len(pairs),
        accuracy=accuracy_ci(s.outcome == "correct" for s in pairs),
    )


def _shared(value: Any) -> Any:
    """One str object per distinct value (sys.intern): a score line repeats its judge,
    source, label, decisions and response model, and a run holds hundreds of thousands."""
    return intern(value) if isinstance(value, str) else value


def read_scores(run_dir: Path) -> dict[tuple[str, str], ScoreRecord]:
    """(pair_id, judge) -> its score; a later line for the same key wins."""
    out: dict[tuple[str, str], ScoreRecord] = {}
    for obj in iter_jsonl(run_dir / ScoreRecord.FILE):
        try:
            rec = ScoreRecord(
                pair_id=obj["pair_id"],
                judge=_shared(obj["judge"]),
                source=_shared(obj["source"]),
                label=_shared(obj["label"]),
                decision_AB=_shared(obj.get("decision_AB")),
                decision_BA=_shared(obj.get("decision_BA")),
                outcome=_shared(obj["outcome"]),
                response_model=_shared(obj.get("response_model")),
            )
        except KeyError as exc:
            raise ValueError(f"{run_dir / ScoreRecord.FILE}: a score without {exc}") from None
        out[(rec.pair_id, rec.judge)] = rec
    return out


class JudgmentTally:
    """Calls and failed calls per judge, counting each request key once.

    Later lines win: a retried call appends its success after the recorded error. Keys
    are kept as their hashes only (a collision among a few million 64-bit hashes is
    vanishingly unlikely), so memory does not grow with the key length.
    """

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self.usage = RunUsage()  # what the judgments cost (engine.usage), counted on the way
        self._failed: dict[int, str] = {}
        self._spent: dict[int, str] = {}  # empty replies cut at max_tokens (out of tokens)
        self.calls: Counter[str] = Counter()

    def add(self, judgment: dict[str, Any]) -> str:
        """Count one judgments.jsonl line; returns its judge's name."""
        h = hash(str(judgment.get("request_key")))
        judge = intern(str(judgment.get("judge")))
        self.usage.add(judgment)
        if h not in self._seen:
            self._seen.add(h)
            self.calls[judge] += 1
        if judgment.get("error"):
            self._failed[h] = judge
        else:
            self._failed.pop(h, None)
        if out_of_tokens(judgment.get("raw"), judgment.get("finish_reason")):
            self._spent[h] = judge
        else:
            self._spent.pop(h, None)
        return judge

    @property
    def errors(self) -> Counter[str]:
        return Counter(self._failed.values())

    @property
    def out_of_tokens(self) -> Counter[str]:
        return Counter(self._spent.values())


def judgment_counts(run_dir: Path) -> JudgmentTally:
    tally = JudgmentTally()
    for j in iter_jsonl(run_dir / "judgments.jsonl"):
        tally.add(j)
    return tally


def build_summary(run_dir: Path, judgments: JudgmentTally | None = None) -> RunSummary:
    """Everything the report shows about one run folder.

    Reads responses, verdicts, pairs, judgments and scores (.jsonl), plus manifest.json and
    stats.json when present. Judgment errors are counted but never scored: a pair × judge
    with a failed order has no score line until a resume succeeds. `judgments` is the
    tally of judgments.jsonl when a caller has already read it (the viewer's `Scan`).
    """
    run_dir = Path(run_dir)
    manifest = read_json(run_dir / "manifest.json")
    stats = read_json(run_dir / "stats.json") or {}
    meta = judge_meta(manifest)

    pair_ids: set[int] = set()  # hashes, as in judgment_counts
    pair_models: set[str] = set()
    for p in iter_jsonl(run_dir / "pairs.jsonl"):
        pair_ids.add(hash(str(p["pair_id"])))
        pair_models.add(str(p.get("response_model")))
    n_pairs = len(pair_ids)
    tally = judgments if judgments is not None else judgment_counts(run_dir)
    calls, errors = tally.calls, tally.errors
    scores = read_scores(run_dir)
    per_judge: dict[str, list[ScoreRecord]] = {}
    for s in scores.values():
        per_judge.setdefault(s.judge, []).append(s)

    meta_spec = ((manifest or {}).get("job") or {}).get("meta_judge")
    metas = meta_scores(run_dir) if isinstance(meta_spec, dict) else {}
    chosen = (meta_spec or {}).get("judges") if isinstance(meta_spec, dict) else None

    judges: dict[str, JudgeSummary] = {}
    for name in list(meta) + sorted(set(per_judge) - set(meta)):
        items = per_judge.get(name, [])
        m = meta.get(name, {})
        family = model_family(m.get("model"))
        models = {str(s.response_model) for s in items}
        fams = {rm: model_family(rm) for rm in sorted(models)}
        judges[name] = JudgeSummary(
            name=name,
            type=m.get("type"),
            model=m.get("model"),
            provider=m.get("provider"),
            orders=int(m.get("orders") or 2),
            family=family,
            pairs_scored=len(items),
            pairs_unscored=max(0, n_pairs - len(items)),
            calls_recorded=calls.get(name, 0),
            call_errors=errors.get(name, 0),
            out_of_tokens=tally.out_of_tokens.get(name, 0),
            metrics=judge_metrics(items, orders=int(m.get("orders") or 2)),
            by_response_model=group_accuracy(
                (str(s.response_model), s.outcome == "correct") for s in items
            ),
            response_families=fams,
            scores={s.pair_id: s for s in items},
            templates=str(m.get("templates") or "ours"),
            meta_judge=meta_filtered(name, items, metas, float(meta_spec.get("threshold", 4.0)))
            if isinstance(meta_spec, dict) and (chosen is None or name in chosen)
            else None,
        )

    # The run's usage: its answers', judgments', answer scores' and meta-judgments' records.
    usage = tally.usage
    usage.judges = judge_providers((manifest or {}).get("job"))
    solve = solve_accuracy(
        usage.counting(iter_jsonl(run_dir / "responses.jsonl")),
        iter_jsonl(run_dir / "verdicts.jsonl"),
    )
    for rtype in (AnswerScoreRecord, MetaJudgmentRecord):
        for record in iter_jsonl(run_dir / rtype.FILE):
            usage.add(record)
    job = (manifest or {}).get("job") or {}
    return RunSummary(
        run=str(run_dir),
        name=str(job.get("name") or run_dir.name),
        job_file=(manifest or {}).get("job_file"),
        description=job.get("description"),
        sandbox=str((job.get("sandbox") or {}).get("isolation", "auto")),
        imported_from=(manifest or {}).get("imported_from"),
        counts=RunCounts(
            pairs=n_pairs,
            response_models=tuple(sorted(pair_models)),
            judgments=sum(calls.values()),
            judgment_errors=sum(errors.values()),
            scores=len(scores),
        ),
        judges=judges,
        solve=solve,
        solve_vs_judge=solve_vs_judge(judges, solve),
        providers=_providers(stats, usage),
        no_pair_reasons=stats.get("no_pair_reasons", {}),
        usage=usage.total().to_dict() if usage else stats.get("usage"),
    )


def _providers(stats: dict[str, Any], usage: RunUsage) -> dict[str, Any]:
    """Each provider's figures: live counters from stats.json; calls, tokens and cost summed
    over the records. A folder whose records carry no usage at all (published outputs
    imported, a hand-made folder) keeps stats.json's figures as they are."""
    live: dict[str, Any] = stats.get("providers", {})
    if not usage:
        return live
    spent = usage.to_json()["providers"]
    zero = {**Tally().to_dict(), "by_model": {}}
    return {name: {**live.get(name, {}), **spent.get(name, zero)} for name in {**live, **spent}}
