"""The meta-judge: rubric, prompt and score parsing, and the stage end to end over HTTP
(records, the report's filtered accuracy beside plain accuracy, resume and retry)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from engine.jobload import JobError, load_job
from engine.judges.base import JudgeInput
from engine.judges.meta import DEFAULT_RUBRIC, MetaJudge, meta_score, parse_scores, read_rubric
from engine.run import run_job
from fakes.server import FakeServer
from fakes.wire import FakeRequest

N = 6  # pairs; the judge is wrong on i % 3 == 0, and the meta-judge scores those low


def test_scores_are_read_per_criterion_and_need_every_one() -> None:
    reply = "\n".join(
        f"**Criterion: {c.name}**\nScore: {n}"
        for c, n in zip(DEFAULT_RUBRIC, [5, 4, 3, 4, 5], strict=True)
    )
    scores = parse_scores(reply, DEFAULT_RUBRIC)
    assert list(scores.values()) == [5, 4, 3, 4, 5]
    assert meta_score(scores, DEFAULT_RUBRIC) == pytest.approx(4.2)
    partial = parse_scores(
        "Criterion: Soundness\nScore: 5\nCriterion: nonsense\nScore: 1", DEFAULT_RUBRIC
    )
    assert partial == {"Soundness": 5}
    assert meta_score(partial, DEFAULT_RUBRIC) is None
    assert parse_scores("Criterion: Soundness\nScore: 7", DEFAULT_RUBRIC) == {}


def test_the_prompt_shows_the_judgment_in_its_order_with_the_rubric() -> None:
    meta = MetaJudge("m")
    system, user = meta.messages(JudgeInput("Q?", "first", "second"), "I pick A. Output (a)", "A>B")
    assert system.role == "system" and user.role == "user"
    text = user.content
    assert text.index("Q?") < text.index("first") < text.index("second")
    assert "I pick A. Output (a)" in text and "\nA>B\n" in text
    for c in DEFAULT_RUBRIC:
        assert f"Criterion: {c.name}" in text and c.levels[4] in text
    none = meta.messages(JudgeInput("Q", "a", "b"), "?", None)[1].content
    assert "none (no verdict could be read" in none


def test_a_user_rubric_file_in_judgebench_field_names(tmp_path: Path) -> None:
    path = tmp_path / "rubric.yaml"
    path.write_text(
        "- criterion: Exactness\n  description: Is it exact?\n"
        + "".join(f"  score_{n}: level {n}\n" for n in range(1, 6))
    )
    (criterion,) = read_rubric(path)
    assert (criterion.name, criterion.levels[2]) == ("Exactness", "level 3")
    path.write_text("- criterion: Exactness\n")
    with pytest.raises(ValueError, match=r"rubric\.yaml: criterion 1: needs text fields"):
        read_rubric(path)


def _pairs(path: Path) -> Path:
    rows = []
    for i in range(N):
        right, wrong = f"right answer {i}", f"wrong answer {i}"
        a, b, label = (right, wrong, "A>B") if i % 2 else (wrong, right, "B>A")
        rows.append(
            {
                "pair_id": f"pair-{i}",
                "original_id": None,
                "source": "livebench-reasoning",
                "question": f"Our question {i}?",
                "response_model": "m",
                "response_A": a,
                "response_B": b,
                "label": label,
            }
        )
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


def _index(text: str) -> int:
    return int(re.search(r"Our question (\d+)\?", text).group(1))  # type: ignore[union-attr]


def script(req: FakeRequest) -> str:
    text = req.last_user
    i = _index(text)
    if req.model == "meta":
        score = 2 if i % 3 == 0 else 5
        return "\n".join(f"Criterion: {c.name}\nScore: {score}" for c in DEFAULT_RUBRIC)
    shown_a = text.split("## Output (a)\n", 1)[1].split("\n\n## Output (b)", 1)[0]
    good_first = shown_a.startswith("right")
    if i % 3 == 0:  # this judge gets these pairs wrong, in both orders
        good_first = not good_first
    return "Output (a)" if good_first else "Output (b)"


JOB = """\
name: meta
output_dir: {out}
providers:
  p: {{type: openai_compatible, base_url: "{url}", retry: {{max_attempts: 1}}}}
pairs: [{{format: judgebench, path: {pairs}}}]
judges:
  - {{name: v, type: vanilla, provider: p, model: judge}}
