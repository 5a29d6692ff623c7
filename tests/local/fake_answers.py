"""A fake-server script for the shipped jobs: an answerer that knows the demo set's ground
truth, plus a position-biased judge.

Answer requests carry a per-sample `seed`, or ask for several choices in one call (`n`,
`candidateCount`); judge requests do neither. The answer is right when the seed (or the
choice's index) is even and wrong when it is odd, in each source's own answer format, so every
source yields pairs; the judge always prefers the answer shown first (`always_first`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from fakes.judge_scripts import always_first

DEMO = Path(__file__).resolve().parents[2] / "jobs" / "demo_data"

# Right programs for the demo's coding problems, by title.
PROGRAMS = {
    "Sum of Two": "a, b = map(int, input().split())\nprint(a + b)",
    "Double It": "print(2 * int(input()))",
    "Backwards": "print(input()[::-1])",
    "Largest Number": "input()\nprint(max(map(int, input().split())))",
    "Even or Odd": "print('Yes' if int(input()) % 2 == 0 else 'No')",
    "Word Count": "print(len(input().split()))",
}


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@lru_cache(maxsize=1)
def truths() -> list[tuple[str, str, str]]:
    """(text to find in the prompt, kind, right answer) for every demo question."""
    out = [(r["question"], "mmlu", r["answer"]) for r in _rows(DEMO / "mmlu_pro.jsonl")]
    for task in ("reasoning/web_of_lies_v2", "math/AMPS_Hard"):
        for r in _rows(DEMO / "livebench" / task / "question.jsonl"):
            out.append((r["turns"][0], r["task"], r["ground_truth"]))
    for r in _rows(DEMO / "livecodebench.jsonl"):
        out.append((r["question_content"], "code", PROGRAMS[r["question_title"]]))
    return out


def answer(kind: str, truth: str, right: bool) -> str:
    if kind == "mmlu":
        letter = truth if right else "ABCD"[("ABCD".index(truth) + 1) % 4]
        return f"Thinking it over.\n{letter * 5}"
    if kind == "web_of_lies_v2":
        words = truth.split(", ")
        if not right:
            words[0] = "no" if words[0] == "yes" else "yes"
        return f"Following the chain.\n**{', '.join(words)}**"
    if kind == "AMPS_Hard":
        return f"Working it out.\n$\\boxed{{{truth if right else '12345'}}}$"
    return f"```python\n{truth if right else 'print(0)'}\n```"


def answer_or_judge(req: Any) -> str:
    if "seed" not in req.body and req.n == 1:
        return always_first(req)
    right = (int(req.body.get("seed") or 0) + req.choice) % 2 == 0
    for text, kind, truth in truths():
        if text in req.last_user:
            return answer(kind, truth, right)
    raise LookupError("not a demo question")
