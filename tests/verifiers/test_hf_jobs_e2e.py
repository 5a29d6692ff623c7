"""jobs/full.yaml and jobs/judgebench.yaml, end to end through their Hugging Face sources.

The shipped jobs read the Hub (TIGER-Lab/MMLU-Pro, livebench/reasoning, livebench/math,
livecodebench/code_generation_lite, ScalerLab/JudgeBench). Here each `hf_dataset` is
pointed at a folder this test lays out as that repository is laid out (our own demo
questions, in parquet shards with datetime release dates, or JSON Lines with packed private
tests), and the job runs as a subprocess against the loopback fake APIs: the data goes
through the same `hf` path a Hub id takes, with every filter of the shipped job in force.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("datasets")

from tests.local.test_shipped_jobs import (
    assert_position_bias_scored,
    fake_api,
    overrides,
    records,
    validate_and_run,
)
from tests.verifiers import hf_layouts as hf

DEMO = Path(__file__).resolve().parents[2] / "jobs" / "demo_data"


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _livebench(path: Path) -> list[dict[str, Any]]:
    """Demo LiveBench rows with the release date as the Hub has it: a datetime."""
    keep = ("question_id", "category", "task", "turns", "ground_truth")
    out = []
    for r in _rows(path):
        day = dt.date.fromisoformat(r["livebench_release_date"])
        out.append(
            {
                **{k: r[k] for k in keep},
                "livebench_release_date": dt.datetime(day.year, day.month, day.day),
                "livebench_removal_date": "",
            }
        )
    return out


def _hub_layouts(root: Path) -> dict[str, Path]:
    code = []
    for r in _rows(DEMO / "livecodebench.jsonl"):
        public = json.loads(r["public_test_cases"])
        code.append({**r, "private_test_cases": hf.encode_private(public[:1])})
    return {
        "mmlu": hf.parquet_shards(root / "MMLU-Pro", "test", _rows(DEMO / "mmlu_pro.jsonl")),
        "reasoning": hf.livebench_parquet(
            root / "reasoning",
            _livebench(DEMO / "livebench/reasoning/web_of_lies_v2/question.jsonl"),
        ),
        "math": hf.livebench_parquet(
            root / "math", _livebench(DEMO / "livebench/math/AMPS_Hard/question.jsonl")
        ),
        "code": hf.lcb_repo(root / "code_generation_lite", [code]),
    }


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    # The engine runs as a subprocess with this environment: it may not reach the Hub.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def run_job(job: str, out: Path, limit: int, *assignments: str) -> None:
    """`validate` and `run --limit` a shipped job against the fake APIs, writing into `out`
    (an assignment's "{url}" becomes the fakes' address)."""
    with fake_api(out / "requests.jsonl") as url:
        sets = overrides(f"output_dir={out}", *(a.format(url=url) for a in assignments))
        validate_and_run(job, sets, limit=limit, url=url)


def test_full_job_reads_every_source_through_the_hf_path(tmp_path: Path) -> None:
    where = _hub_layouts(tmp_path / "hub")
    run_job(
        "jobs/full.yaml",
        tmp_path,
        2,
        "providers.vllm.base_url={url}/v1",
        f"sources.0.options.hf_dataset={where['mmlu']}",
        f"sources.1.options.hf_dataset={where['reasoning']}",
        f"sources.2.options.hf_dataset={where['math']}",
        f"sources.3.options.hf_dataset={where['code']}",
    )
    run = tmp_path / "full"
    responses = records(run / "responses.jsonl")
    assert len(responses) == 4 * 2 * 4  # sources x --limit x samples
    verdicts = records(run / "verdicts.jsonl")
    assert {v["correct"] for v in verdicts} == {True, False}
    assert all(v["kind"] in ("checked", "no_answer") for v in verdicts)
    # The coding answers ran against the public tests and the unpacked private one.
    code = [v for v in verdicts if v["task"] == "livecodebench" and v["correct"]]
    n_public = {
        len(json.loads(r["public_test_cases"])) for r in _rows(DEMO / "livecodebench.jsonl")
    }
    assert code and all(
        any(f"passed all {n + 1} tests" in v["reason"] for n in n_public) for v in code
    )
    pairs = records(run / "pairs.jsonl")
    sources = {
        p["source"].split("-")[0] if p["source"].startswith("mmlu") else p["source"] for p in pairs
    }
    assert sources == {"mmlu", "livebench-reasoning", "livebench-math", "livecodebench"}
    assert_position_bias_scored(run, judges=4)


def test_judgebench_job_reads_both_splits_through_the_hf_path(tmp_path: Path) -> None:
    repo = hf.judgebench_repo(
        tmp_path / "JudgeBench",
        {"gpt": hf.judgebench_pairs("gpt-4o", 5), "claude": hf.judgebench_pairs("claude", 4)},
    )
    run_job(
        "jobs/judgebench.yaml",
        tmp_path,
        3,
        f"pairs.0.hf_dataset={repo}",
        f"pairs.1.hf_dataset={repo}",
    )
    run = tmp_path / "judgebench"
    pairs = records(run / "pairs.jsonl")
    assert [p["pair_id"] for p in pairs] == [
        *(p["pair_id"] for p in hf.judgebench_pairs("gpt-4o", 3)),
        *(p["pair_id"] for p in hf.judgebench_pairs("claude", 3)),
    ]
    assert_position_bias_scored(run, judges=2)
