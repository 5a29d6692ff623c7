"""Typed report objects made in memory, for the views' tests (plots, tables)."""

from __future__ import annotations

import random

from engine.records import ScoreRecord
from engine.report.build import report_of
from engine.report.columns import ScoreColumns
from engine.report.model import JudgeSummary, Report, RunCounts, RunSummary
from engine.scoring import group_accuracy, judge_metrics, outcome

SOURCES = ("mmlu-pro-law", "livebench-reasoning", "livebench-math", "livecodebench")
DECISIONS = ("A>B", "B>A", "A=B", None)


def scores(judge: str, n: int, seed: int, skill: float) -> list[ScoreRecord]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        label = rng.choice(("A>B", "B>A"))
        wrong = "B>A" if label == "A>B" else "A>B"
        ab = label if rng.random() < skill else rng.choice((wrong, "A=B", None))
        ba = label if rng.random() < skill else rng.choice((wrong, "A=B", None))
        src = SOURCES[i % 4]
        out.append(
            ScoreRecord(f"p{i}", judge, src, label, ab, ba, outcome(label, ab, ba), "gpt-4o")  # type: ignore[arg-type]
        )
    return out


def judge(name: str, items: list[ScoreRecord], model: str | None = None) -> JudgeSummary:
    return JudgeSummary(
        name=name,
        type="arena_hard",
        model=model or name,
        provider="fake",
        orders=2,
        family=None,
        pairs_scored=len(items),
        pairs_unscored=0,
        calls_recorded=2 * len(items),
        call_errors=0,
        metrics=judge_metrics(items),
        by_response_model=group_accuracy(
            (str(s.response_model), s.outcome == "correct") for s in items
        ),
        response_families={"gpt-4o": "openai"},
        scores=ScoreColumns.of(items),
    )


def run(name: str, judges: list[JudgeSummary], pairs: int) -> RunSummary:
    return RunSummary(
        run=f"runs/{name}",
        name=name,
        job_file=None,
        description=None,
        imported_from=None,
        counts=RunCounts(pairs, ("gpt-4o",), 0, 0, sum(j.pairs_scored for j in judges)),
        judges={j.name: j for j in judges},
        solve={},
        solve_vs_judge=(),
        providers={},
        no_pair_reasons={},
    )


LONG_NAMES = (
    "Skywork/Skywork-Critic-Llama-3.1-70B",
    "Skywork/Skywork-Critic-Llama-3.1-8B",
    "arena_hard/claude-3-5-sonnet-20240620",
    "prometheus2/prometheus-eval/prometheus-8x7b-v2.0",
    "reward_model/internlm/internlm2-20b-reward",
)


def report(n_judges: int, pairs: int = 40, seed: int = 0) -> Report:
    """One run with n judges of varied skill; the first names are long real-world ones."""
    names = [
        LONG_NAMES[i] if i < len(LONG_NAMES) else f"judge-{i:02d}/model-{i}"
        for i in range(n_judges)
    ]
    judges = [
        judge(nm, scores(nm, pairs, seed + i, 0.3 + 0.65 * i / max(1, n_judges - 1)))
        for i, nm in enumerate(names)
    ]
    return report_of([run("demo", judges, pairs)], generated="2024-01-01T00:00:00")
