"""End to end over HTTP: `python -m engine run` judging the published GPT-4o pairs against a
loopback fake server, then the report.

A scripted judge that always prefers the answer shown first must score 0% (both orders
disagree after flipping: position bias caught); an oracle that always picks the labelled
correct answer must score 100%. Reward-model judges are order-independent by design, so
only the oracle run applies to them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from engine.cli import main as cli_main
from fakes import judge_scripts
from fakes.server import FakeServer

REPO = Path(__file__).resolve().parents[2]
JOB = REPO / "jobs" / "judgebench.yaml"
GPT_PAIRS = "judgebench/dataset=judgebench,response_model=gpt-4o-2024-05-13.jsonl"
KEY_ENV = "JUDGEFLOW_LOOPBACK_KEY"  # a dummy value: the fake server checks no key


@contextmanager
def serve(script: Callable[..., Any], score: Callable[..., float] | None = None) -> Iterator[str]:
    """The fake server on its own event loop in a thread, so the engine can run in-process."""
    ready, box = threading.Event(), {}

    async def main() -> None:
        stop = asyncio.Event()
        async with FakeServer(script, score=score) as srv:
            box.update(url=srv.url, stop=stop, loop=asyncio.get_running_loop())
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10), "fake server did not start"
    try:
        yield box["url"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(10)


def run_job(job: Path, out: Path, url: str, pairs: Path, *extra: str) -> dict[str, Any]:
    """Run `job` with every provider pointed at the fake server and the GPT-4o pairs pinned."""
    data = yaml.safe_load(job.read_text())
    sets = [f"output_dir={out}", "name=e2e", f'pairs=[{{format: judgebench, path: "{pairs}"}}]']
    for name in data.get("providers", {}):
        sets += [f"providers.{name}.base_url={url}", f"providers.{name}.api_key_env={KEY_ENV}"]
        # The job's real-API rate limits would only slow the loopback run down.
        sets += [
            f"providers.{name}.requests_per_minute=null",
            f"providers.{name}.tokens_per_minute=null",
        ]
    argv = ["run", str(job), "--quiet", "--fresh", *extra]
    for s in sets:
        argv += ["--set", s]
    assert cli_main(argv) == 0
    return orjson.loads((out / "e2e" / "summary.json").read_bytes())


def judge_types(job: Path) -> dict[str, str]:
    return {j["name"]: j["type"] for j in yaml.safe_load(job.read_text())["judges"]}


def check_position_bias_and_oracle(
    job: Path,
    tmp_path: Path,
    shared_data: Path,
    monkeypatch: pytest.MonkeyPatch,
    *extra: str,
    n_pairs: int = 350,
) -> None:
    pairs = shared_data / GPT_PAIRS
    monkeypatch.setenv(judge_scripts.PAIRS_ENV, str(pairs))
    monkeypatch.setenv(KEY_ENV, "loopback-dummy")
    types = judge_types(job)

    with serve(judge_scripts.always_first) as url:
        first = run_job(job, tmp_path / "first", url, pairs, *extra)
    (run,) = first["runs"]
    chat_judges = [n for n, t in types.items() if t != "reward_model"]
    assert chat_judges, "the job has no chat judge to test position bias with"
    for name in chat_judges:
        j = run["judges"][name]
        assert j["pairs_scored"] == n_pairs, name
        assert j["overall"]["accuracy"] == 0.0, name
        assert all(c["accuracy"] == 0.0 for c in j["by_category"].values()), name
        assert j["order"]["first_position"] == 1.0 and j["order"]["consistency"] == 0.0

    with serve(judge_scripts.always_correct, score=judge_scripts.correct_score) as url:
        oracle = run_job(job, tmp_path / "oracle", url, pairs, *extra)
    (run,) = oracle["runs"]
    assert set(run["judges"]) == set(types)
    for name, j in run["judges"].items():
        assert j["pairs_scored"] == n_pairs, name
        assert j["overall"]["accuracy"] == 100.0, name
        assert j["order"]["consistency"] == 1.0, name
    out = tmp_path / "oracle" / "e2e"
    assert (out / "report.md").exists() and (out / "accuracy_by_category.png").exists()


@pytest.mark.skipif(not JOB.exists(), reason="jobs/judgebench.yaml is not written yet")
def test_judgebench_job_catches_position_bias_and_scores_an_oracle_perfectly(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_position_bias_and_oracle(JOB, tmp_path, shared_data, monkeypatch)


def test_every_judge_type_end_to_end(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same two checks with one judge of every type, on the first 24 pairs."""
    job = tmp_path / "all_types.yaml"
    types = [
        "vanilla",
        "arena_hard",
        "prometheus2",
        "judgelm",
        "pandalm",
        "autoj",
        "skywork_critic",
        "compass_judger",
        "reward_model",
        "multi_agent",
    ]
    judges = "\n".join(
        f"  - {{name: {t}, type: {t}, provider: fake, model: judge-{t}"
        + (", params: {rounds: 1}}" if t == "multi_agent" else "}")
        for t in types
    )
    job.write_text(
        "name: all-types\n"
        "providers:\n  fake: {type: openai_compatible, base_url: http://127.0.0.1:9}\n"
        f'pairs:\n  - {{format: judgebench, path: "{shared_data / GPT_PAIRS}"}}\n'
        f"judges:\n{judges}\n"
    )
    check_position_bias_and_oracle(
        job, tmp_path, shared_data, monkeypatch, "--limit", "24", n_pairs=24
    )
