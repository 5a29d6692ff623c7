"""Failed calls are recorded with their error class, never as results, and retried on resume;
an auth failure stops the provider with one clear message and leaves the run resumable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from rich.console import Console

from engine.exitcodes import ExitCode
from engine.jobload import load_job
from engine.run import run_job
from fakes.server import FakeServer
from fakes.wire import FakeRequest
from tests.engine.helpers import REPO, job_yaml, read_jsonl, write_questions
from tests.engine.scripts import answer_or_judge


def _run(job: Path, env: dict[str, str], console: Console | None = None) -> int:
    async def main() -> int:
        result = await run_job(load_job(job, env=env), quiet=True, report=False, console=console)
        return result.exit_code

    return anyio.run(main)


def test_failed_calls_are_recorded_then_retried_on_resume(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, 6)
    broken = {"on": True}

    def faults(req: FakeRequest) -> str | None:
        return "500" if broken["on"] and "question 3:" in req.last_user else None

    async def serve_and_run(expect: int) -> list[dict]:
        async with FakeServer(answer_or_judge, faults=faults) as srv:
            job = tmp_path / "job.yaml"
            job.write_text(job_yaml("fail", tmp_path / "runs", questions, srv.base_url_openai))
            result = await run_job(load_job(job, env={}), quiet=True, report=False)
            assert result.exit_code == expect
            return list(srv.requests)

    first = anyio.run(serve_and_run, ExitCode.FAILED_CALLS)
    run_dir = tmp_path / "runs" / "fail"
    errors = [r for r in read_jsonl(run_dir / "responses.jsonl") if r["error"]]
    assert len(errors) == 2 and {r["error"] for r in errors} == {"server"}
    assert all(r["text"] is None and r["question_id"] == "mmlu-pro:3" for r in errors)
    assert not any(p["question_id"] == "mmlu-pro:3" for p in read_jsonl(run_dir / "pairs.jsonl"))
    assert len(first) > 12

    broken["on"] = False
    second = anyio.run(serve_and_run, ExitCode.OK)
    answers = [e for e in second if e["model"] == "answerer"]
    # Only the two failed samples are sent again; every good answer is reused.
    assert len(answers) == 2 and all("question 3:" in str(e["body"]) for e in answers)
    ok = [r for r in read_jsonl(run_dir / "responses.jsonl") if not r["error"]]
    assert len(ok) == 12 and len({r["request_key"] for r in ok}) == 12


def test_auth_failure_stops_provider_once_and_stays_resumable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, 20)
    secret = "sk-wrong-key-1234567890"

    async def serve_and_run(key: str) -> tuple[int, int, str]:
        monkeypatch.setenv("FAKE_KEY", key)
        async with FakeServer(answer_or_judge, api_key="sk-right") as srv:
            job = tmp_path / "job.yaml"
            text = job_yaml("auth", tmp_path / "runs", questions, srv.base_url_openai)
            job.write_text(
                text.replace(
                    "    type: openai_compatible\n",
                    "    type: openai_compatible\n    api_key_env: FAKE_KEY\n",
                )
            )
            console = Console(record=True, width=200)
            result = await run_job(
                load_job(job, env={"FAKE_KEY": key}), quiet=True, report=False, console=console
            )
            return result.exit_code, len(srv.requests), console.export_text()

    code, sent, output = anyio.run(serve_and_run, secret)
    assert code == ExitCode.PROVIDER_STOPPED
    assert "provider fake stopped" in output and "resume" in output
    # The API's error code is in brackets: printed as text, not swallowed as Rich markup.
    assert "[invalid_api_key]" in output
    assert sent < 20  # stopped after the first refusals, not one failure per question
    run_dir = tmp_path / "runs" / "auth"
    for path in run_dir.iterdir():
        assert secret not in path.read_text(), path
    assert secret not in output

    code, _, _ = anyio.run(serve_and_run, "sk-right")
    assert code == ExitCode.OK
    assert len([r for r in read_jsonl(run_dir / "responses.jsonl") if not r["error"]]) == 40


def test_malformed_line_with_on_error_fail_stops_with_file_and_line(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, 5)
    with open(questions, "a") as fh:
        fh.write('{"question_id": 99, "question": "no options"\n')
    job = tmp_path / "job.yaml"
    job.write_text(job_yaml("bad", tmp_path / "runs", questions, "http://127.0.0.1:9/v1"))
    out = subprocess.run(
        [sys.executable, "-m", "engine", "run", str(job), "--quiet"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert f"error: {questions}:6:" in out.stderr
    assert "Traceback" not in out.stderr
