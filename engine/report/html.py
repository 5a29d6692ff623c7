"""report.html: one self-contained file, the tables rendered here, the pair browser in JS.

Nothing is loaded from anywhere: the CSS and JS are our own files in
`engine/report/assets/`, inlined; the plots are SVG data URIs; the pairs are one
compressed blob (`engine.report.viewer`). A Content-Security-Policy allows no network at
all and only our own script, by its hash, so even a slip in escaping could not run a
script hidden in a model's answer (inline handlers such as `onerror=` are blocked too).
Every text from a run is escaped here, or set as text, never as markup, by the script.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Mapping, Sequence
from importlib.resources import files
from typing import Any

import orjson

from engine.report.html_parts import h
from engine.report.html_sections import (
    LEGEND,
    compare_section,
    comparison_table,
    judge_section,
    run_section,
    solve_section,
)
from engine.report.model import Report
from engine.report.plots import Plot
from engine.scoring import ordered_categories

NAV = (
    ("overview", "Overview"),
    ("judges", "Judges"),
    ("compare", "Judge vs judge"),
    ("solve", "Solve vs judge"),
    ("pairs", "Pairs"),
)


def asset(name: str) -> str:
    return files("engine.report").joinpath("assets", name).read_text("utf-8")


def encode_data(data: Mapping[str, Any]) -> str:
    """The viewer's data as base64 of gzip of JSON (base64 cannot close a <script>)."""
    raw = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    return base64.b64encode(gzip.compress(raw, compresslevel=4, mtime=0)).decode("ascii")


def csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def _plot(p: Plot) -> str:
    uri = "data:image/svg+xml;base64," + base64.b64encode(p.svg.encode("utf-8")).decode("ascii")
    return (
        f'<figure><img alt="{h(p.title)}" src="{uri}">'
        f"<figcaption>{h(p.title)} (also <code>{h(p.png)}</code>)</figcaption></figure>"
    )


def _cut_note(cap: int | None) -> str:
    if cap is None:
        return ""
    return (
        '<p class="warn">This run is larger than the page\'s text budget: texts longer than '
        f"{cap:,} characters are shown cut (head and tail); every decision and outcome is "
        "complete. The full texts are in the run's JSONL files.</p>"
    )


def render(report: Report, plots: Sequence[Plot], data: Mapping[str, Any]) -> str:
    """The whole page. `data` is `viewer.viewer_data(report)`."""
    categories = ordered_categories({c for r in report.rows for c in r.judge.by_category})
    script = asset("viewer.js")
    nav = "".join(f'<a href="#{k}">{t}</a>' for k, t in NAV)
    n_pairs = len(data["pairs"]["id"])
    meta = (
        f"generated {h(report.generated)}; {len(report.runs)} run(s), "
        f"{len(report.rows)} judge(s), {n_pairs} pair(s)."
    )
    overview = (
        f'<h2>Judges compared</h2><p class="note">{LEGEND}</p>{_cut_note(data.get("cap"))}'
        f"{comparison_table(report, categories)}"
        f'<div class="plots">{"".join(_plot(p) for p in plots)}</div>'
        f"<h2>Runs</h2>{''.join(run_section(s) for s in report.runs)}"
    )
    judges = "".join(judge_section(r, data["models"]) for r in report.rows)
    views = {
        "overview": overview,
        "judges": f"<h2>Judges</h2>{judges}",
        "compare": f"<h2>Judge against judge</h2>{compare_section(report)}",
        "solve": f"<h2>Solve versus judge</h2>{solve_section(report)}",
        "pairs": '<h2>Pairs</h2><div id="pairs-app"><p>The pair browser needs JavaScript.</p>'
        "</div>",
    }
    sections = "".join(
        f'<section id="view-{k}" class="view">{v}</section>' for k, v in views.items()
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{h(csp(script))}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>JudgeBench report</title>\n<style>{asset('viewer.css')}</style></head>\n"
        f'<body><header><h1>JudgeBench report</h1><p class="meta">{meta} '
        f'<span id="status">Loading the pairs…</span></p><nav>{nav}</nav></header>\n'
        f"<main>{sections}</main>\n"
        f'<script id="jf-data" type="application/octet-stream">{encode_data(data)}</script>\n'
        f"<script>{script}</script>\n</body></html>\n"
    )
