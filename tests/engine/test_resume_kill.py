"""Resume after `kill -9` at a random moment: nothing paid for twice, nothing lost or doubled.

A real `python -m engine run` process works against a real fake-server process and is
SIGKILLed at a random moment; the same command then resumes it. Just before the kill the
server is frozen (SIGSTOP) for a moment so that every response it finished has reached
the client: a response still in the socket at the instant of a kill cannot be saved by any
client, and that race is not what this test is about.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest

from tests.engine.helpers import REPO, fake_server, job_yaml, read_jsonl, write_questions

N_QUESTIONS = 40


def _completed_bodies(log: Path) -> Counter[bytes]:
    out: Counter[bytes] = Counter()
    for entry in read_jsonl(log):
        if entry.get("completed"):
            out[orjson.dumps(entry["body"], option=orjson.OPT_SORT_KEYS)] += 1
    return out


def _records(run_dir: Path, name: str) -> Counter[bytes]:
    return Counter(orjson.dumps(r, option=orjson.OPT_SORT_KEYS) for r in read_jsonl(run_dir / name))


def _run(job: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "engine", "run", str(job), "--quiet", "--no-report"], cwd=REPO
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_kill_9_then_resume_equals_unbroken_run(tmp_path: Path, seed: int) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, N_QUESTIONS)
    # Reference: an unbroken run on its own server.
    with fake_server(tmp_path / "ref.log", "--latency", "0.02") as (_, url):
        ref_job = tmp_path / "ref.yaml"
        ref_job.write_text(job_yaml("ref", tmp_path / "runs", questions, url))
        assert _run(ref_job).wait(timeout=120) == 0
    # Interrupted run on a fresh server, killed at a random moment, then resumed.
    with fake_server(tmp_path / "cut.log", "--latency", "0.02") as (server, url):
        job = tmp_path / "cut.yaml"
        job.write_text(job_yaml("cut", tmp_path / "runs", questions, url))
        proc = _run(job)
        time.sleep(random.Random(seed).uniform(0.8, 2.5))
        assert proc.poll() is None, "run finished before the kill; make the workload larger"
        os.kill(server.pid, signal.SIGSTOP)
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        os.kill(server.pid, signal.SIGCONT)
        partial = len(read_jsonl(tmp_path / "runs" / "cut" / "responses.jsonl"))
        assert 0 < partial < 2 * N_QUESTIONS
        assert _run(job).wait(timeout=120) == 0

    # The server never completed the same request more often than the unbroken run needed it.
    assert _completed_bodies(tmp_path / "cut.log") == _completed_bodies(tmp_path / "ref.log")
    # Every record file equals the unbroken run's, line for line (as multisets).
    for name in (
        "responses.jsonl",
        "verdicts.jsonl",
        "pairs.jsonl",
        "judgments.jsonl",
        "scores.jsonl",
    ):
        ref, cut = (
            _records(tmp_path / "runs" / "ref", name),
            _records(tmp_path / "runs" / "cut", name),
        )
        assert ref, name
        assert cut == ref, name
