"""The task graph over real HTTP: back-pressure, fan-out of samples and orders, and the join."""

from __future__ import annotations

from pathlib import Path

import anyio
import orjson

from engine.jobload import load_job
from engine.records import ScoreRecord
from engine.run import run_job
from fakes.server import FakeServer
from tests.engine.helpers import read_jsonl, write_questions
from tests.engine.scripts import answer_or_judge

N = 100
GEN, VERIFY, JUDGE = 4, 2, 2
# Questions that can be answered but not yet judged: held by generate workers, the verify
# streams and workers, the pair worker, the pairs stream and the judge workers.
BOUND = GEN + 3 * VERIFY + 1 + 2 * JUDGE


def _max_overlap(entries: list[dict]) -> int:
    events = sorted([(e["t"], 1) for e in entries] + [(e["t_done"], -1) for e in entries])
    cur = best = 0
    for _, step in events:
        cur += step
        best = max(best, cur)
    return best


def _job(tmp_path: Path, answer_url: str, judge_url: str) -> Path:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, N)
    job = tmp_path / "job.yaml"
    job.write_text(f"""
name: graph
output_dir: {tmp_path / "runs"}
providers:
  fast: {{type: openai_compatible, base_url: "{answer_url}", max_concurrency: 64}}
  slow: {{type: openai_compatible, base_url: "{judge_url}", max_concurrency: 64}}
sources: [{{format: mmlu_pro, path: {questions}}}]
response_model: {{provider: fast, model: answerer, samples: 3, temperature: 0.7}}
judges: [{{name: j, type: vanilla, provider: slow, model: judge}}]
concurrency: {{generate: {GEN}, verify: {VERIFY}, judge: {JUDGE}}}
""")
    return job


def test_slow_judges_back_pressure_generation_and_calls_fan_out(tmp_path: Path) -> None:
    async def main() -> tuple[list[dict], list[dict]]:
        async with (
            FakeServer(answer_or_judge, latency=0.01) as fast,
            FakeServer(answer_or_judge, latency=0.05) as slow,
        ):
            loaded = load_job(_job(tmp_path, fast.base_url_openai, slow.base_url_openai), env={})
            result = await run_job(loaded, quiet=True, report=False)
            assert result.exit_code == 0
            done = [e for e in fast.requests if e.get("complete")]
            return done, [e for e in slow.requests if e.get("complete")]

    gen_calls, judge_calls = anyio.run(main)
    assert len(gen_calls) == 3 * N
    # Fan-out: all k samples of a question, and both orders of a pair, are in flight together
    # (2 judge workers x 2 orders); the provider would allow 64.
    assert _max_overlap(judge_calls) == 2 * JUDGE
    assert _max_overlap(gen_calls) >= 3 * 2  # k samples x more than one worker
    # Back-pressure: generating alone takes a blink, judging takes seconds. Had generation
    # run ahead, nearly all judging would come after its last answer; with bounded streams
    # at most BOUND questions' worth of pairs can be waiting then.
    last_answer = max(e["t_done"] for e in gen_calls)
    judged_after = sum(1 for e in judge_calls if e["t"] >= last_answer)
    assert len(judge_calls) > 4 * BOUND
    assert judged_after <= 2 * BOUND

    run_dir = tmp_path / "runs" / "graph"
    pairs = read_jsonl(run_dir / "pairs.jsonl")
    scores = read_jsonl(run_dir / ScoreRecord.FILE)
    judgments = read_jsonl(run_dir / "judgments.jsonl")
    # Join: exactly one score per pair, from one judgment in each order.
    assert len(scores) == len(pairs) > 10
    by_pair: dict[str, list[str]] = {}
    for j in judgments:
        by_pair.setdefault(j["pair_id"], []).append(j["order"])
    assert all(sorted(v) == ["AB", "BA"] for v in by_pair.values())
    assert {s["pair_id"] for s in scores} == set(by_pair)
    # Every stage registered once, in flow order; at the end each total is exact.
    stages = orjson.loads((run_dir / "stats.json").read_bytes())["stages"]
    assert list(stages) == ["load", "generate", "verify", "pair", "judge", "score"]
    assert [stages[s]["total"] for s in ("load", "generate", "verify", "pair")] == [
        N,
        3 * N,
        3 * N,
        N,
    ]
    assert stages["score"]["total"] == len(pairs)
    assert stages["judge"]["total"] == stages["judge"]["done"] == 2 * len(pairs)
