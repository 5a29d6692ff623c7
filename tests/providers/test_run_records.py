"""What a run keeps of the provider's work: the settings sent, empty replies as failures that
a resume repairs (issue 11 item 2), a server's hour-long Retry-After that does not stall the
run (issue 11 item 7), judges out of tokens in the summary, keys that move only when the
body does."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

from engine.exitcodes import ExitCode
from engine.jobload import load_job
from engine.report.summary import build_summary
from engine.run import run_job
from fakes.server import FakeServer
from fakes.wire import FakeReply, FakeRequest
from tests.engine.helpers import read_jsonl, write_questions
from tests.engine.scripts import answer_or_judge

KEY_ENV = "JUDGEFLOW_TEST_KEY"


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "k")


def _job(tmp: Path, url: str, *, judge_model: str = "judge", retry: str = "", n: int = 8) -> Path:
    questions = tmp / "q.jsonl"
    write_questions(questions, n)
    policy = f"{{max_attempts: 2, initial_backoff: 0.01{retry}}}"
    job = tmp / "job.yaml"
    job.write_text(
        f"""
name: r
output_dir: {tmp / "runs"}
providers:
  fake: {{type: openai_compatible, base_url: {url}, retry: {policy}}}
  official: {{type: openai, base_url: {url}, api_key_env: {KEY_ENV}, retry: {policy}}}
sources:
  - {{format: mmlu_pro, path: {questions}}}
response_model: {{provider: fake, model: answerer, samples: 4, temperature: 0.7}}
judges:
  - {{name: small, type: judgelm, provider: official, model: {judge_model}}}
"""
    )
    return job


def _serve(
    tmp: Path,
    script: Callable[[FakeRequest], str | FakeReply] = answer_or_judge,
    faults: Callable[[FakeRequest], str | None] | None = None,
    **job: object,
) -> tuple[int, list[dict], float]:
    async def main() -> tuple[int, list[dict], float]:
        async with FakeServer(script, faults=faults, fault_retry_after=3600) as srv:
            loaded = load_job(_job(tmp, srv.base_url_openai, **job), env={KEY_ENV: "k"})  # type: ignore[arg-type]
            t0 = time.monotonic()
            result = await run_job(loaded, quiet=True, report=False)
            return result.exit_code, list(srv.requests), time.monotonic() - t0

    return anyio.run(main)


def judge_replies(req: FakeRequest) -> str | FakeReply:
    if req.model == "answerer":
        return answer_or_judge(req)
    return "9 3\nThe first one is right."


def test_judgments_record_what_was_sent(tmp_path: Path) -> None:
    code, requests, _ = _serve(tmp_path, judge_replies, judge_model="gpt-5-mini")
    assert code == ExitCode.OK
    judged = [e for e in requests if e["model"] == "gpt-5-mini"]
    assert judged and all("temperature" not in e["body"] for e in judged)
    assert all(e["body"]["max_completion_tokens"] == 16 + 25000 for e in judged)
    rec = read_jsonl(tmp_path / "runs" / "r" / "judgments.jsonl")[0]
    assert rec["sent"]["temperature"] is None and rec["sent"]["max_tokens"] == 25016
    assert any("not sent" in n for n in rec["sent"]["notes"]) and rec["finish_reason"] == "stop"
    assert rec["service_tier"] == "default"
    answers = read_jsonl(tmp_path / "runs" / "r" / "responses.jsonl")
    assert all(a["sent"]["temperature"] == 0.7 and a["sent"]["family"] for a in answers)


def test_a_judge_out_of_tokens_is_reported_per_judge(tmp_path: Path) -> None:
    def script(req: FakeRequest) -> str | FakeReply:
        if req.model == "answerer":
            return answer_or_judge(req)
        return FakeReply(
            text="", finish="length", usage={"input": 50, "output": 16, "reasoning": 16}
        )

    code, _, _ = _serve(tmp_path, script, judge_model="gpt-4o")
    assert code == ExitCode.OK  # an outcome, not a failure
    summary = build_summary(tmp_path / "runs" / "r")
    judged = len(read_jsonl(tmp_path / "runs" / "r" / "judgments.jsonl"))
    assert judged and summary.judges["small"].out_of_tokens == judged
    assert summary.judges["small"].as_dict()["out_of_tokens"] == judged  # summary.json
    import engine.report.markdown as markdown
    from engine.report.build import report_of

    md = markdown.render(report_of([summary]), [])
    assert f"Out of tokens: {judged} replies were empty" in md


def test_empty_replies_are_failures_that_a_resume_repairs(tmp_path: Path) -> None:
    broken = {"on": True}

    def faults(req: FakeRequest) -> str | None:
        return "empty" if broken["on"] and "question 1:" in req.last_user else None

    code, _, _ = _serve(tmp_path, faults=faults)
    assert code == ExitCode.FAILED_CALLS
    run = tmp_path / "runs" / "r"
    failed = [r for r in read_jsonl(run / "responses.jsonl") if r["error"]]
    assert failed and {r["error"] for r in failed} == {"empty"}
    assert all(r["question_id"] == "mmlu-pro:1" and r["text"] is None for r in failed)
    assert not any(p["question_id"] == "mmlu-pro:1" for p in read_jsonl(run / "pairs.jsonl"))
    broken["on"] = False
    code, second, _ = _serve(tmp_path, faults=faults)
    assert code == ExitCode.OK
    resent = [e for e in second if e["model"] == "answerer"]
    assert len(resent) == 4 and all("question 1:" in str(e["body"]) for e in resent)
    good = [r for r in read_jsonl(run / "responses.jsonl") if r["question_id"] == "mmlu-pro:1"]
    assert sum(1 for r in good if r["text"]) == 4


def test_an_hour_long_retry_after_does_not_stall_the_run(tmp_path: Path) -> None:
    def faults(req: FakeRequest) -> str | None:
        return "429" if req.model == "judge" else None

    code, requests, took = _serve(
        tmp_path, faults=faults, retry=", total_deadline: 30, retry_after_cap: 1"
    )
    assert code == ExitCode.FAILED_CALLS and took < 20  # not an hour, not 30 s per call
    run = tmp_path / "runs" / "r"
    judgments = read_jsonl(run / "judgments.jsonl")
    assert judgments and all(j["error"] == "rate_limit" for j in judgments)
    # One call heard "wait an hour"; the rest were held back, not sent to hear it again.
    assert sum(e["model"] == "judge" for e in requests) <= 2


def test_the_live_view_names_judges_out_of_tokens_and_unknown_models() -> None:
    from engine.context import RunCounters
    from engine.progress import ProgressView
    from providers.base import ChatRequest, ChatResponse, Provider

    class Idle(Provider):
        async def chat(self, request: ChatRequest) -> ChatResponse:
            raise NotImplementedError

    counters = RunCounters()
    counters.out_of_tokens["judgelm-o3"] += 3
    p = Idle("p")
    p.stats.note("p: mystery-1 is not in the model table: options sent as given")
    view = ProgressView(counters, {"p": p}, title="t")
    lines = view.status_lines()
    assert "out of tokens (empty reply cut at max_tokens): judgelm-o3 3" in lines
    assert "note: p: mystery-1 is not in the model table: options sent as given" in lines
    assert "judgelm-o3 3" in view.plain_line()
