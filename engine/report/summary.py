"""`build_summary`: one run folder's records reduced to a typed `RunSummary`.

Streams the JSONL files and keeps only what the numbers need, as columns of a few bytes
per line (engine.report.columns): per judgment its key's hash, its judge, whether it
failed and whether it ran out of tokens; per score its pair's hash, its outcome and
decisions in one byte, its source and response model; per meta-judgment its pair's hash
and its meta-score, joined on the scores' pair hashes. Past a few hundred thousand lines
a file's columns wait on disk and are counted range by range of the key
(engine.report.keyed), so what stays in memory is the scores kept per pair and judge
(13 bytes each), not the lines read. Raw judge replies and answer texts are never held
here; the HTML viewer reads those in its own pass.
"""

from __future__ import annotations

from collections import Counter
from math import nan
from pathlib import Path
from sys import intern
from typing import Any

import numpy as np

from engine.records import AnswerScoreRecord, MetaJudgmentRecord, ScoreRecord, out_of_tokens
from engine.report.analyses import solve_accuracy, solve_vs_judge
from engine.report.columns import Names, ScoreBuilder, ScoreColumns, key_hash
from engine.report.families import model_family
from engine.report.keyed import Keyed, first_and_last
from engine.report.model import JudgeSummary, MetaFiltered, RunCounts, RunSummary
from engine.report.runfiles import iter_jsonl, read_json
from engine.scoring import Accuracy, metrics_of
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


