"""CLI commands other than run: --dry-run sends nothing, status reads a run folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.engine.helpers import REPO, fake_server, job_yaml, read_jsonl, write_questions


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_dry_run_counts_calls_and_cost_without_sending(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, 10)
    with fake_server(tmp_path / "log") as (_, url):
        job = tmp_path / "job.yaml"
        text = job_yaml("dry", tmp_path / "runs", questions, url)
        text = text.replace(
            "    max_concurrency: 8\n",
            "    max_concurrency: 8\n    prices: {answerer: {input: 1000000, output: 0}}\n",
        )
        job.write_text(text)
        out = _cli("run", str(job), "--dry-run", "--limit", "5")
        assert out.returncode == 0, out.stderr
        # 5 questions x 2 samples; at most 5 pairs x 2 orders for the one judge.
        assert "fake/answerer" in out.stdout and " 10 " in out.stdout
        assert "5 questions, at most 5 pairs" in out.stdout
        assert "estimated cost at most $" in out.stdout
        cost = float(out.stdout.split("estimated cost at most $")[1].split()[0])
        assert cost > 0  # 1 $/token input price makes any prompt cost something
    assert read_jsonl(tmp_path / "log") == []
    assert not (tmp_path / "runs").exists()


def test_status_reports_records_and_errors(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, 6)
    with fake_server(tmp_path / "log") as (_, url):
        job = tmp_path / "job.yaml"
        job.write_text(job_yaml("st", tmp_path / "runs", questions, url))
        assert _cli("run", str(job), "--quiet", "--no-report").returncode == 0
    run_dir = tmp_path / "runs" / "st"
    with open(run_dir / "responses.jsonl", "ab") as fh:
        fh.write(b'{"request_key": "x", "error": "server"}\n{"torn')
    out = _cli("status", str(run_dir))
    assert out.returncode == 0, out.stderr
    row = next(line for line in out.stdout.splitlines() if "responses.jsonl" in line)
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    assert cells == ["responses.jsonl", "12", "1", "yes"]
    assert "provider fake: " in out.stdout


def test_status_and_report_refuse_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    assert _cli("status", str(tmp_path)).returncode == 2
    assert _cli("report", str(tmp_path)).returncode == 2
