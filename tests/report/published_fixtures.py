"""Judge output files in JudgeBench's published format, written by us for the tests.

The pairs are the published GPT-4o pairs (../shared/data, read in place); the judges'
replies are our own scripted texts, one style per judge type, each ending in the verdict
mark that type's parser reads. A few replies and answers carry hostile markup, which the
viewer must show as text and never run.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson

GPT_PAIRS = "judgebench/dataset=judgebench,response_model=gpt-4o-2024-05-13.jsonl"
HOSTILE = (
    '<script>window.__pwned = "script";</script><img src=x onerror="window.__pwned = \'img\'">'
)
FLIP = {"A>B": "B>A", "B>A": "A>B"}

# (judge_name as JudgeBench writes it, judge model, skill, first-position bias)
JUDGES: tuple[tuple[str, str, float, float], ...] = (
    ("arena_hard", "gpt-4o-2024-05-13", 0.62, 0.5),
    ("arena_hard", "claude-3-5-sonnet-20240620", 0.66, 0.5),
    ("arena_hard", "gemini-1.5-pro", 0.55, 0.6),
    ("vanilla", "gpt-4o-mini", 0.5, 0.8),
    ("vanilla", "meta-llama/Llama-3.1-70B-Instruct", 0.45, 0.7),
    ("prometheus_2", "prometheus-eval/prometheus-7b-v2.0", 0.4, 0.6),
    ("skywork_critic", "Skywork/Skywork-Critic-Llama-3.1-70B", 0.6, 0.5),
    ("skywork_critic", "Skywork/Skywork-Critic-Llama-3.1-8B", 0.5, 0.55),
    ("auto_j", "GAIR/autoj-13b", 0.35, 0.5),
    ("judge_lm", "BAAI/JudgeLM-33B-v1.0", 0.35, 0.65),
    ("panda_lm", "WeOpenML/PandaLM-7B-v1", 0.3, 0.6),
)


def reply(judge_name: str, decision: str | None, rng: random.Random) -> str:
    """A reply in the judge type's format whose verdict mark says `decision`."""
    filler = (
        "Both assistants address the question; I check each step against my own work. "
        * rng.randint(1, 4)
    )
    if judge_name == "arena_hard":
        mark = {"A>B": "[[A>B]]", "B>A": "[[B>A]]", "A=B": "[[A=B]]"}.get(
            decision or "", "no verdict"
        )
        return f"My own answer: first I solve it.\n\n{filler}\n\nMy final verdict is {mark}."
    if judge_name == "vanilla":
        return {"A>B": "Output (a)", "B>A": "Output (b)"}.get(decision or "", "Both are fine.")
    if judge_name == "prometheus_2":
        letter = {"A>B": "A", "B>A": "B"}.get(decision or "", "none")
        return f"Feedback: {filler} [RESULT] {letter}"
    if judge_name == "skywork_critic":
        return {"A>B": "[[A]]", "B>A": "[[B]]"}.get(decision or "", "I cannot tell.")
    if judge_name == "auto_j":
        word = {"A>B": "Response 1", "B>A": "Response 2", "A=B": "Tie"}.get(
            decision or "", "unclear"
        )
        return f"{filler}\n\nSo, the final decision is {word}"
    if judge_name == "judge_lm":
        scores = {"A>B": "8 3", "B>A": "3 8", "A=B": "5 5"}.get(decision or "", "n/a")
        return f"{scores}\n{filler}"
    if judge_name == "panda_lm":
        return {"A>B": "1", "B>A": "2", "A=B": "Tie"}.get(decision or "", "?") + f"\n\n{filler}"
    raise ValueError(judge_name)


def _decide(label: str, skill: float, bias: float, first: str, rng: random.Random) -> str | None:
    """One order's decision in that order's terms: `first` is what "A" means there."""
    r = rng.random()
    if r < skill:
        return label
    if r < skill + (1 - skill) * 0.8:
        return first if rng.random() < bias else FLIP[first]
    return rng.choice(("A=B", None))


def write_outputs(shared_data: Path, out: Path, n_pairs: int | None = None) -> list[Path]:
    """One published-format output file per judge in JUDGES; returns the files."""
    pairs = [orjson.loads(x) for x in (shared_data / GPT_PAIRS).read_bytes().splitlines()]
    pairs = pairs[:n_pairs] if n_pairs else pairs
    for k, p in enumerate(pairs):  # hostile markup in a few answers, as text
        if k % 50 == 7:
            p["response_B"] = p["response_B"] + "\n\n" + HOSTILE
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for j, (name, model, skill, bias) in enumerate(JUDGES):
        rng = random.Random(1000 + j)
        lines = []
        for k, p in enumerate(pairs):
            label = p["label"]
            # order 1 shows (A, B): "A>B" picks the first shown; order 2 shows (B, A),
            # judged in its own terms, where the pair's label reads flipped.
            d1 = _decide(label, skill, bias, "A>B", rng)
            d2 = _decide(FLIP[label], skill, bias, "A>B", rng)
            entries: list[Any] = []
            for d in (d1, d2):
                text = reply(name, d, rng)
                if k % 60 == 3:
                    text += "\n\n" + HOSTILE
                parsed = (
                    d
                    if name not in ("vanilla", "skywork_critic", "prometheus_2") or d != "A=B"
                    else None
                )
                judgment = {"judge_model": model, "prompt": "(prompt)", "response": text}
                entries.append({"judgment": judgment, "decision": parsed})
            lines.append(orjson.dumps({**p, "judge_name": name, "judgments": entries}))
        safe = model.replace("/", "_")
        f = out / (
            "dataset=judgebench,response_model=gpt-4o-2024-05-13,"
            f"judge_name={name},judge_model={safe}.jsonl"
        )
        f.write_bytes(b"\n".join(lines) + b"\n")
        files.append(f)
    return files
