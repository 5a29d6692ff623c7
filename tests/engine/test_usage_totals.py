"""Usage and cost of a run are the sum over all its records, across resumes: stats.json,
`status` and the report say what the whole run cost, not what the last process sent (a
resume that sends nothing does not report $0)."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
import orjson
import pytest

from engine.cli import main
from engine.exitcodes import ExitCode
from engine.jobload import load_job
from engine.run import run_job
from fakes.server import FakeServer
from fakes.wire import FakeRequest
from tests.engine.helpers import job_yaml, read_jsonl, write_questions
from tests.engine.scripts import answer_or_judge

PRICES = """    prices:
      answerer: {input: 3.0, output: 15.0}
      judge: {input: 1.0, output: 2.0}
"""


def priced_job(name: str, out: Path, questions: Path, url: str) -> str:
    text = job_yaml(name, out, questions, url, samples=2)
    return text.replace("    retry:", PRICES + "    retry:", 1)


def record_sum(run_dir: Path) -> tuple[int, int, int, float]:
    calls = tokens_in = tokens_out = 0
    cost = 0.0
    for name in ("responses.jsonl", "judgments.jsonl"):
        for r in read_jsonl(run_dir / name):
            if r["error"]:
                continue
            calls += r["usage"].get("calls", 1)
            tokens_in += r["usage"]["input_tokens"]
            tokens_out += r["usage"]["output_tokens"]
            cost += r["usage"]["cost"]
    return calls, tokens_in, tokens_out, cost


def test_totals_cover_every_process_of_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, 16)
    broken = {"on": True}

    def faults(req: FakeRequest) -> str | None:
        # Half the questions fail for good in the first process; a resume sends them.
        hit = any(f"question {i}:" in req.last_user for i in range(8))
        return "503" if broken["on"] and hit else None

    async def run(name: str, expect: ExitCode, faulty: bool) -> int:
        async with FakeServer(answer_or_judge, faults=faults if faulty else None) as srv:
            job = tmp_path / f"{name}.yaml"
            job.write_text(priced_job(name, tmp_path / "runs", questions, srv.base_url_openai))
            result = await run_job(load_job(job, env={}), quiet=True)
            assert result.exit_code == expect
            return len(srv.requests)

    anyio.run(run, "ref", ExitCode.OK, False)
    anyio.run(run, "cut", ExitCode.FAILED_CALLS, True)
    broken["on"] = False
    assert anyio.run(run, "cut", ExitCode.OK, True) > 0
    assert anyio.run(run, "cut", ExitCode.OK, True) == 0  # nothing left to send

    ref_dir, run_dir = tmp_path / "runs" / "ref", tmp_path / "runs" / "cut"
    calls, tokens_in, tokens_out, cost = record_sum(run_dir)
    assert cost > 0 and (calls, tokens_in, tokens_out) == record_sum(ref_dir)[:3]
    assert cost == pytest.approx(record_sum(ref_dir)[3])

    # stats.json: the sum over the records, though the last process sent nothing.
    stats = orjson.loads((run_dir / "stats.json").read_bytes())
    usage = stats["usage"]
    assert (usage["calls"], usage["input_tokens"], usage["output_tokens"]) == (
        calls,
        tokens_in,
        tokens_out,
    )
    assert usage["cost"] == pytest.approx(cost)
    fake = stats["providers"]["fake"]
    assert fake["cost"] == pytest.approx(cost) and fake["calls"] == calls
    assert set(fake["by_model"]) == {"answerer", "judge"}
    assert stats["providers"]["fake"]["errors"] > 0  # the first process's, kept
    ref_usage = orjson.loads((ref_dir / "stats.json").read_bytes())["usage"]
    assert {**usage, "cost": 0} == {**ref_usage, "cost": 0}
    assert usage["cost"] == pytest.approx(ref_usage["cost"])

    # The report says the same.
    summary = orjson.loads((run_dir / "summary.json").read_bytes())["runs"][0]
    assert summary["usage"]["cost"] == pytest.approx(cost)
    assert summary["providers"]["fake"]["input_tokens"] == tokens_in
    assert f"${cost:.4f}" in (run_dir / "report.md").read_text()

    # So does `status`.
    capsys.readouterr()
    assert main(["status", str(run_dir)]) == ExitCode.OK
    out = capsys.readouterr().out
    total = re.search(r"run total: (\d+) calls, (\d+) input / (\d+) output tokens, \$([\d.]+)", out)
    assert total is not None, out
    assert tuple(int(x) for x in total.groups()[:3]) == (calls, tokens_in, tokens_out)
    assert total.group(4) == f"{cost:.4f}"


def test_meta_judge_calls_are_in_the_totals_under_their_own_model(tmp_path: Path) -> None:
    """A meta-judge's calls are paid calls like any other: in stats.json, the report and
    `status`, under the meta-judge's provider and model (never the judge's)."""
    from engine.judges.meta import DEFAULT_RUBRIC

    questions = tmp_path / "q.jsonl"
    write_questions(questions, 24)
    broken = {"on": True}

    def script(req: FakeRequest) -> str:
        if req.model == "meta":
            return "\n".join(f"Criterion: {c.name}\nScore: 4" for c in DEFAULT_RUBRIC)
        return answer_or_judge(req)

    def faults(req: FakeRequest) -> str | None:  # some meta-judge calls fail at first
        asked = re.search(r"question (\d+):", req.last_user)
        odd = asked is not None and int(asked.group(1)) % 2 == 1
        return "503" if broken["on"] and req.model == "meta" and odd else None

    async def run(expect: ExitCode) -> None:
        async with FakeServer(script, faults=faults) as srv:
            job = tmp_path / "meta.yaml"
            text = priced_job("meta", tmp_path / "runs", questions, srv.base_url_openai)
            text = text.replace(PRICES, PRICES + "      meta: {input: 5.0, output: 25.0}\n")
            job.write_text(text + "meta_judge: {provider: fake, model: meta}\n")
            result = await run_job(load_job(job, env={}), quiet=True)
            assert result.exit_code == expect

    anyio.run(run, ExitCode.FAILED_CALLS)
    broken["on"] = False
    anyio.run(run, ExitCode.OK)

    run_dir = tmp_path / "runs" / "meta"
    metas = [r for r in read_jsonl(run_dir / "meta_judgments.jsonl") if not r["error"]]
    assert metas and all(r["provider"] == "fake" and r["model"] == "meta" for r in metas)
    meta_cost = sum(r["usage"]["cost"] for r in metas)
    calls, _, _, cost = record_sum(run_dir)
    assert meta_cost > 0
    stats = orjson.loads((run_dir / "stats.json").read_bytes())
    assert stats["usage"]["calls"] == calls + len(metas)
    assert stats["usage"]["cost"] == pytest.approx(cost + meta_cost)
    by_model = stats["providers"]["fake"]["by_model"]
    assert by_model["meta"]["calls"] == len(metas)
    assert by_model["meta"]["cost"] == pytest.approx(meta_cost)
    judge_cost = sum(r["usage"]["cost"] for r in read_jsonl(run_dir / "judgments.jsonl"))
    assert by_model["judge"]["cost"] == pytest.approx(judge_cost)
    summary = orjson.loads((run_dir / "summary.json").read_bytes())["runs"][0]
    assert summary["usage"]["cost"] == pytest.approx(cost + meta_cost)
    assert len(metas) < len(read_jsonl(run_dir / "meta_judgments.jsonl"))  # some failed first


def test_cache_writes_are_summed_like_the_other_token_counts() -> None:
    from engine.usage import RunUsage

    usage = RunUsage()
    record = {"provider": "a", "model": "m", "usage": {"input_tokens": 900, "cost": 0.01}}
    usage.add({**record, "usage": {**record["usage"], "cache_write_tokens": 400}})
    usage.add(record)  # a call that wrote nothing to the cache (the key is left out)
    usage.add({**record, "error": "server"})  # a failed call is not billed
    total = usage.total()
    assert (total.calls, total.input_tokens, total.cache_write_tokens) == (2, 1800, 400)
    assert usage.to_json()["providers"]["a"]["by_model"]["m"]["cache_write_tokens"] == 400
