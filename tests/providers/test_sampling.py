"""k samples of a question in one call (OpenAI/vLLM `n`, Gemini `candidateCount`): the input is
paid once, each sample keeps its own request key, a resume asks for only the missing ones."""

from __future__ import annotations

from pathlib import Path

import anyio
import orjson
import pytest

from engine.exitcodes import ExitCode
from engine.jobload import load_job
from engine.run import run_job
from fakes.server import FakeServer
from fakes.wire import FakeRequest
from providers.base import ChatResponse, Usage
from providers.sampling import split_usage
from tests.engine.helpers import read_jsonl, write_questions
from tests.providers.conftest import ask, make_provider

pytestmark = pytest.mark.anyio
LETTERS = "ABCD"
KEY_ENV = "JUDGEFLOW_TEST_KEY"  # type openai needs a key; the fake takes any


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "k")


def by_choice(req: FakeRequest) -> str:
    if req.model == "judge":
        return "Output (a)"
    letter = LETTERS[(req.choice + len(req.last_user)) % 4]
    return f"Thinking it over.\n\nThe answer is {letter}.\n\n{letter * 5}"


@pytest.mark.parametrize(
    ("api", "model", "field"),
    [("openai", "gpt-4o", "n"), ("gemini", "gemini-2.5-flash-lite", "candidateCount")],
)
async def test_one_call_returns_k_samples_with_usage_shared_out(
    api: str, model: str, field: str
) -> None:
    async with FakeServer(by_choice) as srv:
        async with make_provider(api, srv) as p:
            assert p.choices_per_call(model) > 1
            resps = await p.chat_many(ask(model=model, max_tokens=64), 3)
    (entry,) = srv.requests
    body = entry["body"]
    asked = body["n"] if api == "openai" else body["generationConfig"]["candidateCount"]
    assert asked == 3 and len({r.text for r in resps}) == 3
    total = sum((r.usage for r in resps), Usage())
    assert total == p.stats.usage  # the records add up to what the call reported
    # The input is paid once: the three samples' input tokens add up to one prompt.
    one_prompt = (await _single(api, model)).usage.input_tokens
    assert total.input_tokens == one_prompt
    assert all(r.sent["n"] == 3 for r in resps)


async def _single(api: str, model: str) -> ChatResponse:
    async with FakeServer(by_choice) as srv:
        async with make_provider(api, srv) as p:
            return await p.chat(ask(model=model, max_tokens=64))


def test_usage_split_adds_up_exactly() -> None:
    usage = Usage(101, 50, 7, 10)
    parts = split_usage(usage, ["a" * 10, "b" * 30, ""])
    assert sum(parts, Usage()) == usage
    # Output by answer length (the remainder to the first), input evenly.
    assert [p.output_tokens for p in parts] == [13, 37, 0]
    assert [p.input_tokens for p in parts] == [34, 34, 33]


def _job(tmp: Path, url: str, provider_type: str, sampling: str = "auto") -> Path:
    questions = tmp / "q.jsonl"
    write_questions(questions, 3)
    job = tmp / "job.yaml"
    job.write_text(
        f"""
name: k
output_dir: {tmp / "runs"}
providers:
  p:
    type: {provider_type}
    base_url: {url}
    api_key_env: {KEY_ENV}
    sampling: {sampling}
    retry: {{max_attempts: 2, initial_backoff: 0.01}}
sources:
  - {{format: mmlu_pro, path: {questions}}}
response_model: {{provider: p, model: gpt-4o, samples: 4, temperature: 0.7, max_tokens: 64}}
judges:
  - {{name: j, type: vanilla, provider: p, model: judge}}
"""
    )
    return job


async def _serve(tmp: Path, provider_type: str, sampling: str = "auto") -> list[dict]:
    """Run the job against a fresh fake; the answer requests it received."""
    async with FakeServer(by_choice, compatible=provider_type != "openai") as srv:
        job = _job(tmp, srv.base_url_openai, provider_type, sampling)
        result = await run_job(load_job(job, env={KEY_ENV: "k"}), quiet=True, report=False)
        assert result.exit_code == ExitCode.OK
        return [e for e in srv.requests if e["model"] == "gpt-4o"]


def test_a_run_asks_once_per_question_and_a_resume_only_for_the_missing(tmp_path: Path) -> None:
    async def serve(job_dir: Path, drop: int = 0) -> list[dict]:
        async with FakeServer(by_choice) as srv:
            job = _job(job_dir, srv.base_url_openai, "openai")
            assert (
                await run_job(load_job(job, env={KEY_ENV: "k"}), quiet=True, report=False)
            ).exit_code == ExitCode.OK
            return list(srv.requests)

    first = anyio.run(serve, tmp_path)
    answers = [e for e in first if e["model"] == "gpt-4o"]
    assert len(answers) == 3 and all(e["body"]["n"] == 4 for e in answers)  # not 12 calls
    assert all("seed" not in e["body"] for e in answers)  # one request for all four samples
    run_dir = tmp_path / "runs" / "k"
    records = read_jsonl(run_dir / "responses.jsonl")
    assert len(records) == 12 and len({r["request_key"] for r in records}) == 12
    assert all(r["sent"]["n"] == 4 for r in records)

    # Lose two samples of one question (as a run killed between two writes would).
    lost = [r for r in records if r["question_id"] == "mmlu-pro:1" and r["sample_index"] in (1, 3)]
    keep = [r for r in records if r not in lost]
    (run_dir / "responses.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in keep))
    for name in ("verdicts.jsonl", "pairs.jsonl", "judgments.jsonl", "scores.jsonl"):
        (run_dir / name).unlink(missing_ok=True)
    resent = anyio.run(_serve, tmp_path, "openai")
    assert len(resent) == 1 and resent[0]["body"]["n"] == 2  # only the two missing, in one call
    assert "question 1:" in str(resent[0]["body"]["messages"])
    again = {r["request_key"] for r in read_jsonl(run_dir / "responses.jsonl")}
    assert {r["request_key"] for r in lost} <= again  # each sample kept its own key


def test_separate_sampling_is_one_seeded_call_per_sample(tmp_path: Path) -> None:
    async def serve() -> list[dict]:
        async with FakeServer(by_choice) as srv:
            job = _job(tmp_path, srv.base_url_openai, "openai", sampling="separate")
            assert (
                await run_job(load_job(job, env={KEY_ENV: "k"}), quiet=True, report=False)
            ).exit_code == ExitCode.OK
            return [e for e in srv.requests if e["model"] == "gpt-4o"]

    answers = anyio.run(serve)
    assert len(answers) == 12 and all("n" not in e["body"] for e in answers)
    assert len({e["body"]["seed"] for e in answers}) == 4


def test_compatible_servers_sample_separately_by_default(tmp_path: Path) -> None:
    """vLLM reproduces a seed, so one seeded call per sample stays exact on resume."""

    async def serve() -> list[dict]:
        async with FakeServer(by_choice, compatible=True) as srv:
            job = _job(tmp_path, srv.base_url_openai, "openai_compatible")
            assert (
                await run_job(load_job(job, env={KEY_ENV: "k"}), quiet=True, report=False)
            ).exit_code == ExitCode.OK
            return [e for e in srv.requests if e["model"] == "gpt-4o"]

    assert len(anyio.run(serve)) == 12
