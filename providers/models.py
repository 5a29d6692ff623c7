"""Model rules as data: what each model family accepts, and what a request becomes for it.

The table ships as `providers/models.yaml` (its header documents every field); a job lays its
own entries over it (`providers.<name>.models`). `ModelTable.rule` finds a model's family;
`plan` turns a request's decoding options into what is sent: the temperature the model
allows, a token cap with room for reasoning, the reasoning control, streaming. A `Plan` says
what was sent (`sent`, kept in the record) and which of those values the job did not ask for
(`key_part`, part of the request key, so a changed table never reuses answers made under
other settings). Pure; the wire modules spell the plan in each API's fields.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

Api = Literal["openai", "openai_compatible", "anthropic", "gemini"]
TABLE_FILE = Path(__file__).with_name("models.yaml")
# Calls whose answers may run long stream by default (an alive stream is never cut).
LONG_ANSWER_TOKENS = 8192


class Fixed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    fixed: float


class Range(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    range: tuple[float, float]


TemperatureRule = Literal["any", "none"] | Fixed | Range
Control = Literal["none", "effort", "thinking", "adaptive", "budget", "level"]
Structured = Literal["native", "as_given", "openapi_only", "none"]
# Fractions of reasoning_budget asked for by effort names (`thinking` and `budget` controls).
_EFFORT_SHARE = {"minimal": 0.125, "low": 0.25, "medium": 0.5, "high": 1.0}


class ModelRule(BaseModel):
    """One model family's rules (a job's override gives only the fields it changes)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: str = ""
    match: tuple[str, ...] = ()
    temperature: TemperatureRule = "any"
    temperature_reasoning: TemperatureRule = "none"
    token_field: str = "max_completion_tokens"
    system: Literal["system", "developer", "fold"] = "system"
    thinks_by_default: bool = False
    control: Control = "none"
    efforts: tuple[str, ...] = ()
    effort: str | None = None
    reasoning_budget: int = Field(0, ge=0)
    budget_min: int = Field(0, ge=0)
    budget_max: int | None = Field(None, ge=0)
    max_output_tokens: int | None = Field(None, ge=1)
    structured_output: Structured = "native"
    stream: bool | None = None
    max_n: int = Field(1, ge=1)

    def over(self, base: ModelRule) -> ModelRule:
        """This override's given fields laid over `base`."""
        return base.model_copy(update={k: getattr(self, k) for k in self.model_fields_set})


PLAIN = ModelRule()  # an unknown model: the job's options as given


@lru_cache(maxsize=1)
def packaged_rules() -> Mapping[str, tuple[ModelRule, ...]]:
    """The shipped table, by provider type."""
    data = yaml.safe_load(TABLE_FILE.read_text(encoding="utf-8"))
    return {
        api: tuple(ModelRule.model_validate(e) for e in entries) for api, entries in data.items()
    }


def model_id(model: str) -> str:
    """The id the table matches (Gemini accepts `models/NAME` too)."""
    return model.removeprefix("models/")


class ModelTable:
    """The rules one provider uses: the job's overrides over the packaged entries of its type."""

    def __init__(self, api: Api, overrides: Mapping[str, ModelRule] | None = None) -> None:
        self.api = api
        self.entries = packaged_rules().get(api, ())
        self.overrides = dict(overrides or {})
        self._cache: dict[str, tuple[ModelRule, bool]] = {}

    def rule(self, model: str) -> tuple[ModelRule, bool]:
        """(the model's rule, whether the table knows the model)."""
        hit = self._cache.get(model)
        if hit is None:
            hit = self._cache[model] = self._lookup(model_id(model))
        return hit

    def _lookup(self, name: str) -> tuple[ModelRule, bool]:
        base = next((e for e in self.entries if _matches(name, e.match)), None)
        rule, known = (base, True) if base is not None else (PLAIN, False)
        for glob, override in self.overrides.items():
            if fnmatch.fnmatchcase(name, glob):
                rule = override.over(rule)
                if not known:
                    rule, known = rule.model_copy(update={"family": rule.family or glob}), True
        return rule, known


def _matches(name: str, globs: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, g) for g in globs)


@dataclass(frozen=True, slots=True)
class Plan:
    """What one request's options become for its model."""

    rule: ModelRule
    known: bool
    temperature: float | None  # sent; None: not sent
    max_tokens: int | None  # sent; None: not sent (the API's own default)
    reasoning: bool  # the model reasons on this request
    effort: str | None  # the reasoning control's value to send; None: the API's default
    budget: int | None  # thinking tokens to ask for (`thinking`, `budget` controls)
    stream: bool
    notes: tuple[str, ...]
    key_part: Mapping[str, Any]  # sent values the job did not ask for (part of request keys)
    record: Mapping[str, Any] = field(default_factory=dict)  # `sent()`, made once

    def __post_init__(self) -> None:
        # What every record of this plan keeps, made once (the documented way to set a
        # derived field of a frozen dataclass).
        object.__setattr__(self, "record", self.sent())

    def sent(self, n: int = 1) -> dict[str, Any]:
        """What the record keeps of this call's settings."""
        if n == 1 and self.record:
            return dict(self.record)
        out: dict[str, Any] = {
            "family": self.rule.family if self.known else None,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stream": self.stream,
        }
        if self.reasoning or self.effort is not None:
            out["reasoning"] = {"effort": self.effort, "budget": self.budget}
        if n > 1:
            out["n"] = n
        if self.notes:
            out["notes"] = list(self.notes)
        return out


