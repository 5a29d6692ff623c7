"""Helpers for batch-mode tests: a job on one API of the fake server, run in-process."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson

from fakes.server import FakeServer
from tests.engine.helpers import read_jsonl, write_questions

KEY_ENV = "JUDGEFLOW_TEST_KEY"
BATCH = "{max_age: 0.05, poll_initial: 0.05, poll_max: 0.2}"
PAID = ("responses.jsonl", "judgments.jsonl")
ALL = ("responses.jsonl", "verdicts.jsonl", "pairs.jsonl", "judgments.jsonl", "scores.jsonl")


def base_url(api: str, url: str) -> str:
    return {"openai": f"{url}/v1", "anthropic": url, "gemini": f"{url}/v1beta"}[api]


def server_base(api: str, srv: FakeServer) -> str:
    return base_url(api, srv.url)


def batch_job(
    tmp: Path,
    name: str,
    api: str,
    url: str,
    *,
    mode: str = "batch",
    n: int = 6,
    samples: int = 2,
    judge_mode: str | None = None,
    extra: str = "",
    concurrency: int = 64,
) -> Path:
    questions = tmp / "q.jsonl"
    if not questions.exists():
        write_questions(questions, n)
    start = (
        f"sources:\n  - {{format: mmlu_pro, path: {questions}}}\n"
        f"response_model: {{provider: p, model: answerer, samples: {samples}, "
        f"temperature: 0.7, max_tokens: 64}}"
    )
    if api == "anthropic":  # no seed: the k samples are alike, so judge a pairs file
        pairs = tmp / "pairs.jsonl"
        if not pairs.exists():
            write_pairs(pairs, n)
        start = f"pairs:\n  - {{format: judgebench, path: {pairs}}}"
    judge_extra = f", mode: {judge_mode}" if judge_mode else ""
    job = tmp / f"{name}.yaml"
    job.write_text(
        f"""
name: {name}
output_dir: {tmp / "runs"}
seed: 5
providers:
  p:
    type: {api}
    base_url: {base_url(api, url)}
    api_key_env: {KEY_ENV}
    mode: {mode}
    batch: {BATCH}
    retry: {{max_attempts: 3, initial_backoff: 0.01, max_backoff: 0.05}}
    prices: {{"*": {{input: 2.0, output: 8.0}}}}
{extra}
{start}
judges:
  - {{name: j, type: vanilla, provider: p, model: judge, max_tokens: 64{judge_extra}}}
concurrency: {{generate: {concurrency}, judge: {concurrency}}}
"""
    )
    return job


def write_pairs(path: Path, n: int) -> None:
    """JudgeBench-format pairs (our own text)."""
    with open(path, "wb") as fh:
        for i in range(n):
            pair = {
                "pair_id": f"p{i}",
                "original_id": i,
                "source": "mmlu-pro-math",
                "question": f"Synthetic question {i}: what is {i} + {i}?",
                "response_model": "answerer",
                "response_A": f"It is {2 * i}.",
                "response_B": f"It is {2 * i + 1}.",
                "label": "A>B" if i % 2 else "B>A",
            }
            fh.write(orjson.dumps(pair) + b"\n")


def records(run_dir: Path, name: str, drop: tuple[str, ...] = ()) -> Counter[bytes]:
    return Counter(
        orjson.dumps({k: v for k, v in r.items() if k not in drop}, option=orjson.OPT_SORT_KEYS)
        for r in read_jsonl(run_dir / name)
    )


def costless(run_dir: Path, name: str) -> Counter[bytes]:
    """Records without their cost (batch calls cost half)."""
    out: Counter[bytes] = Counter()
    for r in read_jsonl(run_dir / name):
        usage = {k: v for k, v in (r.get("usage") or {}).items() if k != "cost"}
        out[orjson.dumps({**r, "usage": usage}, option=orjson.OPT_SORT_KEYS)] += 1
    return out


def submitted(log: list[dict]) -> Counter[str]:
    """custom_id -> times it was submitted in a batch."""
    return Counter(e["custom_id"] for e in log if e.get("op") == "submit")
