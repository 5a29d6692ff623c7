"""Template sets: the judge prompts of another project, loaded at run time from the user's copy.

The repository holds no other project's prompt text. A judge (or the whole job) names a set:

* ``ours`` (the default): our own templates (engine/judges/templates/) and parsers;
* ``judgebench``: a clone of ScalerLab/JudgeBench (``path``), rendered as JudgeBench renders
  it, with its decoding settings and verdict rules (engine.judges.judgebench_set);
* ``prometheus-eval``: Prometheus 2's relative-grading prompt from the installed
  `prometheus-eval` package (engine.judges.prometheus_eval_set).

This module holds the shapes; `engine.judges.set_loader` picks the loader. A `LoadedSet`
turns a pair into the first turn's messages, says how many turns a judge may take and what
the follow-up says, and carries the decoding options, the verdict rule and the source text
(part of each judgment's key, so an edited clone makes new judgments).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

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