meta_judge: {{provider: p, model: meta, threshold: 4}}
"""


def _run(job: Path) -> Any:
    return run_job(load_job(job, env={}), quiet=True)


def test_the_meta_judge_stage_end_to_end_with_resume_and_retry(tmp_path: Path) -> None:
    pairs = _pairs(tmp_path / "pairs.jsonl")
    job = tmp_path / "job.yaml"
    run_dir = tmp_path / "runs" / "meta"

    def fail_pair_one(req: FakeRequest) -> str | None:
        return "bad_request" if req.model == "meta" and _index(req.last_user) == 1 else None

    async def main() -> None:
        async with FakeServer(script, faults=fail_pair_one) as srv:
            job.write_text(JOB.format(out=tmp_path / "runs", url=srv.base_url_openai, pairs=pairs))
            first = await _run(job)
            assert first.exit_code == 1  # two meta-judge calls failed: resume retries them
            metas = [r for r in srv.requests if r["body"]["model"] == "meta"]
            assert len(metas) == 2 * N
        async with FakeServer(script) as srv:
            job.write_text(JOB.format(out=tmp_path / "runs", url=srv.base_url_openai, pairs=pairs))
            again = await _run(job)
            assert again.exit_code == 0
            sent = [r["body"]["model"] for r in srv.requests]
            assert sent == ["meta", "meta"]  # only the two failed meta-judgments
        async with FakeServer(script) as srv:
            job.write_text(JOB.format(out=tmp_path / "runs", url=srv.base_url_openai, pairs=pairs))
            assert (await _run(job)).exit_code == 0
            assert srv.requests == []  # everything paid for is reused

    anyio.run(main)
    records = [
        orjson.loads(x) for x in (run_dir / "meta_judgments.jsonl").read_bytes().splitlines()
    ]
    done = [r for r in records if not r["error"]]
    assert len(done) == 2 * N and len(records) == 2 * N + 2
    assert {(r["pair_id"], r["order"]) for r in done} == {
        (f"pair-{i}", o) for i in range(N) for o in ("AB", "BA")
    }
    judgments = {
        orjson.loads(x)["request_key"]
        for x in (run_dir / "judgments.jsonl").read_bytes().splitlines()
    }
    assert {r["judgment_key"] for r in done} == judgments
    stages = orjson.loads((run_dir / "stats.json").read_bytes())["stages"]
    assert list(stages)[-1] == "meta_judge"
    assert stages["meta_judge"]["reused"] == 2 * N
    summary = orjson.loads((run_dir / "summary.json").read_bytes())["runs"][0]["judges"]["v"]
    assert summary["templates"] == "ours"
    mj = summary["meta_judge"]
    # Pairs 0 and 3 are judged wrong and their judgments score 2: the meta-judge drops them.
    assert (mj["threshold"], mj["judgments_scored"], mj["judgments_kept"], mj["pairs_kept"]) == (
        4.0,
        12,
        8,
        4,
    )
    assert mj["accuracy"]["accuracy"] == 100.0
    assert mj["plain_accuracy"]["accuracy"] == pytest.approx(400 / 6)
    report = (run_dir / "report.md").read_text()
    assert "Meta-judge: 8 of 12 judgments reached a meta-score of 4" in report


def test_meta_judge_settings_are_checked(tmp_path: Path) -> None:
    pairs = _pairs(tmp_path / "pairs.jsonl")
    job = tmp_path / "job.yaml"
    text = JOB.format(out=tmp_path, url="http://127.0.0.1:1/v1", pairs=pairs)
    job.write_text(text.replace("threshold: 4}", "threshold: 4, judges: [nobody], rubric: r.yaml}"))
    with pytest.raises(JobError) as exc:
        load_job(job, env={})
    assert any(
        "meta_judge.judges names no judge of the job: nobody" in p for p in exc.value.problems
    )
    job.write_text(text.replace("threshold: 4}", "threshold: 9}"))
    with pytest.raises(JobError, match=r"job\.yaml:8: meta_judge\.threshold"):
        load_job(job, env={})


def test_dry_run_counts_one_meta_judge_call_per_judgment(tmp_path: Path) -> None:
    from engine.dryrun import estimate

    pairs = _pairs(tmp_path / "pairs.jsonl")
    job = tmp_path / "job.yaml"
    job.write_text(JOB.format(out=tmp_path, url="http://127.0.0.1:1/v1", pairs=pairs))
    est = estimate(load_job(job, env={}))
    assert est.calls["p/judge"] == est.calls["p/meta"] == 2 * N
    assert est.input_tokens["p/meta"] > est.input_tokens["p/judge"]
