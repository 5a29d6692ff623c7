"""`--dry-run` is an upper bound: for every judge type (arena_hard's follow-ups, a
multi_agent panel, a reward model's answer scores) and a meta-judge (one call per
judgment) it counts at least the calls and output tokens a real run of the same job makes,
with each type's own output cap; a source that cannot be read is a clean error."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import anyio

from engine.dryrun import estimate
from engine.exitcodes import ExitCode
from engine.jobload import load_job
from engine.judges.meta import DEFAULT_RUBRIC
from engine.run import run_job
from engine.usage import RunUsage
from fakes.server import FakeServer
from fakes.wire import FakeRequest
from tests.engine.helpers import cli, job_yaml, read_jsonl, write_questions
from tests.engine.scripts import answer_or_judge

PAID_FILES = ("responses.jsonl", "judgments.jsonl", "answer_scores.jsonl", "meta_judgments.jsonl")
JUDGES = """judges:
  - {name: plain, type: vanilla, provider: fake, model: judge}
  - {name: arena, type: arena_hard, provider: fake, model: arena}
  - {name: panel, type: multi_agent, provider: fake, model: panel, params: {rounds: 2}}
  - {name: rm, type: reward_model, provider: fake, model: rm}
meta_judge: {provider: fake, model: meta}
"""


def script(req: FakeRequest) -> str:
    if req.model == "meta":
        return "\n".join(f"Criterion: {c.name}\nScore: 4" for c in DEFAULT_RUBRIC)
    if req.model == "arena":  # no verdict until asked again: every judgment has a follow-up
        followed_up = any(role == "assistant" for role, _ in req.messages)
        return "Then: [[B>A]]" if followed_up else "Both answers look plausible to me."
    if req.model == "panel":
        return "[[A>B]]" if "cast your vote now" in req.last_user else "I weigh both answers."
    return answer_or_judge(req)


def test_dry_run_counts_at_least_what_the_run_sends(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, 20)
    job = tmp_path / "job.yaml"

    async def run() -> list[dict]:
        async with FakeServer(script) as srv:
            text = job_yaml("dry", tmp_path / "runs", questions, srv.base_url_openai, samples=4)
            job.write_text(text.split("judges:\n")[0] + "pairing: {per_question: 2}\n" + JUDGES)
            result = await run_job(load_job(job, env={}), quiet=True, report=False)
            assert result.exit_code == ExitCode.OK
            return [r for r in srv.requests if r.get("complete")]

    sent = anyio.run(run)
    run_dir = tmp_path / "runs" / "dry"
    assert len(read_jsonl(run_dir / "pairs.jsonl")) > 5
    actual_calls = Counter(f"fake/{r['model']}" for r in sent)
    usage = RunUsage()
    for name in PAID_FILES:
        for record in read_jsonl(run_dir / name):
            usage.add(record)
    actual_out = {f"{p}/{m}": t.output_tokens for (p, m), t in usage.by_model.items()}

    est = estimate(load_job(job, env={}))
    assert set(est.calls) == set(actual_calls)
    for key, calls in actual_calls.items():
        assert est.calls[key] >= calls, (key, est.calls[key], calls)
        assert est.output_tokens[key] >= actual_out.get(key, 0), key
    # Each type's own output cap: arena_hard answers in up to 4096 tokens, vanilla 1024.
    assert est.output_tokens["fake/arena"] == 4096 * est.calls["fake/arena"]
    assert est.output_tokens["fake/judge"] == 1024 * est.calls["fake/judge"]
    assert est.output_tokens["fake/rm"] == 0
    # Per pair at most: vanilla 2, arena 2 x 2, panel 2 x (2 rounds x 3 agents + 3 votes),
    # reward model 2 (one score per answer).
    assert est.calls["fake/arena"] == 2 * est.calls["fake/judge"]
    assert est.calls["fake/panel"] == 9 * est.calls["fake/judge"]
    assert est.calls["fake/rm"] <= est.calls["fake/judge"]
    # The meta-judge: one call per judgment (2 a pair) of each of the 4 judges.
    assert est.calls["fake/meta"] == 4 * est.calls["fake/judge"]


def test_a_source_that_cannot_be_read_is_a_clean_dry_run_error(tmp_path: Path) -> None:
    folder = tmp_path / "questions"
    folder.mkdir()  # exists (validation passes) but cannot be read as a file
    job = tmp_path / "job.yaml"
    job.write_text(job_yaml("dry", tmp_path / "runs", folder, "http://127.0.0.1:9/v1"))
    out = cli("run", str(job), "--dry-run")
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert "error:" in out.stderr and str(folder) in out.stderr


MODELS = """    models:
      "judge": {thinks_by_default: true, reasoning_budget: 2000}
      "answerer": {thinks_by_default: true, reasoning_budget: 3000}
"""


def test_dry_run_counts_the_cap_the_model_table_sends(tmp_path: Path) -> None:
    """A reasoning model is sent its reasoning budget on top of the job's cap: the dry run
    counts that cap, the one the records say was sent, not the job's."""
    questions = tmp_path / "q.jsonl"
    write_questions(questions, 6)
    job = tmp_path / "job.yaml"

    async def run() -> None:
        async with FakeServer(answer_or_judge) as srv:
            text = job_yaml("caps", tmp_path / "runs", questions, srv.base_url_openai)
            text = text.replace("    retry:", MODELS + "    retry:", 1)
            text = text.replace("temperature: 0.7}", "temperature: 0.7, max_tokens: 300}", 1)
            job.write_text(text)
            result = await run_job(load_job(job, env={}), quiet=True, report=False)
            assert result.exit_code == ExitCode.OK

    anyio.run(run)
    run_dir = tmp_path / "runs" / "caps"
    sent = {
        name: {r["sent"]["max_tokens"] for r in read_jsonl(run_dir / name)}
        for name in ("responses.jsonl", "judgments.jsonl")
    }
    assert sent == {"responses.jsonl": {3300}, "judgments.jsonl": {1024 + 2000}}
    est = estimate(load_job(job, env={}))
    assert est.output_tokens["fake/answerer"] == 3300 * est.calls["fake/answerer"]
    assert est.output_tokens["fake/judge"] == 3024 * est.calls["fake/judge"]
