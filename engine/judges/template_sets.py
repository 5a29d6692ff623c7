"""Template sets: the judge prompts of another project, loaded at run time from the user's copy.

The repository holds no other project's prompt text. A judge (or the whole job) names a set:

* ``ours`` (the default): our own templates (engine/judges/templates/) and parsers;
* ``judgebench``: a clone of ScalerLab/JudgeBench (``path``), rendered as JudgeBench renders
  it, with its decoding settings and verdict rules (engine.judges.judgebench_set);
* ``prometheus-eval``: Prometheus 2's relative-grading prompt from the installed
  `prometheus-eval` package (engine.judges.prometheus_eval_set).

A `LoadedSet` turns a pair into the first turn's messages, says how many turns a judge may
take and what the follow-up says, and carries the decoding options, the verdict rule and
the source text (part of each judgment's key, so an edited clone makes new judgments).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from engine.judges.templating import TemplateError
from engine.records import Decision
from providers.base import Message
from providers.options import DecodingOptions

SetName = Literal["ours", "judgebench", "prometheus-eval"]
SETS: tuple[SetName, ...] = ("ours", "judgebench", "prometheus-eval")


@dataclass(frozen=True, slots=True)
class TemplateChoice:
    """What a job says: the set, where it lives (a folder, for ``judgebench``), a variant."""

    set: SetName = "ours"
    path: str | None = None
    variant: str | None = None

    def label(self) -> str:
        return self.set + (f" ({self.variant})" if self.variant else "")


Rule = Callable[[str], Decision | None]


@dataclass(frozen=True)
class LoadedSet:
    """A judge type's prompts and rules from one template set."""

    choice: TemplateChoice
    render: Callable[[str, str, str], list[Message]]  # (question, first, second) -> messages
    rule: Rule
    options: DecodingOptions
    source: str  # every text the set contributes, for the judgment's key
    attempts: int = 1  # turns a judge may take to reach a verdict (arena-hard: 2)
    followup: str | None = None
    labels: Callable[[str], tuple[Decision | None, bool]] | None = None  # arena-hard only


def load_set(choice: TemplateChoice, judge_type: str, params: Mapping[str, Any]) -> LoadedSet:
    """The set's prompts and rules for `judge_type`; a missing file or an unsupported type
    is a `TemplateError` naming the set and what is missing."""
    if choice.set == "judgebench":
        from engine.judges import judgebench_set

        return judgebench_set.load(choice, judge_type)
    if choice.set == "prometheus-eval":
        from engine.judges import prometheus_eval_set

        return prometheus_eval_set.load(choice, judge_type, params)
    raise TemplateError(f"template set {choice.set!r} is built in, not loaded")
