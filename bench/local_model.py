"""Benchmark the embedded local model: start-up, speed, and whether constrained outputs parse.

    .venv/bin/python bench/local_model.py [--per-source 4] [--starts 3]

Side by side in one run, on the demo starter set: the same questions asked with and without
the demo's llama.cpp grammars (same seeds, same max_tokens), and the two demo judges with and
without their verdict grammars. Prints parse rates, mean latency and tokens/s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import anyio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.jobspec import ModelRef  # noqa: E402
from engine.judges.arena_hard import parse as parse_arena  # noqa: E402
from engine.judges.vanilla import parse as parse_vanilla  # noqa: E402
from engine.requests import answer_request  # noqa: E402
from providers.base import ChatRequest  # noqa: E402
from providers.config import LocalModel, ProviderConfig  # noqa: E402
from providers.local import LocalProvider  # noqa: E402
from verifiers import registry  # noqa: E402

JOBS = REPO / "jobs"
SOURCES = [
    ("mmlu_pro", "mmlu_pro.jsonl", {}, "mmlu_pro.gbnf", 200),
    ("livebench", "livebench/reasoning/web_of_lies_v2/question.jsonl", {}, "yes_no_3.gbnf", 200),
    ("livebench", "livebench/math/AMPS_Hard/question.jsonl", {}, "boxed.gbnf", 200),
    ("livecodebench", "livecodebench.jsonl", {"private_tests": False}, "python_block.gbnf", 300),
]
JUDGES = [
    ("vanilla", "verdict_vanilla.gbnf", parse_vanilla, 8),
    ("arena_hard", "verdict_arena_hard.gbnf", parse_arena, 120),
]


def request(prompt: str, grammar: str | None, max_tokens: int, seed: int) -> ChatRequest:
    """The engine's own request for the prompt, from settings as a job gives them."""
    files = {"grammar": f"grammars/{grammar}"} if grammar else {}
    ref = ModelRef(
        provider="local",
        model="local",
        temperature=1.0,
        max_tokens=max_tokens,
        extra={"seed": seed},
        extra_files=files,
    )
    return answer_request(ref, prompt, "bench", "bench", JOBS)


async def main(per_source: int, starts: int) -> None:
    config = ProviderConfig(type="local", local=LocalModel())
    ready = []
    for _ in range(starts):
        t = time.perf_counter()
        async with LocalProvider("local", config):
            ready.append(time.perf_counter() - t)
    print(f"server start to ready: median {statistics.median(ready):.2f} s over {starts} starts")

    rows: dict[str, dict[str, list[float]]] = {}
    async with LocalProvider("local", config) as provider:
        for fmt, rel, opts, grammar, max_tokens in SOURCES:
            questions = list(registry.load(fmt, JOBS / "demo_data" / rel, **opts))[:per_source]
            for q in questions:
                verify = registry.verifier_for(q.task)
                for mode in ("free", "grammar"):
                    req = request(q.prompt, grammar if mode == "grammar" else None, max_tokens, 7)
                    t = time.perf_counter()
                    resp = await provider.chat(req)
                    dt = time.perf_counter() - t
                    v = verify(q, resp.text)
                    r = rows.setdefault(
                        f"{q.task} {mode}", {"ok": [], "right": [], "s": [], "tok": [], "in": []}
                    )
                    r["ok"].append(float(v.extracted is not None))
                    r["right"].append(float(bool(v.correct)))
                    r["s"].append(dt)
                    r["tok"].append(resp.usage.output_tokens)
                    r["in"].append(resp.usage.input_tokens)
        pair_qs = list(registry.load("mmlu_pro", JOBS / "demo_data" / "mmlu_pro.jsonl"))
        for name, grammar, parse, max_tokens in JUDGES:
            for q in pair_qs[: per_source * 2]:
                prompt = (
                    f"Question: {q.question}\n\nOutput (a): The answer is {q.ground_truth}."
                    "\n\nOutput (b): The answer is Z.\n\nWhich output is better? Reply "
                    + (
                        "Output (a) or Output (b)."
                        if name == "vanilla"
                        else "with a short reason, then [[A>B]] or [[B>A]]."
                    )
                )
                for mode in ("free", "grammar"):
                    req = request(prompt, grammar if mode == "grammar" else None, max_tokens, 7)
                    t = time.perf_counter()
                    resp = await provider.chat(req)
                    dt = time.perf_counter() - t
                    r = rows.setdefault(
                        f"judge {name} {mode}",
                        {"ok": [], "right": [], "s": [], "tok": [], "in": []},
                    )
                    decision = parse(resp.text)
                    r["ok"].append(float(decision is not None))
                    r["right"].append(float(decision == "A>B"))
                    r["s"].append(dt)
                    r["tok"].append(resp.usage.output_tokens)
                    r["in"].append(resp.usage.input_tokens)
        stats = provider.stats

    print(
        f"\n{'task / mode':34} {'n':>3} {'parses':>7} {'right':>6} {'s/call':>7} "
        f"{'out tok':>8} {'in tok':>7}"
    )
    for key, r in rows.items():
        n = len(r["ok"])
        print(
            f"{key:34} {n:3d} {sum(r['ok']) / n:7.0%} {sum(r['right']) / n:6.0%} "
            f"{statistics.mean(r['s']):7.2f} {statistics.mean(r['tok']):8.0f} "
            f"{statistics.mean(r['in']):7.0f}"
        )
    total_s = sum(sum(r["s"]) for r in rows.values())
    print(
        f"\ncalls {stats.completed}, output tokens {stats.usage.output_tokens}, input tokens "
        f"{stats.usage.input_tokens}, wall in calls {total_s:.1f} s"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-source", type=int, default=4)
    ap.add_argument("--starts", type=int, default=3)
    args = ap.parse_args()
    anyio.run(main, args.per_source, args.starts)
