"""report.html: one self-contained file, the tables rendered here, the pair browser in JS.

Nothing is loaded from anywhere: the CSS and JS are our own files in
`engine/report/assets/`, inlined; the plots are SVG data URIs; the pairs are one
compressed blob (`engine.report.viewer`). A Content-Security-Policy allows no network at
all and only our own script, by its hash, so even a bug in escaping could not run a
script hidden in a model's answer. Every text from a run (names, answers, judge replies)
is escaped here or set as text (never as markup) by the script.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Mapping, Sequence
from html import escape
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

import orjson

from engine.report.model import Report, Row, RunSummary
from engine.report.plots import Plot
from engine.report.table import acc_ci, diff_ci, excludes_zero, frac, missing, pct, signed
from engine.scoring import Accuracy
from engine.stats import Interval

SIGNIFICANT = 0.05


def asset(name: str) -> str:
    return files("engine.report").joinpath("assets", name).read_text("utf-8")


def encode_data(data: Mapping[str, Any]) -> str:
    """The viewer's data as base64 of gzip of JSON (base64 cannot close a <script>)."""
    raw = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    return base64.b64encode(gzip.compress(raw, compresslevel=6, mtime=0)).decode("ascii")


def _h(x: Any) -> str:
    return escape(str(x), quote=True)


def _link(text: str, **params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None and v != ""})
    return f'<a href="#pairs?{_h(query)}">{_h(text)}</a>'


def _num(x: float | int | None) -> str:
    return "" if x is None or missing(float(x)) else f"{float(x):.6g}"


def _td(content: str, sort: float | int | str | None = None, cls: str = "") -> str:
    v = sort if isinstance(sort, str) else _num(sort)
    attrs = f' data-v="{_h(v)}"' if v != "" else ""
    return f"<td{attrs}{f' class={cls!r}' if cls else ''}>{content}</td>"


def _th(cols: Sequence[str]) -> str:
    return "<thead><tr>" + "".join(f"<th>{_h(c)}</th>" for c in cols) + "</tr></thead>"


def _table(cols: Sequence[str], rows: Sequence[str], cls: str = "sortable") -> str:
    table = f'<table class="{cls}">{_th(cols)}<tbody>{"".join(rows)}</tbody></table>'
    return f'<div class="scroll">{table}</div>'


def _acc_cell(a: Accuracy | None, **link: Any) -> str:
    if a is None or a.n == 0:
        return _td("–")
    text = f"{pct(a.accuracy)} <small>[{pct(a.ci_low)}, {pct(a.ci_high)}] n={a.n}</small>"
    query = urlencode({k: v for k, v in link.items() if v is not None})
    return _td(f'<a href="#pairs?{_h(query)}">{text}</a>', a.accuracy)


def _share_cell(value: float, iv: Interval, text_extra: str = "", **link: Any) -> str:
    if missing(value):
        return _td("–")
    text = f"{frac(value)}{_h(text_extra)} <small>[{frac(iv.low)}, {frac(iv.high)}]</small>"
    query = urlencode({k: v for k, v in link.items() if v is not None})
    return _td(f'<a href="#pairs?{_h(query)}">{text}</a>', value)


def _diff_cell(d: Interval, **link: Any) -> str:
    if missing(d.estimate):
        return _td("–")
    star = "*" if excludes_zero(d) else ""
    text = f"{signed(d.estimate)}{star} <small>[{signed(d.low)}, {signed(d.high)}]</small>"
    query = urlencode({k: v for k, v in link.items() if v is not None})
    return _td(f'<a href="#pairs?{_h(query)}">{text}</a>', d.estimate)


def _p(p: float) -> str:
    return "–" if missing(p) else (f"{p:.3g}" if p >= 1e-4 else "&lt;0.0001")


def _p_eq(p: float) -> str:
    """ "p = 0.031" or "p < 0.0001"."""
    return "p = –" if missing(p) else (f"p = {p:.3g}" if p >= 1e-4 else "p &lt; 0.0001")


