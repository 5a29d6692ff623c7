"""Order-free judges (a reward model scores each answer alone) are paid once per answer:
not once per pair and order (4 calls a pair), and not again for an answer that two pairs
share; the decisions are the ones scoring every pair in both orders would give."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import anyio
import orjson

from engine.exitcodes import ExitCode
from engine.jobload import load_job
from engine.judges.reward_model import decide
from engine.run import run_job
from engine.scoring import flip
from fakes.server import FakeServer
from fakes.wire import FakeRequest
from tests.engine.helpers import job_yaml, read_jsonl, write_questions
from tests.engine.scripts import answer_or_judge

JUDGES = "judges:\n  - {name: rm, type: reward_model, provider: fake, model: rm}\n"


def reward(req: FakeRequest) -> float:
    """A score of the answer alone: its letter (answer_or_judge ends with it)."""
    answer = req.messages[-1][1]
    return float("ABCD".index(answer.strip()[-1]))


def test_each_answer_is_scored_once(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, 30)
    job = tmp_path / "job.yaml"

    async def run() -> list[dict]:
        async with FakeServer(answer_or_judge, score=reward) as srv:
            text = job_yaml("rm", tmp_path / "runs", questions, srv.base_url_openai, samples=4)
            text = text.replace("judges:\n", "").split("  - {name: j,")[0]
            job.write_text(text + "pairing: {per_question: 3}\n" + JUDGES)
            result = await run_job(load_job(job, env={}), quiet=True, report=False)
            assert result.exit_code == ExitCode.OK
            return [r for r in srv.requests if r["api"] == "pooling"]

    sent = anyio.run(run)
    run_dir = tmp_path / "runs" / "rm"
    pairs = read_jsonl(run_dir / "pairs.jsonl")
    # An answer is its text (two samples may say the very same) to its question.
    answers = {(p["question_id"], p[f"response_{s}"]) for p in pairs for s in "AB"}
    assert len(pairs) > 10 and len(answers) < 2 * len(pairs)  # pairs share answers
    # One pooling call per distinct answer, none per order or pair.
    assert len(sent) == len(answers)
    asked = Counter(orjson.dumps(r["body"]["messages"]) for r in sent)
    assert set(asked.values()) == {1}
    # Both orders' judgments are there, each the decision of the two scores as shown.
    judgments = {(j["pair_id"], j["order"]): j for j in read_jsonl(run_dir / "judgments.jsonl")}
    assert len(judgments) == 2 * len(pairs)
    for p in pairs:
        a, b = (reward_of(p["response_A"]), reward_of(p["response_B"]))
        ab, ba = judgments[(p["pair_id"], "AB")], judgments[(p["pair_id"], "BA")]
        assert ab["decision"] == decide(a, b) and orjson.loads(ab["raw"])["scores"] == [a, b]
        assert ba["decision"] == decide(b, a) == flip(decide(a, b))
    # The paid calls are the answer scores; the judgments made of them carry no usage.
    scored = read_jsonl(run_dir / "answer_scores.jsonl")
    assert len(scored) == len(answers) and all(s["usage"]["input_tokens"] > 0 for s in scored)
    assert all(j["usage"]["calls"] == 0 == j["usage"]["input_tokens"] for j in judgments.values())
    assert len(read_jsonl(run_dir / "scores.jsonl")) == len(pairs)

    # A resume that lost every judgment rebuilds them from the paid scores, sending nothing.
    (run_dir / "judgments.jsonl").unlink()
    assert anyio.run(run) == []
    assert len(read_jsonl(run_dir / "judgments.jsonl")) == 2 * len(pairs)


def reward_of(answer: str) -> float:
    return float("ABCD".index(answer.strip()[-1]))
