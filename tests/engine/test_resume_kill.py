"""Resume after `kill -9` at a random moment: nothing paid for twice, nothing lost or doubled.

A real `python -m engine run` process works against a real fake-server process and is
SIGKILLed at a random moment mid-run; the same command then resumes it. Just before the
kill the server is frozen (SIGSTOP) for a moment so that every answer it has finished can
reach the client. Requests still in flight at the kill are answered by the server only
after the client is gone; no client can receive those, so they are the only ones a resume
may (and must) send again.
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

N_QUESTIONS = 60


def _body(entry: dict) -> bytes:
    return orjson.dumps(entry["body"], option=orjson.OPT_SORT_KEYS)


def _completed(log: Path, done_before: float = float("inf")) -> Counter[bytes]:
    return Counter(
        _body(e) for e in read_jsonl(log) if e.get("complete") and e["t_done"] < done_before
    )


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
    with fake_server(tmp_path / "ref.log", "--latency", "0.05") as (_, url):
        ref_job = tmp_path / "ref.yaml"
        ref_job.write_text(job_yaml("ref", tmp_path / "runs", questions, url))
        assert _run(ref_job).wait(timeout=120) == 0
    # Interrupted run on a fresh server, killed at a random moment mid-run, then resumed.
    with fake_server(tmp_path / "cut.log", "--latency", "0.05") as (server, url):
        job = tmp_path / "cut.yaml"
        job.write_text(job_yaml("cut", tmp_path / "runs", questions, url))
        run_dir = tmp_path / "runs" / "cut"
        proc = _run(job)
        deadline = time.monotonic() + 60
        while len(read_jsonl(run_dir / "responses.jsonl")) < 4:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(random.Random(seed).uniform(0.0, 0.8))
        assert proc.poll() is None, "run finished before the kill; make the workload larger"
        os.kill(server.pid, signal.SIGSTOP)
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        t_kill = time.time()
        os.kill(server.pid, signal.SIGCONT)
        partial = len(read_jsonl(run_dir / "responses.jsonl"))
        assert 0 < partial < 2 * N_QUESTIONS
        assert _run(job).wait(timeout=120) == 0

    log = read_jsonl(tmp_path / "cut.log")
    # The server is frozen from t_stop until after t_kill: an answer finished before t_kill
    # reached the live client; one finished after it went to a dead one.
    delivered_first = {_body(e) for e in log if e.get("complete") and e["t_done"] < t_kill}
    sent_on_resume = [_body(e) for e in log if e["t"] > t_kill]
    assert delivered_first and sent_on_resume
    # No answer the first run received was asked for again.
    assert not delivered_first.intersection(sent_on_resume)
    # Answers delivered to a live client, over both runs, are exactly the unbroken run's.
    lost_in_flight = Counter(
        _body(e) for e in log if e.get("complete") and e["t_done"] > t_kill and e["t"] < t_kill
    )
    assert _completed(tmp_path / "cut.log") - lost_in_flight == _completed(tmp_path / "ref.log")
    # Every record file equals the unbroken run's, line for line (as multisets).
    for name in (
        "responses.jsonl",
        "verdicts.jsonl",
        "pairs.jsonl",
        "judgments.jsonl",
        "scores.jsonl",
    ):
        ref, cut = _records(tmp_path / "runs" / "ref", name), _records(run_dir, name)
        assert ref, name
        assert cut == ref, name
