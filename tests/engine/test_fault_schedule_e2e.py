"""End to end through a fault schedule: 429s, 5xx and (once providers classify them)
empty replies from a real fake-server process, a `kill -9` of the real engine process
mid-run, and resumes. The final records, and the usage and cost that stats.json, `status`
and the report give, equal those of an unbroken run of the same job.

The schedule is by request number at the server, so the faults land on different calls in
the first process and in its resume; the kill is at a random moment (after the server is
frozen for a moment, as in test_resume_kill, so every finished answer reaches the client).
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import orjson
import pytest

from fakes.server import FakeServer
from providers.base import ChatRequest, Message, ProviderError
from providers.config import ProviderConfig, RetryPolicy
from providers.openai import OpenAIProvider
from tests.engine.helpers import REPO, cli, fake_server, job_yaml, read_jsonl, write_questions

N_QUESTIONS = 40
PAID = ("responses.jsonl", "judgments.jsonl", "answer_scores.jsonl")
DERIVED = {"verdicts.jsonl": ("response_key",), "pairs.jsonl": ("pair_id",)}
DERIVED["scores.jsonl"] = ("pair_id", "judge")
EXTRA = """    prices:
      answerer: {input: 3.0, output: 15.0}
      judge: {input: 1.0, output: 2.0}
      rm: {input: 0.5, output: 0.0}
"""
JUDGES = """judges:
  - {name: j, type: vanilla, provider: fake, model: judge}
  - {name: rm, type: reward_model, provider: fake, model: rm}