def plan(
    rule: ModelRule,
    known: bool,
    *,
    model: str,
    temperature: float | None,
    max_tokens: int | None,
    asked_effort: str | None = None,
    stream: bool | None = None,
    default_max_tokens: int | None = None,
) -> Plan:
    """The settings to send for one request.

    `asked_effort` is a reasoning setting the request itself carries in `extra` (the API's
    own field; CUSTOM when it sets a thinking config of its own), else the rule's applies;
    `stream` is the job's choice (None: decide here); `default_max_tokens` is the cap an API
    requires when the job gives none (Anthropic)."""
    notes: list[str] = []
    key: dict[str, Any] = {}
    effort = asked_effort if asked_effort is not None else rule.effort
    reasoning = rule.thinks_by_default if effort is None else effort != "none"
    if asked_effort is None and rule.effort is not None:
        key["effort"] = rule.effort  # the table or the job's override asks, not the request

    t_rule = rule.temperature_reasoning if reasoning else rule.temperature
    sent_t, t_note = _temperature(t_rule, temperature)
    if t_note:
        notes.append(t_note.format(model=model))
    if sent_t is not None and sent_t != temperature:
        key["temperature"] = sent_t

    cap = max_tokens if max_tokens is not None else default_max_tokens
    budget = _budget(rule, effort) if reasoning else None
    if cap is not None and reasoning and rule.reasoning_budget:
        notes.append(f"max_tokens {cap} + {rule.reasoning_budget} for reasoning ({rule.family})")
        cap += rule.reasoning_budget
    if cap is not None and rule.max_output_tokens is not None and cap > rule.max_output_tokens:
        cap = rule.max_output_tokens
    if budget is not None and cap is not None and budget >= cap:
        budget = max(rule.budget_min, cap // 2)
    if max_tokens is not None and cap != max_tokens:
        key["max_tokens"] = cap
    if budget is not None:
        key["budget"] = budget

    if stream is None:
        stream = rule.stream if rule.stream is not None else (cap or 0) >= LONG_ANSWER_TOKENS
    if not known:
        notes.append(f"{model} is not in the model table: options sent as given")
    sent_effort = None if effort == CUSTOM else effort
    return Plan(rule, known, sent_t, cap, reasoning, sent_effort, budget, stream, tuple(notes), key)


CUSTOM = "custom"  # the request's `extra` carries the API's own reasoning settings


def effort_problem(rule: ModelRule, effort: str | None) -> str | None:
    """Why `effort` cannot be sent to a model of this family (None when it can)."""
    if effort is None or effort == CUSTOM:
        return None
    if rule.control == "none":
        return f"{rule.family or 'this model'} has no reasoning control to set effort {effort!r}"
    if rule.efforts and effort not in rule.efforts:
        return f"effort {effort!r} is not one of {', '.join(rule.efforts)} ({rule.family})"
    return None


def _temperature(rule: TemperatureRule, asked: float | None) -> tuple[float | None, str | None]:
    """(temperature to send, a note with a {model} placeholder, or None)."""
    if asked is None or rule == "any":
        return asked, None
    if rule == "none":
        return None, f"temperature {asked} not sent: {{model}} takes none"
    if isinstance(rule, Fixed):
        if asked == rule.fixed:
            return None, None  # the model's own default: nothing to send, nothing lost
        return None, f"temperature {asked} not sent: {{model}} takes only {rule.fixed:g}"
    assert isinstance(rule, Range)
    lo, hi = rule.range
    clamped = min(max(asked, lo), hi)
    return clamped, (None if clamped == asked else f"temperature {asked} -> {clamped} ({{model}})")


def _budget(rule: ModelRule, effort: str | None) -> int | None:
    """Thinking tokens for the `thinking` and `budget` controls (None: the API decides)."""
    if rule.control not in ("thinking", "budget") or effort in (None, CUSTOM):
        return None  # Anthropic thinks only when asked; Gemini picks its own by default
    if effort == "dynamic":
        return -1
    tokens = max(rule.budget_min, int(rule.reasoning_budget * _EFFORT_SHARE.get(effort, 1.0)))
    return min(tokens, rule.budget_max) if rule.budget_max is not None else tokens
