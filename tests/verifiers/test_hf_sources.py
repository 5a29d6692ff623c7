"""Sources and pairs read from Hugging Face datasets in their on-disk layouts (offline).

The folders are built here (tests/verifiers/hf_layouts.py) the way the Hub repositories
and `save_to_disk` lay them out, and read through `hf_dataset`, the same call that reads a
Hub id.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

pytest.importorskip("datasets")

from tests.verifiers import hf_layouts as hf
from verifiers import livebench, registry
from verifiers import livecodebench as lcb
from verifiers.errors import SourceError
from verifiers.pair_files import load_pairs

UNUSED = Path("unused")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing here may reach the Hub: a slip shows as an error, not as a download.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def test_mmlu_pro_from_parquet_shards_in_order_and_filtered(tmp_path: Path) -> None:
    rows = hf.mmlu_rows(6)
    folder = hf.parquet_shards(tmp_path / "MMLU-Pro", "test", rows, shards=2)
    got = list(registry.load("mmlu_pro", UNUSED, hf_dataset=str(folder)))
    assert [q.original_id for q in got] == [r["question_id"] for r in rows]
    assert got[0].source == "mmlu-pro-law" and got[0].ground_truth == "A"
    law = registry.load("mmlu_pro", UNUSED, hf_dataset=str(folder), categories=["LAW"])
    assert [q.original_id for q in law] == [100, 102, 104]


def test_mmlu_pro_from_save_to_disk_and_a_missing_split(tmp_path: Path) -> None:
    folder = hf.saved_dict(tmp_path / "saved", "test", hf.mmlu_rows(3))
    assert len(list(registry.load("mmlu_pro", UNUSED, hf_dataset=str(folder)))) == 3
    with pytest.raises(SourceError, match=r"\[validation\].*no split 'validation'.*\['test'\]"):
        list(registry.load("mmlu_pro", UNUSED, hf_dataset=str(folder), hf_split="validation"))


def test_livebench_datetime_dates_filter_and_verify(tmp_path: Path) -> None:
    rows = hf.livebench_rows("reasoning", "zebra_puzzle", 4, truth="3")
    folder = hf.livebench_parquet(tmp_path / "reasoning", rows)
    questions = list(registry.load("livebench", UNUSED, hf_dataset=str(folder)))
    # The Hub's timestamps arrive as datetime; the questions carry ISO dates.
    assert isinstance(rows[0]["livebench_release_date"], dt.datetime)
    assert [q.meta["release_date"] for q in questions] == ["2024-06-24", "2024-11-25"] * 2
    # release_date_max compared a datetime with a string (TypeError) before.
    old = list(
        registry.load(
            "livebench", UNUSED, hf_dataset=str(folder), release_date_max=dt.date(2024, 6, 24)
        )
    )
    assert [q.meta["question_id"] for q in old] == ["zebra_puzzle-0000", "zebra_puzzle-0002"]
    # The zebra verifier picks its answer format by release date: the old ***X*** one here
    # (with a datetime every answer was unverifiable).
    verdict = livebench.verify(old[0], "Reasoning ... so the answer is ***3***")
    assert (verdict.correct, verdict.kind) == (True, "checked")
    assert livebench.verify(old[0], "***4***").correct is False


def test_livecodebench_releases_and_private_tests(tmp_path: Path) -> None:
    private = [{"input": "5 7\n", "output": "12\n", "testtype": "stdin"}]
    folder = hf.lcb_repo(
        tmp_path / "code_generation_lite",
        [
            [hf.lcb_row("q1", "2023-05-07", private), hf.lcb_row("q2", "2023-09-01", private)],
            [hf.lcb_row("q3", "2024-05-01", private)],
        ],
    )

    def ids(**options: object) -> list[str]:
        found = registry.load("livecodebench", UNUSED, hf_dataset=str(folder), **options)
        return [q.meta["question_id"] for q in found]

    assert ids(hf_config="release_v1") == ["q1", "q2"]
    assert ids(hf_config="release_v2") == ["q1", "q2", "q3"] == ids(hf_config="v1_v2")
    assert ids(hf_config="v2") == ["q3"]
    assert ids(hf_config="release_v1", end_date="2023-06-30") == ["q1"]
    (q,) = registry.load(
        "livecodebench", UNUSED, hf_dataset=str(folder), hf_config="v2", timeout_s=20
    )
    assert q.meta["n_private"] == 1 and q.ground_truth[-1]["input"] == "5 7\n"
    assert q.meta["contest_date"] == "2024-05-01T00:00:00"
    good = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
    assert lcb.verify(q, good).correct is True
    assert lcb.release_files("release_v3") == ["test.jsonl", "test2.jsonl", "test3.jsonl"]
    with pytest.raises(ValueError, match="unknown LiveCodeBench release 'release_v9'"):
        lcb.release_files("release_v9")


def test_published_pairs_from_the_judgebench_splits(tmp_path: Path) -> None:
    folder = hf.judgebench_repo(
        tmp_path / "JudgeBench",
        {"gpt": hf.judgebench_pairs("gpt", 3), "claude": hf.judgebench_pairs("claude", 2)},
    )
    gpt = list(load_pairs(UNUSED, "judgebench", hf_dataset=str(folder), hf_split="gpt"))
    claude = list(load_pairs(UNUSED, "judgebench", hf_dataset=str(folder), hf_split="claude"))
    assert gpt == hf.judgebench_pairs("gpt", 3)
    assert [p["response_model"] for p in claude] == ["claude", "claude"]
    assert gpt[1]["original_id"] is None and gpt[0]["original_id"] == 100


def test_a_hub_id_that_cannot_be_reached_is_one_clear_error() -> None:
    # Offline: the Hub call fails, and the message names the dataset and split.
    with pytest.raises(SourceError, match=r"hf:TIGER-Lab/MMLU-Pro\[test\]: cannot open"):
        list(registry.load("mmlu_pro", UNUSED, hf_dataset="TIGER-Lab/MMLU-Pro"))
