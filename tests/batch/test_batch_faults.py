"""Batch mode when batches go wrong, over real HTTP against the fake batch APIs: requests
that fail inside a batch are recorded with their class and sent again on resume; requests
of an expired or failed batch are sent again in a new batch at once; multi-turn judges
send each turn in a later batch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from engine.exitcodes import ExitCode
from engine.jobload import load_job
from engine.run import run_job
from fakes.server import FakeServer
from tests.batch import scripts
from tests.batch.helpers import KEY_ENV, PAID, batch_job, costless, submitted
from tests.engine.helpers import read_jsonl

APIS = ("openai", "anthropic", "gemini")


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "k")
    scripts.FAILED.clear()


def _runs(jobs: list[Path], script: Callable[[Any], Any], **server: Any) -> tuple[list[int], list]:
    """Run the jobs one after another against one fake server; exit codes and its log."""

    async def main() -> tuple[list[int], list]:
        codes = []
        server.setdefault("batch_delay", 0.1)
        async with FakeServer(script, **server) as srv:
            for job in jobs:
                job.write_text(job.read_text().replace("URL", srv.url))
                codes.append((await run_job(load_job(job), quiet=True, report=False)).exit_code)
            return codes, list(srv.requests)

    return anyio.run(main)


def _good(run_dir: Path, name: str) -> list[dict]:
    return [r for r in read_jsonl(run_dir / name) if not r.get("error")]


def _same_as_online(tmp: Path, api: str, batch_run: str, **job: Any) -> None:
    online = batch_job(tmp, "online", api, "URL", mode="online", **job)
    (code,), _ = _runs([online], scripts.answer)
    assert code == ExitCode.OK
    runs = tmp / "runs"
    assert costless(runs / "online", "judgments.jsonl")
    for name in PAID:
        want = costless(runs / "online", name)
        got = costless(runs / batch_run, name)
        got_good = {k: v for k, v in got.items() if b'"error":null' in k}
        assert got_good == dict(want), name


@pytest.mark.parametrize("api", APIS)
def test_request_errors_in_a_batch_are_recorded_and_retried_on_resume(
    tmp_path: Path, api: str
) -> None:
    job = batch_job(tmp_path, "b", api, "URL")
    codes, log = _runs([job, job], scripts.answer_with_errors)
    assert codes == [ExitCode.FAILED_CALLS, ExitCode.OK]
    run_dir = tmp_path / "runs" / "b"
    errors = [r for r in read_jsonl(run_dir / "judgments.jsonl") if r.get("error")]
    assert errors and {r["error"] for r in errors} == {"server"}
    # Each API's own error body, read: OpenAI's status line, Anthropic's and Gemini's types.
    marks = {"openai": "HTTP 500", "anthropic": "api_error", "gemini": "INTERNAL"}
    assert all(marks[api] in r["error_message"] for r in errors)
    failed_ids = {r["request_key"] for r in errors}
    ended = [e for e in read_jsonl(run_dir / "batches.jsonl") if e["event"] == "ended"]
    assert failed_ids == {c for e in ended for c in e["failed"]}
    # The failed requests were sent twice (the resume's retry), every other one once.
    sent = submitted(log)
    assert {k for k, n in sent.items() if n == 2} == failed_ids
    assert set(sent.values()) == {1, 2}
    _same_as_online(tmp_path, api, "b")


@pytest.mark.parametrize("api", APIS)
def test_expired_requests_go_into_a_new_batch(tmp_path: Path, api: str) -> None:
    job = batch_job(tmp_path, "b", api, "URL")
    (code,), log = _runs([job], scripts.answer, batch_outcomes=["expire"])
    assert code == ExitCode.OK
    run_dir = tmp_path / "runs" / "b"
    ledger = read_jsonl(run_dir / "batches.jsonl")
    first = next(e for e in ledger if e["event"] == "ended")
    assert first["ending"] == ("completed" if api == "anthropic" else "expired") or first["again"]
    again = set(first["again"])
    assert again
    sent = submitted(log)
    assert {k for k, n in sent.items() if n == 2} == again and max(sent.values()) == 2
    _same_as_online(tmp_path, api, "b")


@pytest.mark.parametrize("api", ["openai", "gemini"])
def test_a_failed_batch_is_sent_again(tmp_path: Path, api: str) -> None:
    job = batch_job(tmp_path, "b", api, "URL")
    (code,), log = _runs([job], scripts.answer, batch_outcomes=["fail"])
    assert code == ExitCode.OK
    ledger = read_jsonl(tmp_path / "runs" / "b" / "batches.jsonl")
    first = next(e for e in ledger if e["event"] == "ended")
    assert first["ending"] == "failed"
    sent = submitted(log)
    assert {k for k, n in sent.items() if n == 2} == set(first["again"])
    _same_as_online(tmp_path, api, "b")


def multi_turn(req: Any) -> str:
    if req.model == "judge":
        return "Assistant A is better: [[A>B]]" if len(req.messages) > 1 else "[[B>A]]"
    return scripts.answer(req)


def test_multi_turn_judges_send_each_turn_in_a_later_batch(tmp_path: Path) -> None:
    judges = (
        "  - {name: arena, type: arena_hard, provider: p, model: judge, max_tokens: 64}\n"
        "  - {name: agents, type: multi_agent, provider: p, model: judge, max_tokens: 64,"
        " params: {rounds: 1}}\n"
    )
    jobs = []
    for name, mode in (("online", "online"), ("b", "batch")):
        job = batch_job(tmp_path, name, "openai", "URL", mode=mode)
        text = job.read_text()
        start = text.index("judges:\n") + len("judges:\n")
        end = text.index("concurrency:")
        job.write_text(text[:start] + judges + text[end:])
        jobs.append(job)
    codes, log = _runs(jobs, multi_turn)
    assert codes == [ExitCode.OK, ExitCode.OK]
    runs = tmp_path / "runs"
    for name in PAID:
        assert costless(runs / "b", name) == costless(runs / "online", name), name
    ledger = read_jsonl(runs / "b" / "batches.jsonl")
    judge_batches = [e for e in ledger if e["event"] == "prepared" and e["model"] == "judge"]
    # Turn 1, then its follow-up (a later batch), under one request key.
    assert len(judge_batches) >= 2
    later = {c for e in judge_batches[1:] for c, _, _ in e["requests"]}
    keys = {r["request_key"] for r in read_jsonl(runs / "b" / "judgments.jsonl")}
    assert any(c.split("-")[0] in keys and "-" in c for c in later)
    assert set(submitted(log).values()) == {1}


def test_the_graph_streams_past_a_slow_batch(tmp_path: Path) -> None:
    """Answers of a quick batch are verified, paired and judged while a slow one is out."""
    job = batch_job(tmp_path, "s", "gemini", "URL", n=12)
    job.write_text(job.read_text().replace("max_age: 0.05,", "max_age: 0.05, max_requests: 8,"))
    slow = 1  # the second batch of answers takes its time
    (code,), _ = _runs([job], scripts.answer, batch_delay=lambda n: 3.0 if n == slow else 0.1)
    assert code == ExitCode.OK
    ledger = read_jsonl(tmp_path / "runs" / "s" / "batches.jsonl")
    prepared = [e for e in ledger if e["event"] == "prepared"]
    slow_id = prepared[slow]["batch"]
    assert prepared[slow]["model"] == "answerer"
    slow_end = next(e["t"] for e in ledger if e["event"] == "ended" and e["batch"] == slow_id)
    judged_before = [e for e in prepared if e["model"] == "judge" and e["t"] < slow_end]
    assert judged_before, "no judge batch was sent while the slow answer batch was out"


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_answers_of_an_ended_batch_are_read_again_not_bought_again(
    tmp_path: Path, api: str
) -> None:
    """A kill after a batch's end was recorded but before its answers were: the resume reads
    the batch's results again instead of sending its requests again."""
    job = batch_job(tmp_path, "e", api, "URL")
    run_dir = tmp_path / "runs" / "e"
    kept: dict[str, bytes] = {}

    def lose_judgments() -> None:
        for name in ("judgments.jsonl", "scores.jsonl"):
            kept[name] = (run_dir / name).read_bytes()
            (run_dir / name).unlink()

    async def main() -> list:
        async with FakeServer(scripts.answer, batch_delay=0.1) as srv:
            job.write_text(job.read_text().replace("URL", srv.url))
            assert (await run_job(load_job(job), quiet=True, report=False)).exit_code == 0
            lose_judgments()
            assert (await run_job(load_job(job), quiet=True, report=False)).exit_code == 0
            return list(srv.requests)

    log = anyio.run(main)
    assert set(submitted(log).values()) == {1}
    assert sorted((run_dir / "judgments.jsonl").read_bytes().splitlines()) == sorted(
        kept["judgments.jsonl"].splitlines()
    )
    downloads = [e for e in log if e.get("op") in ("results", "poll")]
    assert downloads
