"""`responses:` reuse keeps each imported answer's own model: only the response model's
answers are paired (an earlier run's solver answers are verified, never paired), and every
pair names the right response model."""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio
import pytest

from engine.exitcodes import ExitCode
from engine.jobload import load_job
from engine.run import RunAborted, run_job
from fakes.server import FakeServer
from tests.engine.helpers import job_yaml, read_jsonl, write_questions
from tests.engine.scripts import answer_or_judge

# The solver's name sorts before the response model's: picking "whichever model sorts
# first" would name it.
SOLVER = "solvers:\n  - {provider: fake, model: a-solver, samples: 2, temperature: 0.7}\n"
RESPONSE = "response_model: {provider: fake, model: answerer, samples: 2, temperature: 0.7}\n"


def _by_id(rows: list[dict]) -> dict[str, dict]:
    return {r["pair_id"]: r for r in rows}


def test_imported_solver_answers_are_not_paired(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    write_questions(questions, 24)
    first_dir = tmp_path / "runs" / "first"

    async def run(name: str, edit: str, expect: ExitCode = ExitCode.OK) -> list[dict]:
        async with FakeServer(answer_or_judge) as srv:
            job = tmp_path / f"{name}.yaml"
            text = job_yaml(name, tmp_path / "runs", questions, srv.base_url_openai)
            job.write_text(text.replace(RESPONSE, edit))
            result = await run_job(load_job(job, env={}), quiet=True, report=False)
            assert result.exit_code == expect
            return list(srv.requests)

    anyio.run(run, "first", RESPONSE + SOLVER)
    first = read_jsonl(first_dir / "responses.jsonl")
    assert {r["model"] for r in first} == {"answerer", "a-solver"}
    first_pairs = _by_id(read_jsonl(first_dir / "pairs.jsonl"))
    assert first_pairs and {p["response_model"] for p in first_pairs.values()} == {"answerer"}

    # From the earlier run's answers (its manifest names the response model).
    sent = anyio.run(run, "again", f"responses: {first_dir / 'responses.jsonl'}\n")
    assert all(e["model"] == "judge" for e in sent)
    again = tmp_path / "runs" / "again"
    pairs = _by_id(read_jsonl(again / "pairs.jsonl"))
    assert pairs == first_pairs
    solver_keys = {r["request_key"] for r in first if r["model"] == "a-solver"}
    assert not any({p["response_key_A"], p["response_key_B"]} & solver_keys for p in pairs.values())
    # The solver's answers were still verified (solve accuracy needs them).
    verified = {v["response_key"] for v in read_jsonl(again / "verdicts.jsonl")}
    assert solver_keys <= verified

    # A copy of the answers without the manifest beside them: the job names the model.
    bare = tmp_path / "bare.jsonl"
    shutil.copy(first_dir / "responses.jsonl", bare)
    with pytest.raises(RunAborted, match=r"several models .*a-solver, answerer"):
        anyio.run(run, "bare", f"responses: {bare}\n")
    anyio.run(run, "named", f"responses: {bare}\n" + RESPONSE)
    named = _by_id(read_jsonl(tmp_path / "runs" / "named" / "pairs.jsonl"))
    assert named == first_pairs
    # Naming the solver pairs the solver's answers, under its own name.
    anyio.run(run, "solver", f"responses: {bare}\n" + RESPONSE.replace("answerer", "a-solver"))
    solver_pairs = read_jsonl(tmp_path / "runs" / "solver" / "pairs.jsonl")
    assert solver_pairs and {p["response_model"] for p in solver_pairs} == {"a-solver"}
    assert all({p["response_key_A"], p["response_key_B"]} <= solver_keys for p in solver_pairs)
