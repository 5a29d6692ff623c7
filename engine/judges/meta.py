"""The meta-judge: a model scores each judgment's reasoning on a rubric, 1 to 5 per criterion.

JudgeBench added this step later (`run_meta_judge.py`): judgments whose meta-score reaches a
threshold are kept, and accuracy over the kept ones is reported beside plain accuracy. The
method is theirs; the prompt and the default rubric here are ours (a job may give its own
rubric file and its own prompt template).

The meta-judge sees what the judge saw, in the order it saw it (the question, the answer
shown first, the one shown second), the judge's whole reply and its parsed decision, and
must answer one ``Criterion: <name>`` line and one ``Score: <1-5>`` line per criterion. The
meta-score is the mean of the criterion scores; a reply that does not score every
criterion has none (and its judgment is not kept).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.judges.base import TEMPLATES, JudgeInput
from engine.judges.templating import check, render
from providers.base import ChatRequest, Message, Provider, Usage
from providers.options import DecodingOptions

TEMPLATE = "meta_judge.txt"
PLACEHOLDERS = ("question", "answer_a", "answer_b", "judgment", "decision", "rubric")
OPTIONS = DecodingOptions(temperature=0.0, max_tokens=1024)


@dataclass(frozen=True, slots=True)
class Criterion:
    """One rubric criterion: what it measures and what each score from 1 to 5 means."""

    name: str
    description: str
    levels: tuple[str, str, str, str, str]


DEFAULT_RUBRIC: tuple[Criterion, ...] = (
    Criterion(
        "Verification",
        "Does the judgment check the answers against the question itself (working the "
        "problem, testing the claims) rather than trusting how they sound?",
        (
            "No checking at all; the verdict rests on impressions.",
            "A token check that could not catch a real error.",
            "Some claims are checked, the decisive ones are not.",
            "The decisive claims are checked, with small gaps.",
            "Every claim that decides the verdict is worked out or tested.",
        ),
    ),
    Criterion(
        "Soundness",
        "Is the judgment's own reasoning correct: its facts, steps and calculations?",
        (
            "Its reasoning is mostly wrong.",
            "Serious errors that touch the verdict.",
            "Errors, but not in the steps the verdict rests on.",
            "Correct apart from minor slips.",
            "Correct throughout.",
        ),
    ),
    Criterion(
        "Consistency",
        "Does the stated verdict follow from the judgment's own analysis?",
        (
            "The verdict contradicts the analysis.",
            "The verdict is loosely related to the analysis.",
            "The verdict follows, with an unexplained jump.",
            "The verdict follows, with a small gap.",
            "The verdict follows directly from the analysis.",
        ),
    ),
    Criterion(
        "Specificity",
        "Does the judgment name the concrete point where an answer goes wrong?",
        (
            "Only generic remarks.",
            "Vague pointers to a problem.",
            "A problem is located but not explained.",
            "The decisive error is named, briefly.",
            "The decisive error is named and shown.",
        ),
    ),
    Criterion(
        "Impartiality",
        "Is the judgment free of position, length and style preferences?",
        (
            "It openly prefers an answer for its place, length or tone.",
            "Style weighs more than substance.",
            "Style and substance weigh about the same.",
            "Substance decides; style is mentioned in passing.",
            "Only the substance of the answers decides.",
        ),
    ),
)


def read_rubric(path: Path) -> tuple[Criterion, ...]:
    """A rubric file (YAML or JSON): a list of ``{criterion, description, score_1 …
    score_5}`` (the field names JudgeBench's rubric uses). Errors name the file and entry."""
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the rubric: {exc}") from None
    if not isinstance(data, list) or not data:
        raise ValueError(f"{path}: a rubric is a non-empty list of criteria")
    out = []
    for i, item in enumerate(data, start=1):
        fields = ("criterion", "description", *(f"score_{n}" for n in range(1, 6)))
        if not isinstance(item, dict) or any(not isinstance(item.get(f), str) for f in fields):
            raise ValueError(f"{path}: criterion {i}: needs text fields {', '.join(fields)}")
        levels = tuple(item[f"score_{n}"] for n in range(1, 6))
        out.append(Criterion(item["criterion"], item["description"], levels))
    names = [c.name.lower() for c in out]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: criterion names must be unique")
    return tuple(out)


def rubric_text(rubric: Sequence[Criterion]) -> str:
    """The rubric as the prompt shows it."""
    blocks = []
    for c in rubric:
        lines = [f"Criterion: {c.name}", f"What it measures: {c.description}"]
        lines += [f"  {n}: {text}" for n, text in enumerate(c.levels, start=1)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


_SCORE_LINE = re.compile(
    r"^\W*criterion\W*:\s*(?P<name>[^\n]+?)\s*$\s*^\W*score\W*:\s*\[?(?P<score>[1-5])\b",
    re.IGNORECASE | re.MULTILINE,
)


def parse_scores(text: str, rubric: Sequence[Criterion]) -> dict[str, int]:
    """Criterion name -> score, for the criteria of `rubric` the reply scores (the last
    score given for a criterion counts)."""
    known = {c.name.lower(): c.name for c in rubric}
    found: dict[str, int] = {}
    for m in _SCORE_LINE.finditer(text):
        name = m.group("name").strip(" *`\"'[]").lower()
        if name in known:
            found[known[name]] = int(m.group("score"))
    return found


def meta_score(scores: Mapping[str, int], rubric: Sequence[Criterion]) -> float | None:
    """The mean criterion score, or None unless every criterion is scored."""
    if any(c.name not in scores for c in rubric):
        return None
    return sum(scores[c.name] for c in rubric) / len(rubric)


@dataclass(frozen=True, slots=True)
class MetaOutput:
    scores: Mapping[str, int]
    meta_score: float | None
    raw: str
    usage: Usage = Usage()  # noqa: RUF009 - Usage is frozen, sharing it is safe
    cost: float = 0.0


class MetaJudge:
    """Scores one judgment; `fingerprint` is part of each meta-judgment's key."""

    def __init__(
        self,
        model: str,
        *,
        options: DecodingOptions = OPTIONS,
        rubric: Sequence[Criterion] = DEFAULT_RUBRIC,
        template: str | None = None,
        template_origin: str | None = None,
    ) -> None:
        self.model = model
        self.options = OPTIONS.merge(options)
        self.rubric = tuple(rubric)
        self.template = template if template is not None else (TEMPLATES / TEMPLATE).read_text()
        origin = template_origin or str(TEMPLATES / TEMPLATE)
        allowed = {"system": (), "user": PLACEHOLDERS}
        self.sections = check(self.template, origin, required=("user",), allowed=allowed)

    def fingerprint(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "options": self.options.as_dict(),
            "rubric": [(c.name, c.description, c.levels) for c in self.rubric],
            "template": self.template,
        }

    def messages(self, item: JudgeInput, judgment: str, decision: str | None) -> list[Message]:
        values = {
            "question": item.question,
            "answer_a": item.answer_a,
            "answer_b": item.answer_b,
            "judgment": judgment,
            "decision": decision or "none (no verdict could be read from the judgment)",
            "rubric": rubric_text(self.rubric),
        }
        out = []
        if "system" in self.sections:
            out.append(Message("system", render(self.sections["system"], values)))
        out.append(Message("user", render(self.sections["user"], values)))
        return out

    async def score(
        self, item: JudgeInput, judgment: str, decision: str | None, provider: Provider
    ) -> MetaOutput:
        """Meta-judge one judgment. Provider errors propagate (a failed call is no score)."""
        request = ChatRequest(
            self.model, tuple(self.messages(item, judgment, decision)), self.options
        )
        resp = await provider.chat(request)
        scores = parse_scores(resp.text, self.rubric)
        return MetaOutput(
            scores, meta_score(scores, self.rubric), resp.text, usage=resp.usage, cost=resp.cost
        )