def comparison_table(report: Report, categories: Sequence[str]) -> str:
    cols = ["judge", "model", "family", "pairs", "accuracy [95% CI]", *categories]
    cols += ["consistent", "picks first shown", "ties", "no decision", "self-preference", "errors"]
    body = []
    for r in report.rows:
        j, o, i = r.judge, r.judge.order, r.index
        ties = _wilson(o.ties, o.orders * o.n)
        nones = _wilson(o.no_decisions, o.orders * o.n)
        bias = o.side_picks and o.position_bias_p < SIGNIFICANT
        sp = r.self_preference
        cells = [
            _td(_link(r.label, j=i), r.label, "name"),
            _td(_h(j.model or "–"), j.model or ""),
            _td(_h(j.family or "–"), j.family or ""),
            _td(_link(str(j.pairs_scored), j=i), j.pairs_scored),
            _acc_cell(j.overall, j=i),
            *(_acc_cell(j.by_category.get(c), j=i, cat=c) for c in categories),
            _share_cell(o.consistency, _wilson(o.consistent, o.n), j=i, flip=1),
            _share_cell(
                o.first_position, o.first_position_interval, "*" if bias else "", j=i, flip=1
            ),
            _share_cell(o.tie_rate, ties, j=i, out="tie"),
            _share_cell(o.no_decision_rate, nones, j=i, out="nodec"),
            _diff_cell(sp.difference, j=i, own=1) if sp else _td("–"),
            _td(_link(str(j.call_errors), j=i, out="error"), j.call_errors),
        ]
        body.append(f"<tr>{''.join(cells)}</tr>")
    return _table(cols, body)


def _wilson(k: int, n: int) -> Interval:
    from engine.stats import wilson

    return wilson(k, n)


def judge_section(r: Row, models: Sequence[str]) -> str:
    j, i = r.judge, r.index
    o = j.metrics.outcomes
    head = f'<h3 id="judge-{i}">{_h(r.label)}</h3>'
    facts = [f"type {_h(j.type or '–')}", f"model {_h(j.model or '–')}"]
    facts.append(f"family {_h(j.family or 'unknown')}")
    if j.orders == 1:
        facts.append("single order (imported)")
    outcomes = (
        f"<p>{_link(f'{o.correct} correct', j=i, out='correct')}, "
        f"{_link(f'{o.incorrect} incorrect', j=i, out='incorrect')}, "
        f"{_link(f'{o.tie} tied', j=i, out='tie')}; "
        f"{j.pairs_unscored} pairs not scored yet; "
        f"{_link(f'{j.call_errors} failed calls', j=i, out='error')}.</p>"
    )
    cats = [
        "<tr>"
        + _td(_h(c), c)
        + _acc_cell(a, j=i, cat=None if c == "overall" else c)
        + _td(
            _link(
                f"{a.n - a.correct} not correct",
                j=i,
                cat=None if c == "overall" else c,
                out="notcorrect",
            ),
            a.n - a.correct,
        )
        + "</tr>"
        for c, a in [*j.by_category.items(), ("overall", j.overall)]
    ]
    od = j.order
    fp = od.first_position_interval
    order_rows = [
        (
            "consistent in both orders",
            _share_cell(od.consistency, _wilson(od.consistent, od.n), j=i, flip=1),
            "–",
        ),
        (
            "picks the answer shown first",
            _share_cell(od.first_position, fp, j=i, flip=1),
            f"{od.first_picks} of {od.side_picks}; exact test against 50%: {_p_eq(od.position_bias_p)}",
        ),
        (
            "both orders picked the first shown",
            _share_cell(od.both_first_rate, _wilson(od.both_first, od.n), j=i, flip=1),
            "position flips",
        ),
        (
            "ties",
            _share_cell(od.tie_rate, _wilson(od.ties, od.orders * od.n), j=i, out="tie"),
            "of all decisions",
        ),
        (
            "no decision",
            _share_cell(
                od.no_decision_rate, _wilson(od.no_decisions, od.orders * od.n), j=i, out="nodec"
            ),
            "of all decisions",
        ),
    ]
    order = _table(
        ["order effect", "share [95% CI]", "note"],
        [f"<tr>{_td(_h(a))}{b}{_td(c)}</tr>" for a, b, c in order_rows],
        cls="plain",
    )
    index = {m: k for k, m in enumerate(models)}
    by_model = [
        "<tr>"
        + _td(
            _h(m)
            + (
                ' <span class="own" title="the judge\'s own model family">★ own family</span>'
                if j.own_family(m)
                else ""
            ),
            m,
        )
        + _acc_cell(a, j=i, rm=index.get(m))
        + "</tr>"
        for m, a in j.by_response_model.items()
    ]
    sp = r.self_preference
    self_pref = ""
    if sp is not None:
        self_pref = (
            f"<p class=selfpref>Self-preference ({_h(sp.family)}): own family "
            f"{_link(acc_ci(sp.own), j=i, own=1)} (n={sp.own.n}) vs others "
            f"{_link(acc_ci(sp.others), j=i, own=0)} (n={sp.others.n}); difference "
            f"<b>{_h(diff_ci(sp.difference))}</b> points"
            f"{' (its interval excludes 0)' if excludes_zero(sp.difference) else ''}.</p>"
        )
    return (
        f'<section class="judge">{head}<p class="facts">{"; ".join(facts)}</p>{outcomes}'
        f'<div class="cols"><div>{_table(["category", "accuracy [95% CI]", "pairs"], cats, cls="plain")}</div>'
        f"<div>{order}</div></div>"
        + (
            "<h4>By response model</h4>"
            + _table(["response model", "accuracy [95% CI]"], by_model, cls="plain")
            if by_model
            else ""
        )
        + self_pref
        + "</section>"
    )