"""


def schedule(empty: bool, n: int = 4000) -> str:
    """A fault for about one request in five: 429s, 500s, 503s (and empty replies)."""
    faults = []
    for i in range(n):
        if i % 11 == 4:
            faults.append("429")
        elif i % 13 == 7:
            faults.append("503")
        elif i % 17 == 9:
            faults.append("500")
        elif empty and i % 19 == 2:
            faults.append("empty")
        else:
            faults.append("")
    return ",".join(faults)


def empty_replies_are_errors() -> bool:
    """Whether the provider takes a 200 without choices as a failed attempt (issue 11,
    item 2, on the providers side) rather than as a real, empty answer."""

    async def probe() -> bool:
        config = ProviderConfig(
            type="openai_compatible", retry=RetryPolicy(max_attempts=2, initial_backoff=0.01)
        )
        async with FakeServer(faults=["empty"]) as srv:
            async with OpenAIProvider("p", config, api_key=None, base_url=srv.base_url_openai) as p:
                try:
                    reply = await p.chat(ChatRequest("m", (Message("user", "hi"),)))
                except ProviderError:
                    return True
                return reply.text != ""

    return anyio.run(probe)


def _job(tmp_path: Path, name: str, questions: Path, url: str) -> Path:
    text = job_yaml(name, tmp_path / "runs", questions, url, samples=2, judges=False)
    text = text.replace(
        "    retry: {max_attempts: 3, initial_backoff: 0.05, max_backoff: 0.2}\n",
        "    retry: {max_attempts: 10, initial_backoff: 0.02, max_backoff: 0.1}\n" + EXTRA,
    )
    path = tmp_path / f"{name}.yaml"
    path.write_text(text + JUDGES)
    return path


def _run(job: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "engine", "run", str(job), "--quiet"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _final(run_dir: Path, name: str, key: tuple[str, ...]) -> dict[tuple, dict]:
    """The records a run ends with: the last successful line per key."""
    out = {}
    for r in read_jsonl(run_dir / name):
        if not r.get("error"):
            out[tuple(r[k] for k in key)] = r
    return out


def _status_total(run_dir: Path) -> str:
    out = cli("status", str(run_dir))
    assert out.returncode == 0, out.stderr
    total = re.search(r"run total: .*", out.stdout)
    assert total is not None, out.stdout
    return total.group(0)


@pytest.mark.slow
@pytest.mark.parametrize("empty", [False, True], ids=["429-5xx", "429-5xx-empty"])
def test_fault_schedule_kill_and_resume_equal_an_unbroken_run(tmp_path: Path, empty: bool) -> None:
    if empty and not empty_replies_are_errors():
        pytest.skip(
            "empty replies are still taken as real answers: enable with issue 11 item 2 "
            "(the providers side, apis branch)"
        )
    questions = tmp_path / "q.jsonl"
    write_questions(questions, N_QUESTIONS)
    with fake_server(tmp_path / "ref.log", "--latency", "0.03") as (_, url):
        ref = _job(tmp_path, "ref", questions, url)
        done = _run(ref)
        assert done.wait(timeout=180) == 0, done.communicate()[1]

    faults = schedule(empty)
    with fake_server(tmp_path / "cut.log", "--latency", "0.03", "--faults", faults) as (
        server,
        url,
    ):
        job = _job(tmp_path, "cut", questions, url)
        run_dir = tmp_path / "runs" / "cut"
        proc = _run(job)
        deadline = time.monotonic() + 60
        while len(read_jsonl(run_dir / "responses.jsonl")) < 10:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.01)
        time.sleep(random.Random(7).uniform(0.0, 0.6))
        assert proc.poll() is None, "the run finished before the kill; make it larger"
        os.kill(server.pid, signal.SIGSTOP)
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        os.kill(server.pid, signal.SIGCONT)
        assert 0 < len(read_jsonl(run_dir / "responses.jsonl")) < 2 * N_QUESTIONS
        for _ in range(3):  # a call that failed for good is sent again by the next resume
            resumed = _run(job)
            _, err = resumed.communicate(timeout=180)
            if resumed.returncode == 0:
                break
            assert resumed.returncode == 1, err
        assert resumed.returncode == 0, err

    log = read_jsonl(tmp_path / "cut.log")
    assert {e["fault"] for e in log} >= {"429", "503", "500"} | ({"empty"} if empty else set())
    ref_dir = tmp_path / "runs" / "ref"
    # The records the run ends with are the unbroken run's, file by file.
    for name in PAID:
        assert _final(run_dir, name, ("request_key",)) == _final(ref_dir, name, ("request_key",))
    for name, key in DERIVED.items():
        assert _final(run_dir, name, key) == _final(ref_dir, name, key), name
    assert _final(ref_dir, "pairs.jsonl", ("pair_id",))
    # So are the usage and cost every report gives.
    stats = {d: orjson.loads((d / "stats.json").read_bytes()) for d in (ref_dir, run_dir)}
    usage = {d: s["usage"] for d, s in stats.items()}
    assert usage[run_dir]["cost"] > 0
    assert {**usage[run_dir], "cost": 0} == {**usage[ref_dir], "cost": 0}
    assert usage[run_dir]["cost"] == pytest.approx(usage[ref_dir]["cost"])
    by_model = {d: s["providers"]["fake"]["by_model"] for d, s in stats.items()}
    assert set(by_model[run_dir]) == set(by_model[ref_dir]) == {"answerer", "judge", "rm"}
    assert stats[run_dir]["providers"]["fake"]["retries"] > 0  # the faults were met
    assert _status_total(run_dir) == _status_total(ref_dir)
    summaries = {
        d: orjson.loads((d / "summary.json").read_bytes())["runs"][0] for d in (ref_dir, run_dir)
    }
    assert summaries[run_dir]["usage"]["calls"] == summaries[ref_dir]["usage"]["calls"]
    assert summaries[run_dir]["usage"]["cost"] == pytest.approx(summaries[ref_dir]["usage"]["cost"])
    line = re.compile(r"Usage over all the run's records.*")
    reports = [line.search((d / "report.md").read_text()) for d in (ref_dir, run_dir)]
    assert reports[0] and reports[1] and reports[0].group(0) == reports[1].group(0)
    # The accuracy every judge gets is the unbroken run's as well.
    assert {n: j["overall"] for n, j in summaries[run_dir]["judges"].items()} == {
        n: j["overall"] for n, j in summaries[ref_dir]["judges"].items()
    }