class MetaScores:
    """The meta-judge's scores of one run as columns: per (judge, order), the hash of each
    judgment's pair and its meta-score (NaN where the reply had none). A later line wins;
    failed calls are left out. 12 bytes a line, no record object."""

    def __init__(self) -> None:
        self._lines: dict[tuple[str, str], Keyed] = {}

    def add(self, m: dict[str, Any]) -> None:
        if m.get("error"):
            return
        score = m.get("meta_score")
        at = (intern(str(m.get("judge"))), intern(str(m.get("order"))))
        lines = self._lines.get(at)
        if lines is None:
            lines = self._lines[at] = Keyed("d")
        lines.add(
            key_hash(m.get("pair_id")), float(score) if isinstance(score, int | float) else nan
        )

    def of(self, judge: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """order -> (sorted pair hashes, each one's meta-score) for one judge's judgments."""
        out = {}
        for (name, order), lines in self._lines.items():
            if name == judge:
                keys, (score,) = lines.freeze()
                out[order] = (keys, score)
        return out


def meta_scores(run_dir: Path) -> MetaScores:
    """The run's meta-scores, streamed into columns (see `MetaScores`)."""
    out = MetaScores()
    for m in iter_jsonl(run_dir / MetaJudgmentRecord.FILE):
        out.add(m)
    return out


def meta_filtered(
    judge: str, items: ScoreColumns, scores: MetaScores, threshold: float
) -> MetaFiltered:
    """JudgeBench's rule over the pairs whose judgments in both orders reached `threshold`,
    joined on the pair hashes of the judge's score columns."""
    mine = scores.of(judge)
    judgments = kept = 0
    both: np.ndarray | None = None
    for order, (keys, score) in mine.items():
        judgments += int(np.count_nonzero(~np.isnan(score)))
        reached = score >= threshold  # NaN (no score) never reaches it
        kept += int(np.count_nonzero(reached))
        if order in ("AB", "BA"):
            passed = keys[reached]
            both = passed if both is None else np.intersect1d(both, passed, assume_unique=True)
    if len(mine.keys() & {"AB", "BA"}) < 2 or both is None:
        both = np.zeros(0, np.int64)
    _, at, _ = np.intersect1d(items.keys, both, assume_unique=True, return_indices=True)
    hits = items.correct[at]
    return MetaFiltered(
        threshold=threshold,
        judgments=judgments,
        kept=kept,
        pairs_kept=len(at),
        accuracy=Accuracy.of(int(np.count_nonzero(hits)), len(at)),
    )


def read_scores(run_dir: Path) -> dict[str, ScoreColumns]:
    """judge -> its scores, streamed into columns; a later line for the same pair wins."""
    sources, models = Names(), Names()
    builders: dict[str, ScoreBuilder] = {}
    path = run_dir / ScoreRecord.FILE
    for n, obj in enumerate(iter_jsonl(path), 1):
        try:
            judge = str(obj["judge"])
            b = builders.get(judge)
            if b is None:
                b = builders[judge] = ScoreBuilder(sources, models)
            b.add(
                obj["pair_id"],
                str(obj["source"]),
                obj["outcome"],
                obj.get("decision_AB"),
                obj.get("decision_BA"),
                obj.get("response_model"),
            )
        except KeyError as exc:
            raise ValueError(f"{path}: a score without {exc}") from None
        except ValueError as exc:
            raise ValueError(f"{path}: score {n}: {exc}") from None
    return {judge: b.freeze() for judge, b in builders.items()}


class JudgmentTally:
    """Calls, failed calls and out-of-tokens replies per judge, counting each request key
    once.

    Later lines win: a retried call appends its success after the recorded error. Keys
    are kept as their hashes only (a collision among a few million 64-bit hashes is
    vanishingly unlikely), with the judge, whether the line failed and whether its reply
    was empty at the token cap: 12 bytes a line, on disk past `keyed.SPILL_LINES` lines.
    """

    def __init__(self) -> None:
        self.usage = RunUsage()  # what the judgments cost (engine.usage), counted on the way
        self._judges = Names()
        self._lines = Keyed("H", "B", "B")
        self._counted: tuple[Counter[str], Counter[str], Counter[str]] | None = None

    def add(self, judgment: dict[str, Any]) -> str:
        """Count one judgments.jsonl line; returns its judge's name."""
        judge = intern(str(judgment.get("judge")))
        self.usage.add(judgment)
        self._lines.add(
            key_hash(judgment.get("request_key")),
            self._judges.add(judge),
            bool(judgment.get("error")),
            out_of_tokens(judgment.get("raw"), judgment.get("finish_reason")),
        )
        self._counted = None
        return judge

    def _count(self) -> tuple[Counter[str], Counter[str], Counter[str]]:
        if self._counted is None:
            names = self._judges.items
            calls, failed_, spent_ = (np.zeros(len(names), np.int64) for _ in range(3))
            # Range by range of the key (engine.report.keyed): a key's lines are all in one.
            for keys, (judge, failed, spent) in self._lines.parts():
                # A key's call is its first line's judge; whether it failed (or ran out of
                # tokens), its last line's.
                _, first_line, last = first_and_last(keys)
                calls += np.bincount(judge[first_line], minlength=len(names))
                failed_ += np.bincount(judge[last[failed[last] == 1]], minlength=len(names))
                spent_ += np.bincount(judge[last[spent[last] == 1]], minlength=len(names))

            def per_judge(n: np.ndarray) -> Counter[str]:
                return Counter({str(names[i]): int(k) for i, k in enumerate(n) if k})

            self._counted = (per_judge(calls), per_judge(failed_), per_judge(spent_))
        return self._counted

    @property
    def calls(self) -> Counter[str]:
        return self._count()[0]

    @property
    def errors(self) -> Counter[str]:
        return self._count()[1]

    @property
    def out_of_tokens(self) -> Counter[str]:
        return self._count()[2]


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

    pair_ids = Keyed()  # hashes, as in judgment_counts
    pair_models: set[str] = set()
    for p in iter_jsonl(run_dir / "pairs.jsonl"):
        pair_ids.add(key_hash(p["pair_id"]))
        pair_models.add(str(p.get("response_model")))
    n_pairs = pair_ids.distinct()
    del pair_ids
    tally = judgments if judgments is not None else judgment_counts(run_dir)
    calls, errors = tally.calls, tally.errors
    per_judge = read_scores(run_dir)
    no_scores = ScoreColumns.of(())

    meta_spec = ((manifest or {}).get("job") or {}).get("meta_judge")
    metas = meta_scores(run_dir) if isinstance(meta_spec, dict) else MetaScores()
    chosen = (meta_spec or {}).get("judges") if isinstance(meta_spec, dict) else None

    judges: dict[str, JudgeSummary] = {}
    for name in list(meta) + sorted(set(per_judge) - set(meta)):
        items = per_judge.get(name, no_scores)
        m = meta.get(name, {})
        family = model_family(m.get("model"))
        by_model = {rm: Accuracy.of(c, n) for rm, (c, n) in sorted(items.by_model().items())}
        fams = {rm: model_family(rm) for rm in by_model}
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
            metrics=metrics_of(items.counts(), orders=int(m.get("orders") or 2)),
            by_response_model=by_model,
            response_families=fams,
            scores=items,
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
            scores=sum(len(c) for c in per_judge.values()),
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