def compare_section(report: Report) -> str:
    if not report.comparisons:
        return "<p>No two judges scored the same pairs.</p>"
    cols = [
        "judge a",
        "judge b",
        "pairs",
        "acc. a",
        "acc. b",
        "a − b [95% CI]",
        "only a right",
        "only b right",
        "McNemar p",
        "kappa",
    ]
    body = []
    for c in report.comparisons:
        a, b = report.rows[c.a], report.rows[c.b]
        sig = c.mcnemar_p < SIGNIFICANT
        body.append(
            "<tr>"
            + _td(_link(a.label, j=c.a), a.label, "name")
            + _td(_link(b.label, j=c.b), b.label, "name")
            + _td(_link(str(c.n), x=c.a, y=c.b), c.n)
            + _td(pct(c.accuracy_a.accuracy), c.accuracy_a.accuracy)
            + _td(pct(c.accuracy_b.accuracy), c.accuracy_b.accuracy)
            + _diff_cell(c.difference, x=c.a, y=c.b, dis="any")
            + _td(_link(str(c.only_a), x=c.a, y=c.b, dis="a"), c.only_a)
            + _td(_link(str(c.only_b), x=c.a, y=c.b, dis="b"), c.only_b)
            + _td(_p(c.mcnemar_p) + ("*" if sig else ""), c.mcnemar_p)
            + _td("–" if missing(c.kappa) else f"{c.kappa:.2f}", c.kappa)
            + "</tr>"
        )
    note = (
        "<p class=note>On the pairs both judges scored. a − b: the accuracy difference in "
        "points with Newcombe's paired 95% interval; only a / only b right: the discordant "
        "pairs (links open them); McNemar: the exact test of those two counts (* p &lt; 0.05); "
        "kappa: Cohen's agreement on which pairs are right (1 = the same pairs, 0 = chance).</p>"
    )
    return note + _table(cols, body)


def solve_section(report: Report) -> str:
    parts = []
    for s in report.runs:
        if not s.solve and not s.solve_vs_judge:
            continue
        parts.append(f"<h3>Run {_h(s.name)}</h3>")
        cats = sorted({c for v in s.solve.values() for c in v.by_category})
        rows = [
            "<tr>"
            + _td(_h(m), m)
            + "".join(
                _td(_h(acc_ci(v.by_category.get(c))), (v.by_category.get(c) or v.overall).accuracy)
                for c in cats
            )
            + _td(_h(acc_ci(v.overall)), v.overall.accuracy)
            + "</tr>"
            for m, v in s.solve.items()
        ]
        parts.append(
            "<h4>Solve accuracy (verified answers)</h4>" + _table(["model", *cats, "overall"], rows)
        )
        gaps = [
            "<tr>"
            + _td(_h(g.judge), g.judge)
            + _td(_h(g.model), g.model)
            + _td(_h(g.category), g.category)
            + _td(_h(acc_ci(g.solve)), g.solve.accuracy)
            + _td(_h(acc_ci(g.judged)), g.judged.accuracy)
            + _td(_h(diff_ci(g.gap)) + ("*" if excludes_zero(g.gap) else ""), g.gap.estimate)
            + "</tr>"
            for g in s.solve_vs_judge
        ]
        if gaps:
            parts.append(
                "<h4>Solve versus judge</h4><p class=note>gap = judge accuracy − solve accuracy, "
                "points, Newcombe's 95% interval (* excludes 0).</p>"
                + _table(
                    [
                        "judge",
                        "model",
                        "category",
                        "solve acc. [95% CI]",
                        "judge acc. [95% CI]",
                        "gap [95% CI]",
                    ],
                    gaps,
                )
            )
    return "".join(parts) or "<p>No judge model also answered the questions in these runs.</p>"


