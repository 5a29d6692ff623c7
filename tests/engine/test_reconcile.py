"""Resume reconciles derived records with the paid ones they came from, and paid records
reach stable storage within about a second.

* A score whose judgment was lost (a power cut can lose any unsynced write) is judged again
  and written anew, not taken as done.
* A verdict or pair made from an answer that was lost is made again from the new answer.
* Every line appended to responses.jsonl or judgments.jsonl is fsynced within about a second
  (os.write and os.fsync are watched as the run really calls them).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import anyio
import orjson
import pytest

from engine.exitcodes import ExitCode
from engine.jobload import load_job
from engine.requests import sample_seed
from engine.run import run_job
from fakes.server import FakeServer
from fakes.wire import FakeRequest
from tests.engine.helpers import job_yaml, read_jsonl, write_questions
from tests.engine.scripts import answer_or_judge


def _last(rows: list[dict], *key: str) -> dict:
    return {tuple(r[k] for k in key): r for r in rows}


def _run(
    tmp_path: Path,
    name: str,
    script: Callable[[FakeRequest], str],
    n: int = 12,
    concurrency: int = 8,
    **kw: object,
) -> list:
    questions = tmp_path / "q.jsonl"
    if not questions.exists():
        write_questions(questions, n)

    async def main() -> list:
        async with FakeServer(script, **kw) as srv:  # type: ignore[arg-type]
            job = tmp_path / f"{name}.yaml"
            url = srv.base_url_openai
            job.write_text(
                job_yaml(name, tmp_path / "runs", questions, url, concurrency=concurrency)
            )
            result = await run_job(load_job(job, env={}), quiet=True, report=False)
            assert result.exit_code == ExitCode.OK
            return list(srv.requests)

    return anyio.run(main)


def _drop_lines(path: Path, drop: Callable[[dict], bool]) -> list[dict]:
    rows = read_jsonl(path)
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows if not drop(r)))
    return [r for r in rows if drop(r)]


def test_a_score_whose_judgment_was_lost_is_judged_again(tmp_path: Path) -> None:
    _run(tmp_path, "lost", answer_or_judge)
    run_dir = tmp_path / "runs" / "lost"
    scores_before = _last(read_jsonl(run_dir / "scores.jsonl"), "pair_id", "judge")
    victims = sorted(p for p, _ in scores_before)[:3]
    lost = _drop_lines(
        run_dir / "judgments.jsonl", lambda j: j["pair_id"] in victims and j["order"] == "BA"
    )
    assert len(lost) == 3

    sent = _run(tmp_path, "lost", answer_or_judge)
    # Exactly the lost judgments are asked for again (the scores alone did not count).
    assert sorted(orjson.dumps(e["body"]["messages"]) for e in sent) == sorted(
        orjson.dumps(e["body"]["messages"]) for e in _requests_for(tmp_path, "lost", lost)
    )
    judgments = _last(read_jsonl(run_dir / "judgments.jsonl"), "pair_id", "order")
    assert all((p, "BA") in judgments for p in victims)
    assert _last(read_jsonl(run_dir / "scores.jsonl"), "pair_id", "judge") == scores_before


def _requests_for(tmp_path: Path, name: str, judgments: list[dict]) -> list[dict]:
    """The judge requests an unbroken run sent for these judgments (its pairs, its order)."""
    pairs = {p["pair_id"]: p for p in read_jsonl(tmp_path / "runs" / name / "pairs.jsonl")}
    out = []
    for j in judgments:
        p = pairs[j["pair_id"]]
        first, second = p["response_B"], p["response_A"]  # the BA order shows B first
        out.append({"body": {"messages": _vanilla_messages(p["question"], first, second)}})
    return out


def _vanilla_messages(question: str, first: str, second: str) -> list[dict]:
    from engine.judges.base import JudgeInput, JudgeSpec
    from engine.judges.registry import create_judge

    judge = create_judge(JudgeSpec("j", "vanilla", "judge"))
    msgs = judge.messages(JudgeInput(question, first, second))  # type: ignore[attr-defined]
    return [{"role": m.role, "content": m.content} for m in msgs]


def test_a_verdict_and_pair_of_a_lost_answer_are_made_again(tmp_path: Path) -> None:
    _run(tmp_path, "re", answer_or_judge)
    run_dir = tmp_path / "runs" / "re"
    pair = read_jsonl(run_dir / "pairs.jsonl")[0]
    key = pair["response_key_A"]
    [gone] = _drop_lines(run_dir / "responses.jsonl", lambda r: r["request_key"] == key)
    seed = sample_seed(11, gone["sample_index"])
    question = gone["question_id"].split(":")[1]
    letter = gone["text"].strip()[-1]
    other = "ABCD"[("ABCD".index(letter) + 1) % 4]

    def changed(req: FakeRequest) -> str:
        # The lost answer, asked again, now names another letter (a model need not repeat).
        if (
            req.model == "answerer"
            and req.body.get("seed") == seed
            and f"question {question}:" in req.last_user
        ):
            return f"On reflection, the answer is {other}.\n\n{other * 5}"
        return answer_or_judge(req)

    pairs_before = len(read_jsonl(run_dir / "pairs.jsonl"))
    sent = _run(tmp_path, "re", changed)
    assert [e["model"] for e in sent].count("answerer") == 1
    answer = _last(read_jsonl(run_dir / "responses.jsonl"), "request_key")[(key,)]
    verdict = _last(read_jsonl(run_dir / "verdicts.jsonl"), "response_key")[(key,)]
    assert answer["text"].endswith(other * 5) and verdict["extracted"] == other
    # Pairs made by the resume show the answer as it is now, never the lost text.
    for p in read_jsonl(run_dir / "pairs.jsonl")[pairs_before:]:
        for side in "AB":
            if p[f"response_key_{side}"] == key:
                assert p[f"response_{side}"] == answer["text"]
    assert gone["text"] not in str(read_jsonl(run_dir / "pairs.jsonl")[pairs_before:])


@pytest.mark.timeout(120)
def test_paid_records_are_fsynced_within_about_a_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[tuple[float, str, int]] = []  # (time, file, its size after the write)
    syncs: list[tuple[float, str, int]] = []
    lock = threading.Lock()
    real_write, real_fsync = os.write, os.fsync

    def name_of(fd: int) -> str:
        try:
            return os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            return "?"

    def write(fd: int, data: bytes) -> int:
        n = real_write(fd, data)
        with lock:
            writes.append((time.monotonic(), name_of(fd), os.fstat(fd).st_size))
        return n

    def fsync(fd: int) -> None:
        size, name = os.fstat(fd).st_size, name_of(fd)
        real_fsync(fd)
        with lock:
            syncs.append((time.monotonic(), name, size))

    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "fsync", fsync)
    _run(tmp_path, "sync", answer_or_judge, n=30, concurrency=2, latency=0.15)
    monkeypatch.undo()

    paid = [w for w in writes if w[1] in ("responses.jsonl", "judgments.jsonl")]
    assert len(paid) > 20 and paid[-1][0] - paid[0][0] > 2.0  # writes spread over seconds
    for t, name, size in paid:
        covered = [s for s in syncs if s[1] == name and s[2] >= size and s[0] >= t]
        assert covered, f"a write to {name} was never fsynced"
        assert covered[0][0] - t < 1.5, f"{name}: fsynced {covered[0][0] - t:.2f}s after"
    # Syncs are batched: far fewer than the writes.
    assert len([s for s in syncs if s[1] == "responses.jsonl"]) < len(paid) / 3
