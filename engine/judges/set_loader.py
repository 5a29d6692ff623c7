"""Load a named template set: the one place that knows which module reads which set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.judges import judgebench_set, prometheus_eval_set
from engine.judges.template_sets import LoadedSet, TemplateChoice
from engine.judges.templating import TemplateError


def load_set(choice: TemplateChoice, judge_type: str, params: Mapping[str, Any]) -> LoadedSet:
    """The set's prompts and rules for `judge_type`; a missing file or an unsupported type
    is a `TemplateError` naming the set and what is missing."""
    if choice.set == "judgebench":
        return judgebench_set.load(choice, judge_type)
    if choice.set == "prometheus-eval":
        return prometheus_eval_set.load(choice, judge_type, params)
    raise TemplateError(f"template set {choice.set!r} is built in, not loaded")
