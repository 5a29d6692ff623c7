"""What `validate` asks of a provider before anything is sent (pure apart from env lookups):
can this model take this response schema, and is the job's reasoning effort one it has."""

from __future__ import annotations

from typing import Any

from providers.config import ProviderConfig
from providers.models import Api, ModelTable, effort_problem
from providers.schema import schema_problem


def table_api(config: ProviderConfig) -> Api:
    """The model-table section a provider type reads (the local llama.cpp server is a
    compatible server)."""
    if config.type == "openai":
        return "openai"
    if config.type in ("anthropic", "gemini"):
        return config.type
    return "openai_compatible"


def model_problems(
    config: ProviderConfig, model: str, schema: dict[str, Any] | None = None
) -> list[str]:
    """Why requests to `model` on this provider would be refused (empty when they would not)."""
    api = table_api(config)
    rule, known = ModelTable(api, config.models).rule(model)
    problems = []
    if (p := effort_problem(rule, rule.effort)) is not None:
        problems.append(f"model {model!r}: {p}")
    if schema is not None and known and (p := schema_problem(api, rule, schema)) is not None:
        problems.append(f"model {model!r}: {p}")
    return problems
