"""A verdict whose check timed out (or failed) is not final: a resumed run verifies that
answer again instead of reusing it, and the later verdict is the one that counts."""

from __future__ import annotations

from pathlib import Path

import anyio
import orjson

from engine.jobload import load_job
from engine.run import run_job
from fakes.server import FakeServer
from tests.engine.helpers import job_yaml, read_jsonl, write_questions
from tests.engine.scripts import answer_or_judge

N, SAMPLES = 6, 2


def _stats(run_dir: Path) -> dict:
    return orjson.loads((run_dir / "stats.json").read_bytes())["stages"]


def test_timed_out_verdicts_are_verified_again_on_resume(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, N)
    job = tmp_path / "job.yaml"
    run_dir = tmp_path / "runs" / "retry"

    async def run(url: str) -> None:
        result = await run_job(load_job(job, env={}), quiet=True, report=False)
        assert result.exit_code == 0

    async def main() -> None:
        async with FakeServer(answer_or_judge) as srv:
            job.write_text(
                job_yaml(
                    "retry",
                    tmp_path / "runs",
                    questions,
                    srv.base_url_openai,
                    samples=SAMPLES,
                    judges=False,
                )
            )
            await run(srv.base_url_openai)
            first = read_jsonl(run_dir / "verdicts.jsonl")
            assert len(first) == N * SAMPLES
            # As if every check had run out of time under load: no verdict, kind timeout.
            timed_out = [
                {**v, "correct": None, "score": 0.0, "kind": "timeout", "reason": "slow"}
                for v in first
            ]
            (run_dir / "verdicts.jsonl").write_bytes(
                b"".join(orjson.dumps(v) + b"\n" for v in timed_out)
            )
            await run(srv.base_url_openai)
            lines = read_jsonl(run_dir / "verdicts.jsonl")
            # Every answer was checked again (none reused), and the new verdicts are the
            # first run's: the later line of a key is the one a further resume reuses.
            assert _stats(run_dir)["verify"]["reused"] == 0
            again = lines[len(timed_out) :]
            assert len(again) == N * SAMPLES
            key = lambda v: v["response_key"]  # noqa: E731
            assert sorted(again, key=key) == sorted(first, key=key)
            assert {v["kind"] for v in again} <= {"checked", "no_answer"}
            # A third run finds final verdicts and reuses them all.
            await run(srv.base_url_openai)
            assert _stats(run_dir)["verify"]["reused"] == N * SAMPLES
            assert len(read_jsonl(run_dir / "verdicts.jsonl")) == len(lines)

    anyio.run(main)
