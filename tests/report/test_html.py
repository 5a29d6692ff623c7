"""report.html without a browser: self-contained, locked down, its data true to the records."""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import re
from pathlib import Path

import orjson
import pytest

from engine.report import write_report
from engine.report.html import asset
from engine.report.locate import verdict_spans
from engine.report.viewer import ALPHABET, cut, cut_around, score_code, text_cap, water_level
from tests.report.test_summary import _dump, _pair, _score, make_run


def _blob(page: str) -> dict:
    m = re.search(r'<script id="jf-data" type="application/octet-stream">([^<]*)</script>', page)
    assert m
    return orjson.loads(gzip.decompress(base64.b64decode(m.group(1))))


def test_page_is_self_contained_and_allows_only_its_own_script(tmp_path: Path) -> None:
    make_run(tmp_path / "run")
    write_report([tmp_path / "run"], tmp_path / "out")
    page = (tmp_path / "out" / "report.html").read_text()
    # nothing to fetch: no external URL in any src or href, only in-page links
    assert not re.search(r'(?:src|href)="(?!#|data:)', page)
    assert "http://" not in page and "https://" not in page
    # the CSP names exactly the inlined script by its hash, and no network source
    found = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert found
    csp = html.unescape(found.group(1))
    script = asset("viewer.js")
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp
    assert f"<script>{script}</script>" in page
    # viewer.js never turns text into markup
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink


def test_names_from_a_run_are_escaped(tmp_path: Path) -> None:
    run = tmp_path / "run"
    p = _pair("p1", "livecodebench", "A>B", "<b>model</b>")
    evil = '<img src=x onerror="alert(1)">'
    _dump(run, [p, _score(p, evil, "A>B", "B>A")])
    write_report([run], tmp_path / "out")
    page = (tmp_path / "out" / "report.html").read_text()
    assert evil not in page and "<b>model</b>" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert _blob(page)["judges"][0]["label"] == evil  # the data keeps it, as text


def test_data_blob_holds_every_pair_judgment_and_score(tmp_path: Path) -> None:
    make_run(tmp_path / "run")
    write_report([tmp_path / "run"], tmp_path / "out")
    data = _blob((tmp_path / "out" / "report.html").read_text())
    pairs = data["pairs"]
    assert pairs["id"] == ["p1", "p2", "p3", "p4"] and pairs["label"] == "abab"
    assert [data["source_category"][s] for s in pairs["src"]] == ["knowledge"] * 2 + ["math"] * 2
    (j,) = data["judges"]
    assert j["label"] == "j" and j["type"] == "vanilla"
    # scores: p1 right/right, p2 wrong/wrong, p3 right/tie, p4 not scored
    decode = [None if c == "." else ALPHABET.index(c) for c in j["score"]]
    assert [d >> 4 if d is not None else None for d in decode] == [0, 1, 0, None]
    # p4: AB answered "Output (b)" (B>A), BA failed; the failure's message is shown
    assert j["da"][3] == "2" and j["db"][3] == "0"
    assert data["texts"][j["ta"][3]] == "Output (b)" and j["tb"][3] == -1
    assert data["texts"][j["eb"]["3"]] == "server: 503"
    # the retried p1 call shows its success, not the recorded timeout
    assert data["texts"][j["ta"][0]] == "Output (a)" and "0" not in j["ea"]
    assert j["ha"]["3"] == [0, 10]  # "Output (b)" highlighted where vanilla's parser reads it


def test_score_code_round_trip() -> None:
    from engine.records import ScoreRecord

    s = ScoreRecord("p", "j", "s", "A>B", "A=B", None, "tie")
    c = ALPHABET.index(score_code(s.outcome, s.decision_AB, s.decision_BA))
    assert (c >> 4, (c >> 2) & 3, c & 3) == (2, 3, 0)


def test_water_level() -> None:
    assert water_level([5, 10, 20], 100) is None  # everything fits
    # cap c: 5 + 10 + c <= 30 -> c = 15, the short texts whole
    assert water_level([5, 10, 20], 30) == 15
    # cap below the shortest: 3c <= 9 -> 3
    assert water_level([5, 10, 20], 9) == 3
    lengths = [1, 50, 50, 400, 1000]
    cap = water_level(lengths, 600)
    assert cap is not None and sum(min(x, cap) for x in lengths) <= 600
    assert sum(min(x, cap + 1) for x in lengths) > 600  # and it is the largest such cap


@pytest.mark.parametrize("cap", [10, 150, 300])
def test_cut_keeps_head_and_tail_within_the_cap(cap: int) -> None:
    text = "HEAD" + "x" * 1000 + "TAIL"
    out = cut(text, cap)
    assert len(out) <= cap and out.startswith("HEAD"[: min(4, cap - 1)])
    if cap >= 150:
        assert out.endswith("TAIL") and " cut " in out
    assert cut("short", cap) == "short" and cut(text, None) == text


@pytest.mark.parametrize("cap", [38, 100, 400])
def test_a_cut_reply_keeps_its_verdict_in_view(cap: int) -> None:
    text = "x" * 700 + " My verdict: [[A>B]]. " + "y" * 300
    shown, spans = cut_around(text, cap, verdict_spans("arena_hard", text))
    assert len(shown) <= cap
    assert [shown[s:e] for s, e in spans] == ["[[A>B]]"]
    assert shown.startswith(("\n\n[…", " […", "…")) and shown.endswith(("\n\n", "] ", "…"))


def test_text_budget_bounds_the_page(tmp_path: Path) -> None:
    """Over budget, texts are cut so the embedded text stays within it; decisions stay."""
    run = tmp_path / "run"
    pairs = [_pair(f"p{i}", "livebench-math", "A>B", "m") for i in range(40)]
    big = [
        p.__class__(**{**p.to_dict(), "question": f"{i} " + "Q" * 5000})
        for i, p in enumerate(pairs)
    ]
    _dump(run, [*big, *(_score(p, "j", "A>B", "B>A") for p in big)])
    budget = 60_000
    assert text_cap([run], budget) is not None
    write_report([run], tmp_path / "out", text_budget=budget)
    data = _blob((tmp_path / "out" / "report.html").read_text())
    assert sum(len(t) for t in data["texts"]) <= budget
    assert data["cap"] is not None and len(data["judges"][0]["score"]) == 40
    assert "characters cut" in data["texts"][data["pairs"]["q"][0]]
    assert "texts longer than" in (tmp_path / "out" / "report.html").read_text()
