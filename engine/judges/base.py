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
    usage: Usage = Usage()  # noqa: RUF009 - Usage is frozen, sharing it is safe
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
    template_path: str | None = None  # where that text came from, for error messages


class Judge(ABC):
    """One judge type. Subclasses set `TYPE` and implement `judge`.

    `TEMPLATE` names the default prompt file in templates/ (a job may override its text);
    `DEFAULTS` holds decoding defaults (temperature, max_tokens, ...) that `spec.params`
    override.
    """

    TYPE: str = ""
    TEMPLATE: str = ""
    DEFAULTS: Mapping[str, Any] = {}

    def __init__(self, spec: JudgeSpec) -> None:
        self.spec = spec
        self._template: str | None = None

    def template_text(self) -> str:
        """The effective template: the job's override, else the default file ("" if none)."""
        if self._template is None:
            if self.spec.template is not None:
                self._template = self.spec.template
            elif self.TEMPLATE:
                self._template = (TEMPLATES / self.TEMPLATE).read_text("utf-8")
            else:
                self._template = ""
        return self._template

    def template_origin(self) -> str:
        """Where the template came from, for error messages."""
        if self.spec.template is not None:
            return self.spec.template_path or f"template of judge {self.spec.name!r}"
        return str(TEMPLATES / self.TEMPLATE)

    def param(self, name: str, default: Any = None) -> Any:
        """A job parameter, else this judge type's default, else `default`."""
        if name in self.spec.params:
            return self.spec.params[name]
        return self.DEFAULTS.get(name, default)

    def fingerprint(self) -> Mapping[str, Any]:
        """Everything that changes the judge's output; part of each judgment's request key.

        The effective template text is included, so editing a template (default or
        override) makes new request keys instead of reusing stale judgments.
        """
        return {
            "type": self.TYPE,
            "model": self.spec.model,
            "params": dict(self.spec.params),
            "defaults": dict(self.DEFAULTS),
            "template": self.template_text(),
        }

    @abstractmethod
    async def judge(self, item: JudgeInput, provider: Provider) -> JudgeOutput:
        """Judge one pair in one order. Provider errors propagate (they are not decisions)."""
