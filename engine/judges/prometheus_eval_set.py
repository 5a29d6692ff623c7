"""The `prometheus-eval` template set: Prometheus 2's relative-grading prompt, system prompt
and rubric from the installed `prometheus-eval` package (``prometheus_eval.prompts``, its
public module), formatted as the package formats it; JudgeBench's decoding settings and
Prometheus 2's parser (the package's and JudgeBench's are the same rule)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from engine.judges import judgebench_rules as rules
from engine.judges.judgebench_set import JUDGEBENCH_OPTIONS
from engine.judges.template_sets import LoadedSet, TemplateChoice
from engine.judges.templating import TemplateError
from providers.base import Message

# JudgeBench's choice of Prometheus 2 rubric: the package's factual-validity criterion.
PROMETHEUS_CRITERIA = "factual_validity"


def load(choice: TemplateChoice, judge_type: str, params: Mapping[str, Any]) -> LoadedSet:
    if judge_type != "prometheus2":
        raise TemplateError(
            f"template set 'prometheus-eval' has only Prometheus 2's prompt, not {judge_type!r}"
        )
    try:
        prompts = importlib.import_module("prometheus_eval.prompts")
    except ImportError as exc:
        raise TemplateError(
            "template set 'prometheus-eval' needs the prometheus-eval package "
            f"(pip install 'judgeflow[prometheus]'): {exc}"
        ) from None
    try:
        template: str = prompts.RELATIVE_PROMPT_WO_REF
        system: str = prompts.REL_SYSTEM_PROMPT
        criteria = str(params.get("criteria") or PROMETHEUS_CRITERIA)
        rubric: str = (
            str(params["rubric"])
            if "rubric" in params
            else prompts.load_rubric(criteria, "relative")
        )
    except (AttributeError, ValueError) as exc:
        raise TemplateError(
            f"template set 'prometheus-eval': {type(exc).__name__}: {exc}"
        ) from None

    def render(q: str, a: str, b: str) -> list[Message]:
        # As the package fills it: str.format with every field it passes.
        text = template.format(
            instruction=q, response_A=a, response_B=b, rubric=rubric, reference_answer=None
        )
        return [Message("system", system), Message("user", text)]

    return LoadedSet(
        choice,
        render,
        rules.prometheus2,
        JUDGEBENCH_OPTIONS["prometheus2"],
        "\n\x1e".join((system, template, rubric)),
    )
