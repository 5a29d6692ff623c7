"""Stage totals for the ETA: counted once beside the run, without building questions."""

from __future__ import annotations

from pathlib import Path

import anyio
import orjson
import pytest

from engine.checkpoint import RunStore
from engine.context import RunContext, RunCounters
from engine.jobload import load_job
from engine.pipeline import STAGES
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
