"""Ctrl-C: the first stops intake and lets calls land, the second quits at once; both resume."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson

from tests.engine.helpers import REPO, fake_server, job_yaml, read_jsonl, write_questions


def _start(job: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "engine", "run", str(job), "--no-report"],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_responses(run_dir: Path, n: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while len(read_jsonl(run_dir / "responses.jsonl")) < n:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)


def _lines_whole(run_dir: Path) -> None:
    for path in run_dir.glob("*.jsonl"):
        data = path.read_bytes()
        assert not data or data.endswith(b"\n"), path
        for line in data.splitlines():
            orjson.loads(line)


def test_first_ctrl_c_drains_and_says_how_to_resume(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, 200)
    with fake_server(tmp_path / "log", "--latency", "0.05") as (_, url):
        job = tmp_path / "job.yaml"
        job.write_text(job_yaml("int", tmp_path / "runs", questions, url, concurrency=4))
        run_dir = tmp_path / "runs" / "int"
        proc = _start(job)
        _wait_for_responses(run_dir, 10, proc)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130
        assert f"Resume with: python -m engine run {job}" in err
        _lines_whole(run_dir)
        done = len(read_jsonl(run_dir / "responses.jsonl"))
        assert done < 400  # intake really stopped
        # Resuming finishes the job and sends only what was missing.
        proc = _start(job)
        proc.communicate(timeout=120)
        assert proc.returncode == 0
        responses = read_jsonl(run_dir / "responses.jsonl")
        assert len(responses) == 400
        assert len({r["request_key"] for r in responses}) == 400


def test_second_ctrl_c_quits_at_once_without_corrupting(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, 200)
    with fake_server(tmp_path / "log", "--latency", "0.5") as (_, url):
        job = tmp_path / "job.yaml"
        job.write_text(
            job_yaml("int2", tmp_path / "runs", questions, url, concurrency=4)
            + "shutdown_grace: 60\n"
        )
        run_dir = tmp_path / "runs" / "int2"
        proc = _start(job)
        _wait_for_responses(run_dir, 4, proc)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
        assert proc.returncode == 130
        assert time.monotonic() - t0 < 5  # did not wait out the 60 s grace
        _lines_whole(run_dir)


def test_batched_records_reach_disk_within_a_second(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, 40)
    with fake_server(tmp_path / "log", "--latency", "0.2") as (_, url):
        job = tmp_path / "job.yaml"
        job.write_text(job_yaml("flush", tmp_path / "runs", questions, url, concurrency=2))
        run_dir = tmp_path / "runs" / "flush"
        proc = _start(job)
        try:
            _wait_for_responses(run_dir, 4, proc)
            time.sleep(1.5)
            assert proc.poll() is None  # still running: nothing was flushed by closing
            assert read_jsonl(run_dir / "verdicts.jsonl")
        finally:
            proc.kill()
            proc.communicate()
