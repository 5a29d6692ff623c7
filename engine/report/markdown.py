"""report.md: the comparison table, then per run its analyses and provider accounting."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.report.table import COLUMNS, cells, pct
from engine.scoring import CATEGORIES


def _table(header: Sequence[str], body: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
    return [*lines, ""]


def _acc(a: dict[str, Any] | None) -> str:
    if not a:
        return "–"
    return f"{pct(a['accuracy'])} [{pct(a['ci_low'])}, {pct(a['ci_high'])}] (n={a['n']})"


def render(
    summaries: Sequence[dict[str, Any]], rows: Sequence[dict[str, Any]], plots: Sequence[str]
) -> str:
    out = ["# JudgeBench report", ""]
    out += [
        "Accuracy = pairs judged correct (JudgeBench's rule over both orders) / pairs "
        "scored, in %, with a 95% bootstrap interval. Consistency, ties and no-decision "
        "are shares of pairs / decisions; `1st pos.` is the share of side-picking "
        "decisions that chose the answer shown first (50% = no position bias).",
        "",
    ]
    out += _table(COLUMNS, [cells(r) for r in rows])
    out += [f"![{p}]({p})" for p in plots] + [""]
    for s in summaries:
        out += _run_section(s)
    return "\n".join(out)


def _run_section(s: dict[str, Any]) -> list[str]:
    c = s["counts"]
    out = [f"## Run `{s['name']}`", ""]
    if s.get("description"):  # the job's own words, e.g. the demo's note on a tiny judge
        out += [f"> {s['description'].strip()}", ""]
    src = s.get("imported_from") or s.get("job_file")
    out += [
        f"- folder: `{s['run']}`" + (f", from `{src}`" if src else ""),
        f"- pairs: {c['pairs']}; response models: {', '.join(c['response_models']) or '–'}",
        f"- judgments recorded: {c['judgments']} ({c['judgment_errors']} failed"
        + ("" if s.get("imported_from") else ", retried on resume")
        + f"); pair × judge scores: {c['scores']}",
        "",
    ]
    for name, j in s["judges"].items():
        o = j["outcomes"]
        out += [
            f"### Judge `{name}`"
            + (f" ({j.get('type')}, {j.get('model')})" if j.get("model") else ""),
            "",
        ]
        out += [
            f"Outcomes: {o['correct']} correct, {o['incorrect']} incorrect, {o['tie']} "
            f"tied; {j.get('pairs_unscored', 0)} pairs not scored yet.",
            "",
        ]
        out += _table(
            ["category", "accuracy [95% CI]"],
            [[k, _acc(v)] for k, v in [*j["by_category"].items(), ("overall", j["overall"])]],
        )
        if len(j.get("by_response_model", {})) > 0:
            out += ["Accuracy by response model (self-preference):", ""]
            out += _table(
                ["response model", "accuracy [95% CI]"],
                [[m, _acc(a)] for m, a in j["by_response_model"].items()],
            )
    if s["solve"]:
        out += ["### Solve accuracy (verified answers)", ""]
        out += _table(
            ["model", *CATEGORIES, "overall"],
            [
                [m, *(_acc(v["by_category"].get(cat)) for cat in CATEGORIES), _acc(v["overall"])]
                for m, v in s["solve"].items()
            ],
        )
    if s["solve_vs_judge"]:
        out += ["### Solve versus judge", ""]
        out += _table(
            ["judge", "model", "category", "solve acc.", "judge acc.", "gap"],
            [
                [
                    r["judge"],
                    r["model"],
                    r["category"],
                    pct(r["solve_accuracy"]),
                    pct(r["judge_accuracy"]),
                    pct(r["gap"]),
                ]
                for r in s["solve_vs_judge"]
            ],
        )
    if s["providers"]:
        out += ["### Providers", ""]
        cols = [
            "requests",
            "retries",
            "rate_limited",
            "errors",
            "input_tokens",
            "output_tokens",
            "cost",
        ]
        out += _table(
            ["provider", *cols],
            [[n, *(p.get(k, "–") for k in cols)] for n, p in s["providers"].items()],
        )
    if s["no_pair_reasons"]:
        out += ["### Questions without a pair", ""]
        out += _table(["reason", "questions"], list(s["no_pair_reasons"].items()))
    return out
