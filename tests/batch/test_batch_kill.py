"""Resume after `kill -9` in batch mode: a real `python -m engine run` against a real fake
server process is killed while a batch is being created (the API has it, our ledger does
not have its id yet), right after its submission, while it is polled, and while its
results download; the resume finds the batch and collects it. The fake's log of submitted
requests shows every request key submitted exactly once, and the records equal an unbroken
run's. Also: a switch from batch to online and back between resumes, and Ctrl-C, `status`
and `batches cancel`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from engine.exitcodes import ExitCode
from fakes.process import fake_server_process
from tests.batch.helpers import ALL, KEY_ENV, batch_job, costless, records, submitted
from tests.engine.helpers import REPO, read_jsonl

APIS = ("openai", "anthropic", "gemini")
SCRIPT = "tests.batch.scripts:answer"
ENV = {**os.environ, KEY_ENV: "k"}


def _engine(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "engine", *args],
        cwd=REPO,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(job: Path, *more: str) -> subprocess.Popen[str]:
    return _engine("run", str(job), "--quiet", "--no-report", *more)


def _wait_for(what: Callable[[], bool], proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert proc.poll() is None, f"the run ended first: {proc.communicate()}"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _kill_when_submitted(proc: subprocess.Popen[str], run_dir: Path) -> None:
    _wait_for(lambda: bool(_events(run_dir, "submitted")), proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def _written(path: Path) -> list[dict]:
    """The complete lines of a JSONL file another process may be writing (polled while the
    run or the server writes: a last line without its newline is not there yet)."""
    if not path.exists():
        return []
    data = path.read_bytes()
    return [orjson.loads(line) for line in data[: data.rfind(b"\n") + 1].splitlines() if line]


def _events(run_dir: Path, event: str) -> list[dict]:
    return [e for e in _written(run_dir / "batches.jsonl") if e.get("event") == event]


def _ops(log: Path, op: str) -> list[dict]:
    return [e for e in _written(log) if e.get("op") == op]


def _reference(tmp: Path, api: str) -> Path:
    with fake_server_process(
        "--script", SCRIPT, "--log", str(tmp / "ref.log"), "--batch-delay", "0.1"
    ) as (_, url):
        job = batch_job(tmp, "ref", api, url, n=10)
        proc = _run(job)
        assert proc.wait(timeout=120) == 0, proc.communicate()
    return tmp / "runs" / "ref"


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An unbroken batch run per API, made once for all kill moments."""
    return {api: _reference(tmp_path_factory.mktemp(api), api) for api in APIS}


# (fake server options, when to kill) for each moment.
MOMENTS: dict[str, tuple[tuple[str, ...], Callable[[Path, Path], bool]]] = {
    "while_creating": (
        ("--batch-create-delay", "1", "--batch-delay", "0.2"),
        lambda log, run: bool(_ops(log, "create")),
    ),
    "after_submission": (
        ("--batch-delay", "1"),
        lambda log, run: bool(_events(run, "submitted")),
    ),
    "while_polling": (
        ("--batch-delay", "1.5"),
        lambda log, run: len(_ops(log, "poll")) >= 3,
    ),
    "while_downloading": (
        ("--batch-delay", "0.3", "--batch-download-delay", "1"),
        lambda log, run: bool(_ops(log, "results")),
    ),
}


@pytest.mark.parametrize("moment", list(MOMENTS))
@pytest.mark.parametrize("api", APIS)
def test_kill_9_then_resume_submits_every_key_once(
    tmp_path: Path, api: str, moment: str, references: dict[str, Path]
) -> None:
    ref = references[api]
    options, ready = MOMENTS[moment]
    log = tmp_path / "cut.log"
    with fake_server_process("--script", SCRIPT, "--log", str(log), *options) as (_, url):
        job = batch_job(tmp_path, "cut", api, url, n=10)
        run_dir = tmp_path / "runs" / "cut"
        proc = _run(job)
        _wait_for(lambda: ready(log, run_dir), proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert not _events(run_dir, "ended")  # killed before the first batch was collected
        if moment == "while_creating":
            assert _events(run_dir, "prepared") and not _events(run_dir, "submitted")
        resumed = _run(job)
        assert resumed.wait(timeout=120) == 0, resumed.communicate()
    sent = submitted(read_jsonl(log))
    assert sent and set(sent.values()) == {1}, "a request was submitted twice"
    assert len(_ops(log, "create")) == len(_events(run_dir, "submitted"))
    for name in ALL:
        assert records(run_dir, name) == records(ref, name), name


def test_switch_from_batch_to_online_and_back_pays_once(
    tmp_path: Path, references: dict[str, Path]
) -> None:
    log = tmp_path / "log"
    with fake_server_process("--script", SCRIPT, "--log", str(log), "--batch-delay", "1.5") as (
        _,
        url,
    ):
        job = batch_job(tmp_path, "sw", "openai", url, n=10)
        run_dir = tmp_path / "runs" / "sw"
        # 1: batch mode, killed with its first batch out.
        _kill_when_submitted(_run(job, "--limit", "4"), run_dir)
        first = {c for e in _events(run_dir, "prepared") for c, _, _ in e["requests"]}
        # 2: online, more questions: the batch out is collected, the rest is asked online.
        online = _run(job, "--limit", "7", "--set", "providers.p.mode=online")
        assert online.wait(timeout=120) == 0, online.communicate()
        chats = [e for e in read_jsonl(log) if e.get("op") is None]
        assert chats
        # 3: batch mode again, all questions.
        again = _run(job)
        assert again.wait(timeout=120) == 0, again.communicate()
    entries = read_jsonl(log)
    sent = submitted(entries)
    assert first <= set(sent) and set(sent.values()) == {1}
    chats = [e for e in entries if e.get("op") is None]
    paid = sum(len(read_jsonl(run_dir / n)) for n in ("responses.jsonl", "judgments.jsonl"))
    # Every record was paid for exactly once: by one online call or one batch request.
    assert len(chats) + len(sent) == paid
    assert all(e["status"] == 200 for e in chats)
    for name in ALL:
        assert costless(run_dir, name) == costless(references["openai"], name), name


def test_ctrl_c_leaves_batches_running_and_cancel_stops_them(tmp_path: Path) -> None:
    log = tmp_path / "log"
    with fake_server_process("--script", SCRIPT, "--log", str(log), "--batch-delay", "60") as (
        _,
        url,
    ):
        job = batch_job(tmp_path, "cc", "gemini", url, n=4)
        run_dir = tmp_path / "runs" / "cc"
        proc = _run(job, "--set", "shutdown_grace=0.2")
        _wait_for(lambda: bool(_events(run_dir, "submitted")), proc)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == ExitCode.INTERRUPTED
        assert f"python -m engine batches cancel {run_dir}" in err
        assert "still running at the API" in err
        remote = _events(run_dir, "submitted")[0]["remote_id"]
        status = _engine("status", str(run_dir))
        out, _ = status.communicate(timeout=60)
        assert status.returncode == 0 and remote in out and "BATCH_STATE_" in out
        cancel = _engine("batches", "cancel", str(run_dir))
        out, err = cancel.communicate(timeout=60)
        assert cancel.returncode == 0, err
        assert "BATCH_STATE_CANCELLED" in out
        assert [e["batch"] for e in _ops(log, "cancel")] == [remote.split("/")[-1]]
        assert _events(run_dir, "cancel")