def runs_section(report: Report) -> str:
    parts = []
    for s in report.runs:
        parts.append(_run(s))
    return "".join(parts)


def _run(s: RunSummary) -> str:
    c = s.counts
    src = s.imported_from or s.job_file
    items = [
        f"folder <code>{_h(s.run)}</code>" + (f", from <code>{_h(src)}</code>" if src else ""),
        f"{c.pairs} pairs; response models: {_h(', '.join(c.response_models) or '–')}",
        f"{c.judgments} judgments recorded ({c.judgment_errors} failed); {c.scores} pair × judge scores",
    ]
    out = f"<h3>Run {_h(s.name)}</h3>"
    if s.description:
        out += f"<blockquote>{_h(s.description.strip())}</blockquote>"
    out += "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
    if s.providers:
        keys = [
            "requests",
            "retries",
            "rate_limited",
            "errors",
            "input_tokens",
            "output_tokens",
            "cost",
        ]
        rows = [
            "<tr>" + _td(_h(n), n) + "".join(_td(_h(p.get(k, "–"))) for k in keys) + "</tr>"
            for n, p in s.providers.items()
        ]
        out += _table(["provider", *keys], rows, cls="plain")
    if s.no_pair_reasons:
        rows = [f"<tr>{_td(_h(k))}{_td(_h(v))}</tr>" for k, v in s.no_pair_reasons.items()]
        out += _table(["questions without a pair", "count"], rows, cls="plain")
    return out


def _plot(p: Plot) -> str:
    uri = "data:image/svg+xml;base64," + base64.b64encode(p.svg.encode("utf-8")).decode("ascii")
    return f'<figure><img alt="{_h(p.title)}" src="{uri}"><figcaption>{_h(p.title)} (also <code>{_h(p.png)}</code>)</figcaption></figure>'


def render(report: Report, plots: Sequence[Plot], data: Mapping[str, Any]) -> str:
    """The whole page. `data` is `viewer.viewer_data(report)`."""
    present = {c for r in report.rows for c in r.judge.by_category}
    from engine.scoring import ordered_categories

    categories = ordered_categories(present)
    script = asset("viewer.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    csp = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )
    n_pairs = len(data["pairs"]["id"])
    cap = data.get("cap")
    cut_note = (
        f'<p class="warn">This run is larger than the page\'s text budget: texts longer than '
        f"{cap:,} characters are shown cut (head and tail); every decision and outcome is "
        "complete. The full texts are in the run's JSONL files.</p>"
        if cap is not None
        else ""
    )
    models = data["models"]
    legend = (
        "<p class=note>Accuracy: pairs judged correct by JudgeBench's rule over both orders, "
        "%, with 95% Wilson intervals. picks first shown: the share of side-picking decisions "
        "for the answer shown first (50% = no position bias; * an exact binomial test says it "
        "differs, p &lt; 0.05). self-preference: accuracy on pairs answered by the judge's own "
        "model family minus on the others, points, Newcombe's 95% interval (* excludes 0). "
        "Every cell opens the pairs behind it.</p>"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_h(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>JudgeBench report</title>
<style>{asset("viewer.css")}</style></head>
<body>
<header><h1>JudgeBench report</h1>
<p class="meta">generated {_h(report.generated)}; {len(report.runs)} run(s), {len(report.rows)} judge(s), {n_pairs} pair(s). <span id="status">Loading the pairs…</span></p>
<nav><a href="#overview">Overview</a><a href="#judges">Judges</a><a href="#compare">Judge vs judge</a><a href="#solve">Solve vs judge</a><a href="#pairs">Pairs</a></nav></header>
<main>
<section id="view-overview" class="view"><h2>Judges compared</h2>{legend}{cut_note}{comparison_table(report, categories)}
<div class="plots">{"".join(_plot(p) for p in plots)}</div>
<h2>Runs</h2>{runs_section(report)}</section>
<section id="view-judges" class="view"><h2>Judges</h2>{"".join(judge_section(r, models) for r in report.rows)}</section>
<section id="view-compare" class="view"><h2>Judge against judge</h2>{compare_section(report)}</section>
<section id="view-solve" class="view"><h2>Solve versus judge</h2>{solve_section(report)}</section>
<section id="view-pairs" class="view"><h2>Pairs</h2><div id="pairs-app"><p>The pair browser needs JavaScript.</p></div></section>
</main>
<script id="jf-data" type="application/octet-stream">{encode_data(data)}</script>
<script>{script}</script>
</body></html>
"""
