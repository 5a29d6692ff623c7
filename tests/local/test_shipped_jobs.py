"""jobs/full.yaml and jobs/judgebench.yaml validate and run end to end against the loopback
fake API servers, reached through the usual base-URL environment variables."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest

from fakes.process import fake_server_process

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "jobs" / "demo_data"
KEY = "sk-shipped-jobs-SECRET-42"
DEMO_SOURCES = (
    "sources=["
    f"{{format: mmlu_pro, path: {DEMO}/mmlu_pro.jsonl}},"
    f"{{format: livebench, path: {DEMO}/livebench/reasoning/web_of_lies_v2/question.jsonl}},"
    f"{{format: livebench, path: {DEMO}/livebench/math/AMPS_Hard/question.jsonl}},"
    f"{{format: livecodebench, path: {DEMO}/livecodebench.jsonl,"
    " options: {private_tests: false}}]"
)


@contextmanager
def fake_api(log: Path) -> Iterator[str]:
    """The fake OpenAI/Anthropic/Gemini server as a process; yields its URL."""
    script = "tests.local.fake_answers:answer_or_judge"
    with fake_server_process("--script", script, "--log", str(log)) as (_proc, url):
        yield url


def engine(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(
        OPENAI_API_KEY=KEY,
        ANTHROPIC_API_KEY=KEY,
        GEMINI_API_KEY=KEY,
        OPENAI_BASE_URL=f"{url}/v1",
        ANTHROPIC_BASE_URL=url,
        GEMINI_BASE_URL=f"{url}/v1beta",
    )
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=REPO,
        env=env,
        text=True,
        capture_output=True,
        timeout=240,
    )


def records(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def assert_position_bias_scored(run: Path, judges: int) -> None:
    """The fake judge always picks the first answer: every pair gets opposite decisions in the
    two orders, so JudgeBench's rule never counts it correct."""
    pairs = records(run / "pairs.jsonl")
    scores = records(run / "scores.jsonl")
    assert len(records(run / "judgments.jsonl")) == len(pairs) * judges * 2
    assert len(scores) == len(pairs) * judges
    for s in scores:
        assert {s["decision_AB"], s["decision_BA"]} == {"A>B", "B>A"}
        assert s["outcome"] != "correct"
    assert (run / "report.md").is_file()
    for path in run.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), f"key written into {path}"


def overrides(*assignments: str) -> list[str]:
    """`--set A --set B ...` for the command line."""
    return [arg for a in assignments for arg in ("--set", a)]


def validate_and_run(job: str, sets: list[str], *, limit: int, url: str) -> None:
    """`validate`, then `run --limit`: both must succeed."""
    checked = engine("validate", job, *sets, url=url)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    done = engine("run", job, *sets, "--limit", str(limit), "--quiet", url=url)
    assert done.returncode == 0, done.stdout + done.stderr


def test_full_job_runs_end_to_end_on_fake_apis(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    with fake_api(log) as url:
        sets = overrides(
            f"output_dir={tmp_path}", DEMO_SOURCES, f"providers.vllm.base_url={url}/v1"
        )
        validate_and_run("jobs/full.yaml", sets, limit=2, url=url)
    run = tmp_path / "full"
    responses = records(run / "responses.jsonl")
    assert len(responses) == 4 * 2 * 4  # sources x --limit x samples
    assert {r["model"] for r in responses} == {"gpt-4o-2024-05-13"}
    verdicts = records(run / "verdicts.jsonl")
    assert {v["correct"] for v in verdicts} == {True, False}
    pairs = records(run / "pairs.jsonl")
    sources = {
        p["source"].split("-")[0] if p["source"].startswith("mmlu") else p["source"] for p in pairs
    }
    assert sources == {"mmlu", "livebench-reasoning", "livebench-math", "livecodebench"}
    assert_position_bias_scored(run, judges=4)
    apis = Counter(r["api"] for r in records(log))
    assert set(apis) == {"openai", "anthropic", "gemini"}  # vLLM speaks OpenAI's format
    judged_models = {r["model"] for r in records(log)}
    assert "meta-llama/Llama-3.1-8B-Instruct" in judged_models


def test_judgebench_job_runs_end_to_end_on_fake_apis(tmp_path: Path, shared_data: Path) -> None:
    published = shared_data / "judgebench"
    gpt = published / "dataset=judgebench,response_model=gpt-4o-2024-05-13.jsonl"
    claude = published / "dataset=judgebench,response_model=claude-3-5-sonnet-20240620.jsonl"
    log = tmp_path / "requests.jsonl"
    with fake_api(log) as url:
        sets = overrides(f"output_dir={tmp_path}", f"pairs.0.path={gpt}", f"pairs.1.path={claude}")
        validate_and_run("jobs/judgebench.yaml", sets, limit=3, url=url)
    run = tmp_path / "judgebench"
    assert len(records(run / "pairs.jsonl")) == 6
    assert_position_bias_scored(run, judges=2)
    assert set(Counter(r["api"] for r in records(log))) == {"openai", "anthropic"}


@pytest.mark.parametrize("job", ["full.yaml", "judgebench.yaml", "demo.yaml"])
def test_shipped_jobs_parse_against_the_schema(job: str) -> None:
    """The schema accepts every shipped job (file checks aside: the data is downloaded)."""
    import yaml

    from engine.jobspec import Job

    parsed = Job.model_validate(yaml.safe_load((REPO / "jobs" / job).read_text()))
    assert parsed.judges
