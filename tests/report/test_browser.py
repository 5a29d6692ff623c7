"""report.html in a real headless Chromium, opened from disk (file://).

A report over published-format outputs of 11 judges on the 350 published GPT-4o pairs
(`report --import`): filter to one judge's incorrect coding pairs, open one, and check
that both orders' raw replies and parsed decisions shown are the ones on record; follow
links from table cells; walk a disagreement between two judges; and check that markup
hidden in answers and judge replies is shown as text and never runs. Screenshots of the
overview and of a pair are written under the report folder and checked to be non-blank.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from engine.cli import main as cli_main
from engine.scoring import category
from fakes.browser import assert_nonblank, chrome, wait_ready
from tests.report.published_fixtures import JUDGES, write_outputs
from tests.report.test_summary import make_run

JUDGE = "vanilla/gpt-4o-mini"  # one of JUDGES: position-biased, often wrong


def _records(out: Path, name: str) -> list[dict[str, Any]]:
    return [
        orjson.loads(line)
        for run in sorted((out / "runs").iterdir())
        for line in (run / name).read_bytes().splitlines()
    ]


@pytest.fixture(scope="module")
def published_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent")
    tmp = tmp_path_factory.mktemp("browser")
    files = write_outputs(SHARED_DATA, tmp / "published")
    assert len(files) == len(JUDGES) >= 10
    out = tmp / "report"
    argv = ["report", "--import", *map(str, files), "--out", str(out)]
    assert cli_main(argv) == 0
    return out


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    with chrome() as d:
        yield d


def _open(driver: Any, report: Path, fragment: str = "") -> None:
    driver.get((report / "report.html").as_uri() + fragment)
    wait_ready(driver)


def _choose(driver: Any, name: str, text: str) -> None:
    """Pick an option of a filter; the form is rebuilt after every change, so look it up."""
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", f"f-{name}")).select_by_visible_text(text)


def _rows(driver: Any) -> list[Any]:
    return driver.find_elements("css selector", "#pair-list tr.pair-row")


def _count(driver: Any) -> str:
    return str(driver.find_element("id", "pair-count").text)


def test_filter_open_a_pair_and_its_judge_texts_match_the_records(
    driver: Any, published_report: Path
) -> None:
    shots = published_report / "screenshots"
    shots.mkdir(exist_ok=True)
    _open(driver, published_report)
    driver.save_screenshot(str(shots / "overview.png"))
    assert_nonblank(shots / "overview.png")

    driver.find_element("css selector", 'nav a[href="#pairs"]').click()
    _choose(driver, "j", JUDGE)
    _choose(driver, "out", "incorrect")
    _choose(driver, "cat", "coding")
    scores = [s for s in _records(published_report, "scores.jsonl") if s["judge"] == JUDGE]
    expected = {
        s["pair_id"]
        for s in scores
        if s["outcome"] == "incorrect" and category(s["source"]) == "coding"
    }
    assert expected, "the fixture judge has incorrect coding pairs"
    rows = _rows(driver)
    assert {r.get_attribute("data-pair") for r in rows} == expected
    assert _count(driver).startswith(f"pairs 1–{len(expected)} of {len(expected)}")

    rows[0].click()
    detail = driver.find_element("id", "pair-detail")
    pid = detail.get_attribute("data-pair")
    assert pid in expected
    judgments = {
        j["order"]: j
        for j in _records(published_report, "judgments.jsonl")
        if j["judge"] == JUDGE and j["pair_id"] == pid
    }
    assert set(judgments) == {"AB", "BA"}
    block = driver.find_element("css selector", f'details.judge-block[data-judge="{JUDGE}"]')
    assert block.get_attribute("open") is not None  # the filtered judge is unfolded
    assert "incorrect" in block.find_element("css selector", ".badge").text
    for order, rec in judgments.items():
        box = block.find_element("css selector", f'.order[data-order="{order}"]')
        raw = box.find_element("css selector", "pre.raw")
        assert raw.get_attribute("textContent") == rec["raw"]
        dec = box.find_element("css selector", ".decision")
        assert dec.get_attribute("data-decision") == (rec["decision"] or "none")
        assert dec.text == (rec["decision"] or "none")
        if rec["decision"]:  # the verdict mark is highlighted where the parser found it
            marks = box.find_elements("css selector", "mark.verdict")
            assert marks and all(m.text.lower().startswith("output (") for m in marks)
    # the question and both answers are shown, the right one labelled as such
    pair = next(p for p in _records(published_report, "pairs.jsonl") if p["pair_id"] == pid)
    right = driver.find_element("css selector", ".answer.right")
    assert right.find_element("css selector", "h4").text.startswith(f"Response {pair['label'][0]}")
    assert len(driver.find_elements("css selector", "details.judge-block")) == len(JUDGES)
    driver.save_screenshot(str(shots / "pair.png"))
    assert_nonblank(shots / "pair.png")


def test_table_cells_link_to_the_pairs_behind_them(driver: Any, published_report: Path) -> None:
    summary = orjson.loads((published_report / "summary.json").read_bytes())
    row = next(r for r in summary["table"] if r["judge"] == JUDGE)
    index = summary["table"].index(row)
    coding = summary["runs"][index]["judges"][JUDGE]["by_category"]["coding"]
    _open(driver, published_report)
    cell = driver.find_element(
        "css selector", f'#view-overview a[href="#pairs?j={index}&cat=coding"]'
    )
    cell.click()
    assert len(_rows(driver)) == coding["n"]
    # a position-flip link opens exactly the pairs whose two orders picked the same slot
    scores = [s for s in _records(published_report, "scores.jsonl") if s["judge"] == JUDGE]
    flips = {s["pair_id"] for s in scores if {s["decision_AB"], s["decision_BA"]} == {"A>B", "B>A"}}
    _open(driver, published_report, f"#pairs?j={index}&flip=1")
    shown = {r.get_attribute("data-pair") for r in _rows(driver)}
    assert len(flips) > 100  # more than a page: the count says how many in all
    assert shown <= flips and len(shown) == 100
    assert _count(driver).startswith(f"pairs 1–100 of {len(flips)} ")


def test_disagreement_between_two_judges(driver: Any, published_report: Path) -> None:
    summary = orjson.loads((published_report / "summary.json").read_bytes())
    comp = summary["comparisons"][0]
    labels = [r["label"] for r in summary["table"]]
    a, b = labels.index(comp["a"]), labels.index(comp["b"])
    _open(driver, published_report, f"#pairs?x={a}&y={b}&dis=a")
    assert f"of {comp['table']['only_a']}" in _count(driver)
    _open(driver, published_report, f"#pairs?x={a}&y={b}&dis=b")
    assert f"of {comp['table']['only_b']}" in _count(driver)
    # the McNemar cell in the comparisons view opens both kinds of disagreement
    _open(driver, published_report, "#compare")
    driver.find_element("css selector", f'#view-compare a[href="#pairs?x={a}&y={b}&dis=any"]')


def test_hostile_markup_in_answers_and_replies_is_text(driver: Any, published_report: Path) -> None:
    # pair 4 (index 3) has hostile judge replies, pair 8 (index 7) a hostile answer
    for index in (3, 7):
        _open(driver, published_report, f"#pairs?open={index}")
        driver.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
        app = driver.find_element("id", "pairs-app")
        assert "<script>window.__pwned" in app.get_attribute("textContent")
        assert app.find_elements("css selector", "script, img, iframe") == []
        assert driver.execute_script("return window.__pwned") is None


def test_a_run_of_the_engine_opens_too(driver: Any, tmp_path: Path) -> None:
    """A run folder as the engine writes it (not imported): the list holds its pairs."""
    make_run(tmp_path / "run")
    assert cli_main(["report", str(tmp_path / "run")]) == 0
    _open(driver, tmp_path / "run", "#pairs?j=0")
    assert _count(driver).startswith("pairs 1–4 of 4")  # p4 is listed: judged, not scored
    _open(driver, tmp_path / "run", "#pairs?j=0&out=missing")
    assert _count(driver).startswith("pairs 1–1 of 1")
    driver.find_element("css selector", "#pair-list tr.pair-row").click()
    block = driver.find_element("css selector", 'details.judge-block[data-judge="j"]')
    ba = block.find_element("css selector", '.order[data-order="BA"]')
    assert "call failed: server: 503" in ba.text  # the failed order says why
    shot = tmp_path / "run" / "screenshots" / "pair.png"
    shot.parent.mkdir()
    driver.save_screenshot(str(shot))
    assert_nonblank(shot)
