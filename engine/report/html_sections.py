"""report.html's tables, from the typed report: every cell links to the pairs behind it."""

from __future__ import annotations

from collections.abc import Sequence

from engine.report.html_parts import (
    acc_cell,
    diff_cell,
    h,
    link,
    p_value,
    share_cell,
    table,
    td,
)
from engine.report.model import Report, Row, RunSummary
from engine.report.table import (
    PROVIDER_COLUMNS,
    SIGNIFICANT,
    acc_ci,
    diff_ci,
    excludes_zero,
    pct,
    usage_line,
)

LEGEND = (
    "Accuracy: pairs judged correct by JudgeBench's rule over both orders, %, with 95% "
    "Wilson intervals. picks first shown: the share of side-picking decisions for the "
    "answer shown first (50% = no position bias; * an exact binomial test says it differs, "
    "p &lt; 0.05). self-preference: accuracy on pairs answered by the judge's own model "
    "family minus on the others, points, Newcombe's 95% interval (* excludes 0); pooled "
    "over every run of this report where the judge appears. Every cell opens the pairs "
    "behind it."
)


def comparison_table(report: Report, categories: Sequence[str]) -> str:
    cols = ["judge", "model", "family", "pairs", "accuracy [95% CI]", *categories]
    cols += ["consistent", "picks first shown", "ties", "no decision", "self-preference"]
    body = []
    for r in report.rows:
        j, o, i = r.judge, r.judge.order, r.index
        decisions = o.orders * o.n
        bias = "*" if o.position_biased(SIGNIFICANT) else ""
        sp = r.self_preference
        cells = [
            td(link(h(r.label), j=i), r.label, "name"),
            td(link(h(j.model or "–"), j=i), j.model or ""),
            td(link(h(j.family or "–"), j=i, own=1 if sp else None), j.family or ""),
            td(link(str(j.pairs_scored), j=i), j.pairs_scored),
            acc_cell(j.overall, j=i),
            *(acc_cell(j.by_category.get(c), j=i, cat=c) for c in categories),
            share_cell(o.consistent, o.n if o.orders == 2 else 0, j=i, flip=1),
            share_cell(o.first_picks, o.side_picks, bias, j=i, flip=1),
            share_cell(o.ties, decisions, j=i, out="tie"),
            share_cell(o.no_decisions, decisions, j=i, out="nodec"),
            diff_cell(sp.difference if sp else None, j=i, own=1),
        ]
        body.append("".join(cells))
    return table(cols, body)


def _order_table(r: Row) -> str:
    o, i = r.judge.order, r.index
    decisions = o.orders * o.n
    p = p_value(o.position_bias_p)
    test = f"{o.first_picks} of {o.side_picks}; exact test against 50%: p = {p}"
    rows = [
        (
            "consistent in both orders",
            share_cell(o.consistent, o.n if o.orders == 2 else 0, j=i, flip=1),
            "",
        ),
        (
            "picks the answer shown first",
            share_cell(o.first_picks, o.side_picks, j=i, flip=1),
            test,
        ),
        (
            "both orders picked the first shown",
            share_cell(o.both_first, o.n if o.orders == 2 else 0, j=i, flip=1),
            "position flips",
        ),
        ("ties", share_cell(o.ties, decisions, j=i, out="tie"), "of all decisions"),
        (
            "no decision",
            share_cell(o.no_decisions, decisions, j=i, out="nodec"),
            "of all decisions",
        ),
    ]
    return table(
        ["order effect", "share [95% CI]", "note"],
        [td(h(name)) + cell + td(note) for name, cell, note in rows],
        cls="plain",
    )


def judge_section(r: Row, models: Sequence[str]) -> str:
    """Per judge: outcomes, the category breakdown, order effects, self-preference."""
    j, i = r.judge, r.index
    o = j.metrics.outcomes
    facts = [
        f"type {h(j.type or '–')}",
        f"model {h(j.model or '–')}",
        f"family {h(j.family or 'unknown')}",
    ]
    if j.orders == 1:
        facts.append("single order (imported)")
    outcomes = (
        f"<p>{link(f'{o.correct} correct', j=i, out='correct')}, "
        f"{link(f'{o.incorrect} incorrect', j=i, out='incorrect')}, "
        f"{link(f'{o.tie} tied', j=i, out='tie')}; {j.pairs_unscored} pairs not scored yet; "
        f"{link(f'{j.call_errors} failed calls', j=i, out='error')}.</p>"
    )
    cats = []
    for c, a in [*j.by_category.items(), ("overall", j.overall)]:
        cat = None if c == "overall" else c
        wrong = link(f"{a.n - a.correct} not correct", j=i, cat=cat, out="notcorrect")
        cats.append(td(h(c), c) + acc_cell(a, j=i, cat=cat) + td(wrong, a.n - a.correct))
    index = {m: k for k, m in enumerate(models)}
    own = ' <span class="own" title="the judge\'s own model family">★ own family</span>'
    by_model = [
        td(h(m) + (own if j.own_family(m) else ""), m) + acc_cell(a, j=i, rm=index.get(m))
        for m, a in j.by_response_model.items()
    ]
    out = [
        f'<section class="judge"><h3 id="judge-{i}">{h(r.label)}</h3>',
        f'<p class="facts">{"; ".join(facts)}</p>{outcomes}<div class="cols">',
        f"<div>{table(['category', 'accuracy [95% CI]', 'pairs'], cats, cls='plain')}</div>",
        f"<div>{_order_table(r)}</div></div>",
    ]
    if by_model:
        out.append("<h4>By response model</h4>")
        out.append(table(["response model", "accuracy [95% CI]"], by_model, cls="plain"))
    sp = r.self_preference
    if sp is not None:
        note = " (its interval excludes 0)" if excludes_zero(sp.difference) else ""
        out.append(
            f'<p class="selfpref">Self-preference ({h(sp.family)}): own family '
            f"{link(h(acc_ci(sp.own)), j=i, own=1)} (n={sp.own.n}) vs others "
            f"{link(h(acc_ci(sp.others)), j=i, own=0)} (n={sp.others.n}); difference "
            f"<b>{h(diff_ci(sp.difference))}</b> points{note}.</p>"
        )
    out.append("</section>")
    return "".join(out)


