"""The resume hint is the exact command that resumes the run: the job, every `--set`
override and the other flags the user gave (never `--fresh`). Run as printed, it finishes
the run; without the overrides it would be refused (they change the run's results)."""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.engine.helpers import REPO, cli, fake_server, job_yaml, read_jsonl, write_questions


def test_resume_hint_repeats_overrides_and_flags(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, 200)
    with fake_server(tmp_path / "log", "--latency", "0.05") as (_, url):
        job = tmp_path / "my job.yaml"  # a space: the hint must quote it
        job.write_text(job_yaml("hint", tmp_path / "runs", questions, url, concurrency=4))
        given = [
            "--set",
            "seed=5",  # decides pairing: resuming without it is refused
            "--set",
            "judges.j.temperature=0.25",
            "--limit",
            "60",
            "--no-report",
        ]
        proc = subprocess.Popen(
            [sys.executable, "-m", "engine", "run", str(job), *given],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        run_dir = tmp_path / "runs" / "hint"
        deadline = time.monotonic() + 60
        while len(read_jsonl(run_dir / "responses.jsonl")) < 10:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        [hint] = [line for line in err.splitlines() if "Resume with: " in line]
        command = hint.split("Resume with: ", 1)[1]
        argv = shlex.split(command)
        assert argv == ["python", "-m", "engine", "run", str(job), *given]

        # The command as printed (with this interpreter for `python`) finishes the run.
        done = subprocess.run(
            [sys.executable, *argv[1:]], cwd=REPO, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert len(read_jsonl(run_dir / "responses.jsonl")) == 2 * 60
        # The old hint, without the overrides, would not have resumed it.
        bare = cli("run", str(job), "--no-report")
        assert bare.returncode == 2 and "changed settings" in bare.stderr
