"""report.md: the comparison table, judge-vs-judge comparisons, then per run its analyses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.report.model import Comparison, Report, Row, RunSummary
from engine.report.table import (
    COLUMNS,
    LEGEND,
    PROVIDER_COLUMNS,
    acc_ci,
    cells,
    diff_ci,
    frac,
    pct,
    usage_line,
)
from engine.scoring import CATEGORIES


def _table(header: Sequence[str], body: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in body]
    return [*lines, ""]


def _cell(c: Any) -> str:
    # A pipe in a name would end the cell early.
    return str(c).replace("|", "\\|").replace("\n", " ")


def _acc(a: Any) -> str:
    return "–" if a is None or a.n == 0 else f"{acc_ci(a)} (n={a.n})"


def _p(p: float) -> str:
    return "–" if p != p else (f"{p:.3g}" if p >= 1e-4 else "<0.0001")


def render(report: Report, plots: Sequence[str]) -> str:
    out = ["# JudgeBench report", ""]
    out += [
        "Accuracy = pairs judged correct (JudgeBench's rule over both orders) / pairs "
        "scored, in %, with a 95% Wilson score interval. Consistency, ties and no-decision "
        "are shares of pairs / decisions; `1st pos.` is the share of side-picking "
        "decisions that chose the answer shown first (50% = no position bias).",
        "",
        LEGEND,
        "",
        "The same report, with every pair and every judge's own words: `report.html`.",
        "",
    ]
    out += _table([c.title for c in COLUMNS], [cells(r) for r in report.rows])
    out += [f"![{p}]({p})" for p in plots] + [""]
    if report.comparisons:
        out += _comparisons(report.rows, report.comparisons)
    for s in report.runs:
        out += _run_section(s, [r for r in report.rows if r.run is s])
    return "\n".join(out)


def _comparisons(rows: Sequence[Row], comps: Sequence[Comparison]) -> list[str]:
    out = [
        "## Judge against judge",
        "",
        "On the pairs both judges scored: the accuracy difference (a − b, points) with "
        "Newcombe's paired 95% interval; the pairs only one of them got right; the exact "
        "McNemar test of those two counts; Cohen's kappa of their agreement on which pairs "
        "are right.",
        "",
    ]
    out += _table(
        [
            "a",
            "b",
            "pairs",
            "acc. a",
            "acc. b",
            "a − b [95% CI]",
            "only a",
            "only b",
            "McNemar p",
            "kappa",
        ],
        [
            [
                rows[c.a].label,
                rows[c.b].label,
                c.n,
                pct(c.accuracy_a.accuracy),
                pct(c.accuracy_b.accuracy),
                diff_ci(c.difference),
                c.only_a,
                c.only_b,
                _p(c.mcnemar_p),
                "–" if c.kappa != c.kappa else f"{c.kappa:.2f}",
            ]
            for c in comps
        ],
    )
    return out


def _run_section(s: RunSummary, rows: Sequence[Row]) -> list[str]:
    c = s.counts
    out = [f"## Run `{s.name}`", ""]
    if s.description:  # the job's own words, e.g. the demo's note on a tiny judge
        out += [f"> {s.description.strip()}", ""]
    if s.sandbox == "none":
        out += ["> **Code answers ran without a sandbox** (`sandbox: {isolation: none}`).", ""]
    src = s.imported_from or s.job_file
    out += [
        f"- folder: `{s.run}`" + (f", from `{src}`" if src else ""),
        f"- pairs: {c.pairs}; response models: {', '.join(c.response_models) or '–'}",
        f"- judgments recorded: {c.judgments} ({c.judgment_errors} failed"
        + ("" if s.imported_from else ", retried on resume")
        + f"); pair × judge scores: {c.scores}",
        "",
    ]
    for r in rows:
        out += _judge_section(r)
    if s.solve:
        out += ["### Solve accuracy (verified answers)", ""]
        out += _table(
            ["model", *CATEGORIES, "overall"],
            [
                [m, *(_acc(v.by_category.get(cat)) for cat in CATEGORIES), _acc(v.overall)]
                for m, v in s.solve.items()
            ],
        )
    if s.solve_vs_judge:
        out += [
            "### Solve versus judge",
            "",
            "Gap = judge accuracy − solve accuracy, in points, with Newcombe's 95% interval.",
            "",
        ]
        out += _table(
            [
                "judge",
                "model",
                "category",
                "solve acc. [95% CI]",
                "judge acc. [95% CI]",
                "gap [95% CI]",
            ],
            [
                [g.judge, g.model, g.category, _acc(g.solve), _acc(g.judged), diff_ci(g.gap)]
                for g in s.solve_vs_judge
            ],
        )
    if s.providers:
        out += ["### Providers", ""]
        out += _table(
            ["provider", *PROVIDER_COLUMNS],
            [[n, *(p.get(k, "–") for k in PROVIDER_COLUMNS)] for n, p in s.providers.items()],
        )
    if s.usage:
        out += [usage_line(s.usage), ""]
    if s.no_pair_reasons:
        out += ["### Questions without a pair", ""]
        out += _table(["reason", "questions"], list(s.no_pair_reasons.items()))
    return out


def _judge_section(r: Row) -> list[str]:
    j = r.judge
    o = j.metrics.outcomes
    out = [
        f"### Judge `{j.name}`" + (f" ({j.type}, {j.model})" if j.model else ""),
        "",
        f"Outcomes: {o.correct} correct, {o.incorrect} incorrect, {o.tie} "
        f"tied; {j.pairs_unscored} pairs not scored yet.",
        "",
    ]
    if j.templates != "ours":
        out += [
            f"Template set: {j.templates} (faithful mode: that project's prompts and rules).",
            "",
        ]
    if (mj := j.meta_judge) is not None:
        out += [
            f"Meta-judge: {mj.kept} of {mj.judgments} judgments reached a meta-score of "
            f"{mj.threshold:g}; accuracy over the {mj.pairs_kept} pairs kept in both orders "
            f"{_acc(mj.accuracy)}, beside {_acc(j.overall)} over all pairs.",
            "",
        ]
    if j.out_of_tokens:
        out += [
            f"Out of tokens: {j.out_of_tokens} replies were empty, cut at max_tokens "
            "(the model's reasoning used the budget); raise max_tokens, or the model's "
            "`reasoning_budget` under `providers.<name>.models`.",
            "",
        ]
    out += _table(
        ["category", "accuracy [95% CI]"],
        [[k, _acc(v)] for k, v in [*j.by_category.items(), ("overall", j.overall)]],
    )
    od = j.order
    if od.n:
        ci = od.first_position_interval
        out += [
            f"Order effects: consistent in both orders {frac(od.consistency)}; picks the "
            f"answer shown first {frac(od.first_position)} [{frac(ci.low)}, {frac(ci.high)}] "
            f"of {od.side_picks} side-picking decisions (exact test against 50%: "
            f"p = {_p(od.position_bias_p)}); ties {frac(od.tie_rate)}, no decision "
            f"{frac(od.no_decision_rate)}.",
            "",
        ]
    if j.by_response_model:
        out += ["Accuracy by response model (★ = the judge's own model family):", ""]
        out += _table(
            ["response model", "accuracy [95% CI]"],
            [
                [m + (" ★" if j.own_family(m) else ""), _acc(a)]
                for m, a in j.by_response_model.items()
            ],
        )
    sp = r.self_preference
    if sp is not None:
        out += [
            f"Self-preference ({sp.family}): own family {_acc(sp.own)} vs others "
            f"{_acc(sp.others)}; difference {diff_ci(sp.difference)} points.",
            "",
        ]
    return out
