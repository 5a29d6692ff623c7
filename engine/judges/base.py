"""The interface every judge type implements.

A judge sees one pair in one order (the engine swaps the answers for the BA order)
and returns a decision in that order's own terms: "A>B", "B>A", "A=B" or None.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.records import Decision
from providers.base import Provider, Usage

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class JudgeInput:
    question: str
    answer_a: str
    answer_b: str


@dataclass(frozen=True, slots=True)
class JudgeOutput:
    decision: Decision | None
    # Every reply the judge model gave, in order (follow-up turns and agents included).
    raw: str
    usage: Usage = Usage()
    cost: float = 0.0
    calls: int = 1


@dataclass(frozen=True, slots=True)
class JudgeSpec:
    """What the job says about one judge."""

    name: str  # the label used in records and reports
    type: str  # judge type, e.g. "arena_hard"
    model: str
    params: Mapping[str, Any] = field(default_factory=dict)
    template: str | None = None  # overriding template text (already read from its file)


class Judge(ABC):
    """One judge type. Subclasses set `TYPE` and implement `judge`."""

    TYPE: str = ""

    def __init__(self, spec: JudgeSpec) -> None:
        self.spec = spec

    def fingerprint(self) -> Mapping[str, Any]:
        """Everything that changes the judge's output; part of each judgment's request key."""
        return {"type": self.TYPE, "model": self.spec.model, "params": dict(self.spec.params),
                "template": self.spec.template}

    @abstractmethod
    async def judge(self, item: JudgeInput, provider: Provider) -> JudgeOutput:
        """Judge one pair in one order. Provider errors propagate (they are not decisions)."""
