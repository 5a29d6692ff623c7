"""Stage totals for the ETA: estimated from intake's reading and a head sample, exact for
small files, never by reading a source twice."""

from __future__ import annotations

from pathlib import Path

import anyio
import orjson
import pytest

from engine.checkpoint import RunStore
from engine.context import RunContext, RunCounters
from engine.jobload import load_job
from engine.pipeline import STAGES
from engine.stages import totals
from engine.stages.totals import count_totals
from tests.engine.helpers import write_questions
from verifiers import registry

JOB = """
name: totals
output_dir: {out}
providers:
  p: {{type: openai_compatible, base_url: "http://127.0.0.1:9/v1"}}
sources:
  - {{format: mmlu_pro, path: {law}, options: {{categories: [law]}}}}
  - {{format: mmlu_pro, path: {math}, limit: 7}}
response_model: {{provider: p, model: m, samples: 3}}
solvers: [{{provider: p, model: s, samples: 2}}]
"""


def _ctx(tmp_path: Path, job: str, limit: int | None = None) -> RunContext:
    (tmp_path / "job.yaml").write_text(job)
    loaded = load_job(tmp_path / "job.yaml", env={})
    return RunContext(
        loaded=loaded,
        store=RunStore(tmp_path / "run"),
        providers={},
        judges={},
        counters=RunCounters(),
        limit=limit,
    )


def _count(ctx: RunContext) -> dict[str, int | None]:
    stats = {name: ctx.counters.register(name, unit) for name, unit in STAGES["sources"]}

    async def main() -> None:
        await count_totals(ctx, stats, anyio.CancelScope())

    anyio.run(main)
    return {name: s.total for name, s in stats.items()}


def test_totals_follow_the_loaders_filters_and_limits(tmp_path: Path) -> None:
    law, math = tmp_path / "law.jsonl", tmp_path / "math.jsonl"
    write_questions(math, 20)  # category "math": the limit keeps 7
    rows = [orjson.loads(line) for line in math.read_bytes().splitlines()]
    with open(law, "wb") as fh:
        for i, row in enumerate(rows):
            # 5 law questions among 20; a malformed law line is counted too (an estimate).
            row["category"] = "law" if i % 4 == 0 else "math"
            fh.write(orjson.dumps(row) + b"\n")
        fh.write(b"{not json\n")
    totals = _count(_ctx(tmp_path, JOB.format(out=tmp_path, law=law, math=math)))
    assert totals == {
        "load": 12,
        "generate": 12 * 5,
        "verify": 12 * 5,
        "pair": 12,
        "judge": None,  # known once pairing is done
        "score": None,
    }
    # --limit caps every source.
    capped = _count(_ctx(tmp_path, JOB.format(out=tmp_path, law=law, math=math), limit=3))
    assert capped["load"] == 6


def test_a_hugging_face_source_is_not_streamed_twice(tmp_path: Path) -> None:
    job = JOB.format(out=tmp_path, law="unused", math="unused").replace(
        "path: unused, options: {categories: [law]}",
        "options: {hf_dataset: TIGER-Lab/MMLU-Pro}",
    )
    job = job.replace("  - {format: mmlu_pro, path: unused, limit: 7}\n", "")
    totals = _count(_ctx(tmp_path, job))
    assert set(totals.values()) == {None}  # unknown until intake has read it
    assert registry.loader("mmlu_pro").wanted(Path("x"), hf_dataset="TIGER-Lab/MMLU-Pro") is None


def test_a_stage_is_registered_once() -> None:
    counters = RunCounters()
    counters.register("load", "questions")
    with pytest.raises(ValueError, match="registered twice"):
        counters.register("load", "items")


def _law_file(path: Path, n: int) -> None:
    write_questions(path, n)
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    with open(path, "wb") as fh:
        for i, row in enumerate(rows):
            row["category"] = "law" if i % 4 == 0 else "math"
            fh.write(orjson.dumps(row) + b"\n")


def test_a_large_source_is_estimated_from_its_head_not_read_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(totals, "HEAD_RECORDS", 40)
    law = tmp_path / "law.jsonl"
    _law_file(law, 4000)  # 1,000 law questions
    job = JOB.format(out=tmp_path, law=law, math=law).replace(
        "  - {format: mmlu_pro, path: " + str(law) + ", limit: 7}\n", ""
    )
    ctx = _ctx(tmp_path, job)
    reading = totals.Reading.of(ctx.job, None)
    stats = {name: ctx.counters.register(name, unit) for name, unit in STAGES["sources"]}

    async def head_only() -> None:
        # With a live reading the estimate keeps refining: stop it once it has set totals.
        scope = anyio.CancelScope()
        async with anyio.create_task_group() as tg:
            tg.start_soon(totals.count_totals, ctx, stats, scope, reading)
            with anyio.fail_after(10):
                while stats["load"].total is None:
                    await anyio.sleep(0.01)
            scope.cancel()

    anyio.run(head_only)
    (head,) = reading.inputs
    assert not head.counted  # an estimate: the head stopped after 40 law questions
    assert head.head is not None and abs(head.head - 1000) <= 100
    assert stats["load"].total == head.head

    # Intake's own reading refines it: half-way through the file, within a few percent.
    items = registry.load("mmlu_pro", law, categories=["law"], progress=head.progress)
    for _ in range(500):
        next(items)
        head.kept += 1
    estimate = reading.estimate()
    assert estimate is not None and abs(estimate - 1000) <= 20
    assert head.progress.unit == "bytes" and 0.4 < (head.progress.fraction or 0) < 0.6
