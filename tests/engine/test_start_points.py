"""A job may start from an earlier run's answers (`responses:`): nothing is generated again."""

from __future__ import annotations

from pathlib import Path

import anyio

from engine.exitcodes import ExitCode
from engine.jobload import load_job
from engine.run import run_job
from fakes.server import FakeServer
from tests.engine.helpers import job_yaml, read_jsonl, write_questions
from tests.engine.scripts import answer_or_judge


def test_start_from_responses_skips_generation_and_pairs_the_same(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, 12)

    async def main() -> list[dict]:
        async with FakeServer(answer_or_judge) as srv:
            url = srv.base_url_openai
            first = tmp_path / "first.yaml"
            first.write_text(job_yaml("first", tmp_path / "runs", questions, url, samples=3))
            assert (await run_job(load_job(first, env={}), quiet=True, report=False)).exit_code == 0
            srv.requests.clear()
            again = tmp_path / "again.yaml"
            text = job_yaml("again", tmp_path / "runs", questions, url)
            text = text.replace(
                "response_model: {provider: fake, model: answerer, samples: 2, temperature: 0.7}",
                f"responses: {tmp_path / 'runs' / 'first' / 'responses.jsonl'}",
            )
            again.write_text(text)
            result = await run_job(load_job(again, env={}), quiet=True, report=False)
            assert result.exit_code == ExitCode.OK
            return list(srv.requests)

    sent = anyio.run(main)
    assert sent and all(e["model"] == "judge" for e in sent)  # no answer was asked for
    first, again = tmp_path / "runs" / "first", tmp_path / "runs" / "again"

    def by_key(rows: list[dict], key: str) -> list[dict]:
        return sorted(rows, key=lambda r: r[key])

    assert by_key(read_jsonl(again / "responses.jsonl"), "request_key") == by_key(
        read_jsonl(first / "responses.jsonl"), "request_key"
    )
    assert by_key(read_jsonl(again / "pairs.jsonl"), "pair_id") == by_key(
        read_jsonl(first / "pairs.jsonl"), "pair_id"
    )
    assert {p["response_model"] for p in read_jsonl(again / "pairs.jsonl")} == {"answerer"}
    assert len(read_jsonl(again / "scores.jsonl")) == len(read_jsonl(again / "pairs.jsonl")) > 0
