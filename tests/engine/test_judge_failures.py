"""A failed call of a judge that makes several calls per judgment (a reward model scoring
both answers, a multi_agent panel's votes) is recorded as a failed judgment and retried on
resume, like any other failed call; it never ends the run with an ExceptionGroup."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from engine.exitcodes import ExitCode
from engine.jobload import load_job
from engine.run import run_job
from fakes.server import FakeServer
from fakes.wire import FakeRequest
from tests.engine.helpers import job_yaml, read_jsonl, write_questions
from tests.engine.scripts import answer_or_judge

JUDGES = """judges:
  - {name: rm, type: reward_model, provider: fake, model: rm}
  - {name: panel, type: multi_agent, provider: fake, model: panel, params: {rounds: 1}}
"""


def script(req: FakeRequest) -> str:
    if req.model == "panel":
        return "[[A>B]]" if "cast your vote now" in req.last_user else "I have looked at both."
    return answer_or_judge(req)


@pytest.mark.parametrize("judge", ["rm", "panel"])
def test_a_failed_call_inside_a_judgment_is_recorded_then_retried(
    tmp_path: Path, judge: str
) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, 8)
    broken = {"on": True}

    def faults(req: FakeRequest) -> str | None:
        if not broken["on"] or "question 3:" not in str(req.body):
            return None
        if judge == "rm" and req.api == "pooling":
            return "500"  # every score of question 3's answers fails
        if judge == "panel" and req.model == "panel" and "cast your vote now" in req.last_user:
            return "503"  # the panel's votes on question 3 fail after the discussion
        return None

    job = tmp_path / "job.yaml"

    async def run(expect: ExitCode) -> list[dict]:
        async with FakeServer(script, faults=faults, score=lambda r: len(str(r.body)) % 7) as srv:
            url = srv.base_url_openai
            job.write_text(
                job_yaml("jf", tmp_path / "runs", questions, url, samples=4, judges=False) + JUDGES
            )
            result = await run_job(load_job(job, env={}), quiet=True, report=False)
            assert result.exit_code == expect
            return list(srv.requests)

    anyio.run(run, ExitCode.FAILED_CALLS)
    run_dir = tmp_path / "runs" / "jf"
    pairs = {p["pair_id"]: p for p in read_jsonl(run_dir / "pairs.jsonl")}
    assert any(p["question_id"] == "mmlu-pro:3" for p in pairs.values())
    failed = [j for j in read_jsonl(run_dir / "judgments.jsonl") if j["error"]]
    assert failed and {j["judge"] for j in failed} == {judge}
    assert {pairs[j["pair_id"]]["question_id"] for j in failed} == {"mmlu-pro:3"}
    assert {j["error"] for j in failed} == {"server"}
    scores = read_jsonl(run_dir / "scores.jsonl")
    assert not any(
        s["judge"] == judge and pairs[s["pair_id"]]["question_id"] == "mmlu-pro:3" for s in scores
    )

    broken["on"] = False
    sent = anyio.run(run, ExitCode.OK)
    # Only question 3's judgments of the failed judge are asked for again.
    assert sent and all("question 3:" in str(e["body"]) for e in sent)
    assert {e["model"] for e in sent} == {judge}
    scores = read_jsonl(run_dir / "scores.jsonl")
    assert {(s["pair_id"], s["judge"]) for s in scores} == {
        (p, j) for p in pairs for j in ("rm", "panel")
    }
