"""Scripted judges for the loopback fake server: `(FakeRequest) -> str` callables.

Each script reads the whole prompt (system + every message), recognises which judge
format it asks for from the verdict strings our templates name, and answers in that
format:

* `Output (a)` / `Output (b)`             -> vanilla
* `[[A]]` / `[[B]]`                       -> skywork_critic
* `[RESULT]`                              -> prometheus2
* `final decision is`                     -> autoj
* `[Answer of Assistant 1]`               -> judgelm (two scores on the first line)
* `### Response 1:` with `Tie`            -> pandalm (`1` / `2` on the first line)
* anything else (arena_hard, compass_judger, multi_agent, overridden templates)
                                          -> arena_hard labels, e.g. `[[A>B]]`

`always_first` prefers the answer shown first, whatever it is: a position-biased judge.
`always_correct` prefers the answer JudgeBench labels correct. It finds the pair by its
two answer texts in the prompt, in the pair files named by the environment variable
`JUDGEFLOW_PAIRS` (paths separated by os.pathsep), and picks first or second by where
the correct text appears. `correct_score` is the same oracle for the reward-model
(pooling) API: pass it as the server's `score=`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import orjson

PAIRS_ENV = "JUDGEFLOW_PAIRS"


def _content(m: Any) -> str:
    if isinstance(m, tuple):  # FakeRequest.messages: (role, text)
        return str(m[1])
    content = m.get("content") if isinstance(m, dict) else getattr(m, "content", "")
    if isinstance(content, list):  # content blocks (Anthropic / OpenAI parts)
        content = " ".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return str(content or "")


def prompt_text(req: Any) -> str:
    """Everything the judge was shown: system prompt and every message's content."""
    return "\n".join([req.system or "", *(_content(m) for m in req.messages or [])])


def judge_format(text: str) -> str:
    if "Output (a)" in text:
        return "vanilla"
    if "[[A]]" in text:
        return "skywork_critic"
    if "[RESULT]" in text:
        return "prometheus2"
    if "final decision is" in text:
        return "autoj"
    if "[Answer of Assistant 1]" in text:
        return "judgelm"
    if "### Response 1:" in text and "Tie" in text:
        return "pandalm"
    return "arena_hard"


def verdict(fmt: str, first: bool) -> str:
    """A realistic reply in `fmt` preferring the first (True) or second shown answer."""
    if fmt == "vanilla":
        return "Output (a)" if first else "Output (b)"
    if fmt == "skywork_critic":
        return "[[A]]" if first else "[[B]]"
    if fmt == "prometheus2":
        return f"Feedback: One response reaches the right result. [RESULT] {'A' if first else 'B'}"
    if fmt == "autoj":
        n = 1 if first else 2
        return f"The key difference is correctness.\n\nSo, the final decision is Response {n}."
    if fmt == "judgelm":
        return ("9 3" if first else "3 9") + "\nOne assistant is correct, the other is not."
    if fmt == "pandalm":
        return ("1" if first else "2") + "\n\nReason: it is correct."
    return (
        "My own answer agrees with one of the assistants.\n\n"
        f"My final verdict is {'[[A>B]]' if first else '[[B>A]]'}."
    )


def always_first(req: Any) -> str:
    """A judge with pure position bias: it always prefers the answer shown first."""
    return verdict(judge_format(prompt_text(req)), first=True)


def always_second(req: Any) -> str:
    """The opposite bias: always the answer shown second."""
    return verdict(judge_format(prompt_text(req)), first=False)


@lru_cache(maxsize=8)
def _pairs(spec: str) -> tuple[tuple[str, str, str], ...]:
    out = []
    for path in filter(None, spec.split(os.pathsep)):
        with open(path, "rb") as fh:
            for line in fh:
                if line.strip():
                    p = orjson.loads(line)
                    out.append((p["response_A"], p["response_B"], p["label"]))
    return tuple(out)


def correct_is_first(text: str) -> bool | None:
    """Whether the labelled-correct answer appears before the wrong one in `text`."""
    for a, b, label in _pairs(os.environ.get(PAIRS_ENV, "")):
        ia, ib = text.find(a), text.find(b)
        if ia >= 0 and ib >= 0 and a != b:
            return (ia < ib) if label == "A>B" else (ib < ia)
    return None


@lru_cache(maxsize=8)
def _correct_answers(spec: str) -> frozenset[str]:
    return frozenset(a if label == "A>B" else b for a, b, label in _pairs(spec))


def correct_score(req: Any) -> float:
    """An oracle reward model (the fake server's `score=`): 1.0 for a labelled-correct
    answer, 0.0 for any other."""
    answer = next((_content(m) for m in reversed(req.messages) if m[0] == "assistant"), "")
    return 1.0 if answer in _correct_answers(os.environ.get(PAIRS_ENV, "")) else 0.0


def always_correct(req: Any) -> str:
    """An oracle judge: picks the answer JudgeBench labels correct, in either order."""
    text = prompt_text(req)
    first = correct_is_first(text)
    if first is None:
        raise LookupError(f"no pair from ${PAIRS_ENV} matches this prompt")
    return verdict(judge_format(text), first=first)
