"""`endpoints:` in a job file: checked like base_url (each one, with its FILE:LINE), shown per
endpoint in stats.json, and never part of a request's key (a resume on other servers pays
nothing twice)."""

from __future__ import annotations

from pathlib import Path

import anyio
import orjson
import pytest

from engine.jobload import JobError, load_job
from engine.run import run_job
from fakes.server import FakeServer
from providers.config import ProviderConfig
from providers.registry import create_provider
from tests.engine.helpers import read_jsonl, write_questions
from tests.engine.scripts import answer_or_judge


def _job(tmp_path: Path, servers: str) -> Path:
    """A job whose answering model is served by provider `vllm` with `servers` (its lines)."""
    write_questions(tmp_path / "q.jsonl", 1)
    job = tmp_path / "job.yaml"
    head = "name: u\nproviders:\n  vllm:\n    type: openai_compatible\n"
    tail = (
        "sources: [{format: mmlu_pro, path: q.jsonl}]\nresponse_model: {provider: vllm, model: m}\n"
    )
    job.write_text(head + servers + tail)
    return job


def test_each_endpoint_url_is_checked_with_its_line(tmp_path: Path) -> None:
    """Every endpoint's base_url is expanded and checked as base_url is, at its own line."""
    servers = (
        "    endpoints:\n"
        "      - {base_url: 'http://$HOST_A:8000/v1'}\n"  # line 6: fine
        "      - {base_url: '$HOST_B/v1', weight: 2}\n"  # line 7: unset
        "      - {base_url: '${HOST_C}/v1'}\n"  # line 8: not http(s)
    )
    job = _job(tmp_path, servers)
    with pytest.raises(JobError) as info:
        load_job(job, env={"HOST_A": "10.0.0.1", "HOST_C": "ftp://x"})
    assert info.value.problems == [
        f"{job}:7: providers.vllm.endpoints.1.base_url: "
        "endpoints[1].base_url names $HOST_B, which is not set",
        f"{job}:8: providers.vllm.endpoints.2.base_url: endpoints[2].base_url '${{HOST_C}}/v1' "
        "expands to not a URL: 'ftp://x/v1' has no http:// or https:// scheme "
        "(expected http(s)://HOST[:PORT][/PATH])",
    ]
    # A value that cannot be a URL even before expansion fails as the job is read.
    bad = _job(
        tmp_path,
        "    endpoints:\n      - {base_url: 'http://a/v1'}\n"
        "      - {base_url: 'localhost:8000/v1'}\n",
    )
    with pytest.raises(JobError) as early:
        load_job(bad, env={})
    (problem,) = early.value.problems
    assert problem.startswith(f"{bad}:7: providers.vllm.endpoints.1.base_url:")
    assert "no http:// or https:// scheme" in problem


def test_endpoints_or_base_url_not_both(tmp_path: Path) -> None:
    job = _job(tmp_path, "    base_url: http://a/v1\n    endpoints: [{base_url: http://b/v1}]\n")
    with pytest.raises(JobError) as info:
        load_job(job, env={})
    assert "give base_url or endpoints, not both" in info.value.problems[0]
    with pytest.raises(JobError, match="endpoints is empty"):
        load_job(_job(tmp_path, "    endpoints: []\n"), env={})


def test_vars_expand_in_every_endpoint_and_limits_default_by_type() -> None:
    config = ProviderConfig.model_validate(
        {
            "type": "openai_compatible",
            "endpoints": [
                {"base_url": "http://$GPU0:8000/v1", "max_concurrency": 8},
                {"base_url": "${GPU1_URL}/v1/", "weight": 2},
            ],
        }
    )
    p = create_provider("v", config, {"GPU0": "10.0.0.5", "GPU1_URL": "http://10.0.0.6:8000"})
    pool = p.pool  # type: ignore[attr-defined]
    assert [e.base_url for e in pool.endpoints] == [
        "http://10.0.0.5:8000/v1",
        "http://10.0.0.6:8000/v1",
    ]
    assert [(e.weight, e.cap) for e in pool.endpoints] == [(1.0, 8), (2.0, 64)]
    assert p.total_concurrency == 72  # type: ignore[attr-defined]
    assert config.limit_scope == "endpoint"  # a self-hosted server's limit is its own
    assert ProviderConfig(type="openai").limit_scope == "account"
    assert ProviderConfig(type="anthropic", rate_limit_scope="endpoint").limit_scope == "endpoint"
    capped = config.model_copy(update={"max_concurrency": 10})
    assert (
        create_provider("v", capped, {"GPU0": "a", "GPU1_URL": "http://b"}).total_concurrency == 10
    )  # type: ignore[attr-defined]


def _endpoints_job(tmp_path: Path, questions: Path, servers: str) -> Path:
    job = tmp_path / "job.yaml"
    job.write_text(
        f"""
name: ep
output_dir: {tmp_path / "runs"}
seed: 3
providers:
  fake:
    type: openai_compatible
{servers}
    retry: {{max_attempts: 3, initial_backoff: 0.05, max_backoff: 0.2}}
sources:
  - {{format: mmlu_pro, path: {questions}}}
response_model: {{provider: fake, model: answerer, samples: 2, temperature: 0.7}}
judges:
  - {{name: j, type: vanilla, provider: fake, model: judge}}
concurrency: {{generate: 8, judge: 8}}
"""
    )
    return job


def test_stats_per_endpoint_and_keys_that_do_not_depend_on_the_endpoint(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, 12)
    run_dir = tmp_path / "runs" / "ep"

    async def main() -> tuple[list[int], dict, int]:
        async with (
            FakeServer(answer_or_judge) as a,
            FakeServer(answer_or_judge) as b,
            FakeServer(answer_or_judge) as c,
            FakeServer(answer_or_judge) as other,
        ):
            servers = "    endpoints:\n" + "".join(
                f"      - {{base_url: {s.base_url_openai}}}\n" for s in (a, b, c)
            )
            job = _endpoints_job(tmp_path, questions, servers)
            result = await run_job(load_job(job), quiet=True, report=False)
            assert result.exit_code == 0
            served = [len(s.requests) for s in (a, b, c)]
            stats = orjson.loads((run_dir / "stats.json").read_bytes())["providers"]["fake"]
            # The same run continued on another server: every answer and judgment reused.
            moved = _endpoints_job(tmp_path, questions, f"    base_url: {other.base_url_openai}\n")
            again = await run_job(load_job(moved), quiet=True, report=False)
            assert again.exit_code == 0
            return served, stats, len(other.requests)

    served, stats, resumed = anyio.run(main)
    assert resumed == 0
    calls = len(read_jsonl(run_dir / "responses.jsonl")) + len(
        read_jsonl(run_dir / "judgments.jsonl")
    )
    assert sum(served) == calls > 24 and all(n > 0 for n in served)
    eps = stats["endpoints"]
    assert [e["answered"] for e in eps] == [e["sent"] for e in eps] == served
    assert all(e["in_flight"] == 0 and e["errors"] == 0 and e["state"] == "up" for e in eps)
    assert all(e["requests_per_minute"] > 0 for e in eps)
    assert eps[0]["url"].startswith("http://127.0.0.1:") and eps[0]["url"].endswith("/v1")