COMPARE_NOTE = (
    '<p class="note">On the pairs both judges scored. a − b: the accuracy difference in '
    "points with Newcombe's paired 95% interval; only a / only b right: the discordant pairs "
    "(links open them); McNemar: the exact test of those two counts (* p &lt; 0.05); kappa: "
    "Cohen's agreement on which pairs are right (1 = the same pairs, 0 = chance).</p>"
)


def compare_section(report: Report) -> str:
    if not report.comparisons:
        return "<p>No two judges scored the same pairs.</p>"
    cols = ["judge a", "judge b", "pairs", "acc. a", "acc. b", "a − b [95% CI]"]
    cols += ["only a right", "only b right", "McNemar p", "kappa"]
    body = []
    for c in report.comparisons:
        a, b = report.rows[c.a], report.rows[c.b]
        star = "*" if c.mcnemar_p < SIGNIFICANT else ""
        pair = {"x": c.a, "y": c.b}
        body.append(
            td(link(h(a.label), j=c.a), a.label, "name")
            + td(link(h(b.label), j=c.b), b.label, "name")
            + td(link(str(c.n), **pair), c.n)
            + td(link(pct(c.accuracy_a.accuracy), **pair), c.accuracy_a.accuracy)
            + td(link(pct(c.accuracy_b.accuracy), **pair), c.accuracy_b.accuracy)
            + diff_cell(c.difference, **pair, dis="any")
            + td(link(str(c.only_a), **pair, dis="a"), c.only_a)
            + td(link(str(c.only_b), **pair, dis="b"), c.only_b)
            + td(link(p_value(c.mcnemar_p) + star, **pair, dis="any"), c.mcnemar_p)
            + td(link("–" if c.kappa != c.kappa else f"{c.kappa:.2f}", **pair, dis="any"), c.kappa)
        )
    return COMPARE_NOTE + table(cols, body)


def solve_section(report: Report) -> str:
    parts = []
    for s in report.runs:
        if not s.solve:
            continue
        cats = sorted({c for v in s.solve.values() for c in v.by_category})
        index = {r.judge.name: r.index for r in report.rows if r.run is s}
        rows = [
            td(h(m), m)
            + "".join(td(h(acc_ci(v.by_category.get(c)))) for c in cats)
            + td(h(acc_ci(v.overall)), v.overall.accuracy)
            for m, v in s.solve.items()
        ]
        parts += [f"<h3>Run {h(s.name)}</h3><h4>Solve accuracy (verified answers)</h4>"]
        parts.append(table(["model", *cats, "overall"], rows))
        gaps = [
            td(h(g.judge), g.judge)
            + td(h(g.model), g.model)
            + td(h(g.category), g.category)
            + td(h(acc_ci(g.solve)), g.solve.accuracy)
            + acc_cell(
                g.judged, j=index.get(g.judge), cat=None if g.category == "overall" else g.category
            )
            + td(h(diff_ci(g.gap) + ("*" if excludes_zero(g.gap) else "")), g.gap.estimate)
            for g in s.solve_vs_judge
        ]
        if gaps:
            parts.append(
                "<h4>Solve versus judge</h4><p class=note>gap = judge accuracy − solve "
                "accuracy, points, Newcombe's 95% interval (* excludes 0).</p>"
            )
            cols = ["judge", "model", "category", "solve acc. [95% CI]", "judge acc. [95% CI]"]
            parts.append(table([*cols, "gap [95% CI]"], gaps))
    return "".join(parts) or "<p>No judge model also answered the questions of these runs.</p>"


def run_section(s: RunSummary) -> str:
    c = s.counts
    src = s.imported_from or s.job_file
    items = [
        f"folder <code>{h(s.run)}</code>" + (f", from <code>{h(src)}</code>" if src else ""),
        f"{c.pairs} pairs; response models: {h(', '.join(c.response_models) or '–')}",
        f"{c.judgments} judgments recorded ({c.judgment_errors} failed); "
        f"{c.scores} pair × judge scores",
    ]
    out = f"<h3>Run {h(s.name)}</h3>"
    if s.description:
        out += f"<blockquote>{h(s.description.strip())}</blockquote>"
    if s.sandbox == "none":
        out += "<blockquote><b>Code answers ran without a sandbox</b> (isolation: none)."
        out += "</blockquote>"
    out += "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
    if s.providers:
        rows = [
            td(h(n), n) + "".join(td(h(p.get(k, "–"))) for k in PROVIDER_COLUMNS)
            for n, p in s.providers.items()
        ]
        out += table(["provider", *PROVIDER_COLUMNS], rows, cls="plain")
    if s.usage:
        out += f"<p>{h(usage_line(s.usage))}</p>"
    if s.no_pair_reasons:
        rows = [td(h(k)) + td(h(v)) for k, v in s.no_pair_reasons.items()]
        out += table(["questions without a pair", "count"], rows, cls="plain")
    return out
