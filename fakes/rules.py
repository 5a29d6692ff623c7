"""What the real APIs refuse with a 400, so a client that sends it fails against the fake too.

Written from the APIs' documentation and the error messages users report, independently of
the client's model table (providers/models.yaml): a test passes only when the two agree.
`refusal(api, model, body)` is None for an acceptable request, else the error message.
The OpenAI route also stands in for compatible servers (vLLM, llama.cpp), which take what
OpenAI refuses: its rules apply to OpenAI's own model names only.
"""

from __future__ import annotations

import fnmatch
from typing import Any

OPENAI_MODELS = ("gpt-*", "o1*", "o3*", "o4*", "chatgpt-*")
OPENAI_REASONING = ("o1*", "o3*", "o4*", "gpt-5*")
OPENAI_NO_DEVELOPER = ("o1-mini*", "o1-preview*")
# gpt-5 models newer than 5.0 take a temperature when reasoning is off (effort "none").
OPENAI_TEMPERATURE_IF_NO_REASONING = ("gpt-5.*",)
ANTHROPIC_NO_SAMPLING = (
    "claude-opus-4-7*",
    "claude-opus-4-8*",
    "claude-opus-5*",
    "claude-sonnet-5*",
)
ANTHROPIC_ADAPTIVE_ONLY = ANTHROPIC_NO_SAMPLING
GEMINI_ALWAYS_THINKS = ("gemini-2.5-pro*", "gemini-3*")
GEMINI_ONE_CANDIDATE = ("gemini-3*",)
GEMINI_NO_SYSTEM = ("gemma-*",)


def _is(model: str, globs: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(model, g) for g in globs)


def refusal(api: str, model: str, body: dict[str, Any]) -> str | None:
    if api == "openai":
        return _openai(model, body)
    if api == "anthropic":
        return _anthropic(model, body)
    if api == "gemini":
        return _gemini(model, body)
    return None


def _openai(model: str, body: dict[str, Any]) -> str | None:
    if not _is(model, OPENAI_MODELS):
        return None  # a compatible server's model
    reasoning = _is(model, OPENAI_REASONING) and "chat" not in model
    if reasoning and "max_tokens" in body:
        return (
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead."
        )
    effort_off = body.get("reasoning_effort") == "none"
    temperature = body.get("temperature")
    if _is(model, OPENAI_REASONING) and temperature is not None and temperature != 1:
        if not (_is(model, OPENAI_TEMPERATURE_IF_NO_REASONING) and effort_off):
            return (
                f"Unsupported value: 'temperature' does not support {temperature} with this "
                "model. Only the default (1) value is supported."
            )
    roles = [m.get("role") for m in body.get("messages", [])]
    if _is(model, OPENAI_NO_DEVELOPER) and ({"system", "developer"} & set(roles)):
        return "Unsupported value: 'messages[0].role' does not support 'system' with this model."
    if "reasoning_effort" in body and not reasoning:
        return "Unrecognized request argument supplied: reasoning_effort"
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema") or {}
        if spec.get("strict"):
            problem = _not_strict(spec.get("schema") or {}, ())
            if problem:
                return f"Invalid schema for response_format '{spec.get('name')}': {problem}"
    return None


def _not_strict(node: Any, where: tuple[str, ...]) -> str | None:
    """OpenAI's strict-mode rule: every object closed, every property required."""
    if isinstance(node, list):
        return next((p for item in node if (p := _not_strict(item, where))), None)
    if not isinstance(node, dict):
        return None
    if node.get("type") == "object" or "properties" in node:
        if node.get("additionalProperties") is not False:
            return (
                f"In context={where}, 'additionalProperties' is required to be supplied "
                "and to be false."
            )
        missing = [k for k in node.get("properties", {}) if k not in node.get("required", [])]
        if missing:
            return (
                f"In context={where}, 'required' is required to be supplied and to be an array "
                f"including every key in properties. Missing '{missing[0]}'."
            )
    for key, value in node.items():
        if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
            for name, sub in value.items():
                if problem := _not_strict(sub, (*where, key, name)):
                    return problem
        elif key in ("items", "anyOf", "allOf", "oneOf"):
            if problem := _not_strict(value, (*where, key)):
                return problem
    return None


def _anthropic(model: str, body: dict[str, Any]) -> str | None:
    thinking = body.get("thinking") or {}
    temperature = body.get("temperature")
    if _is(model, ANTHROPIC_NO_SAMPLING) and temperature is not None:
        return "`temperature` is deprecated for this model."
    if thinking.get("type") == "enabled" and _is(model, ANTHROPIC_ADAPTIVE_ONLY):
        return (
            '"thinking.type.enabled" is not supported for this model. Use '
            '"thinking.type.adaptive" and "output_config.effort" to control thinking behavior.'
        )
    if thinking.get("type") in ("enabled", "adaptive") and temperature not in (None, 1):
        return "`temperature` may only be set to 1 when thinking is enabled."
    if thinking.get("type") == "enabled":
        budget = int(thinking.get("budget_tokens") or 0)
        if budget < 1024:
            return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
        if budget >= int(body.get("max_tokens") or 0):
            return "`max_tokens` must be greater than `thinking.budget_tokens`."
    if temperature is not None and not 0 <= temperature <= 1:
        return "temperature: Input should be less than or equal to 1"
    fmt = (body.get("output_config") or {}).get("format")
    if fmt is not None:
        problem = _not_closed(fmt.get("schema") or {})
        if problem:
            return f"output_config.format.schema: {problem}"
    return None


def _not_closed(node: Any) -> str | None:
    """Anthropic's rule: every object has additionalProperties false."""
    if isinstance(node, list):
        return next((p for item in node if (p := _not_closed(item))), None)
    if not isinstance(node, dict):
        return None
    if (node.get("type") == "object" or "properties" in node) and (
        node.get("additionalProperties") is not False
    ):
        return "For 'object' type, 'additionalProperties' must be explicitly set to false"
    return next((p for v in node.values() if (p := _not_closed(v))), None)


def _gemini(model: str, body: dict[str, Any]) -> str | None:
    config = body.get("generationConfig") or {}
    if "responseSchema" in config and "responseJsonSchema" in config:
        return "responseSchema and responseJsonSchema cannot both be set."
    if "responseSchema" in config:
        field = _openapi_unknown(config["responseSchema"])
        if field:
            return (
                f'Invalid JSON payload received. Unknown name "{field}" at '
                "'generation_config.response_schema': Cannot find field."
            )
    thinking = config.get("thinkingConfig") or {}
    if "thinkingBudget" in thinking and "thinkingLevel" in thinking:
        return "thinkingBudget and thinkingLevel cannot both be set."
    if thinking.get("thinkingBudget") == 0 and _is(model, GEMINI_ALWAYS_THINKS):
        return "Budget 0 is invalid. This model only works in thinking mode."
    if int(config.get("candidateCount") or 1) > 1 and _is(model, GEMINI_ONE_CANDIDATE):
        return f"Multiple candidates is not enabled for models/{model}"
    if "systemInstruction" in body and _is(model, GEMINI_NO_SYSTEM):
        return f"Developer instruction is not enabled for models/{model}"
    return None


_OPENAPI_FIELDS = {
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "maxItems",
    "minItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
    "propertyOrdering",
    "default",
    "items",
    "minimum",
    "maximum",
}


def _openapi_unknown(node: Any, in_properties: bool = False) -> str | None:
    """The first key of Gemini's OpenAPI `Schema` that the proto does not have."""
    if isinstance(node, list):
        return next((f for item in node if (f := _openapi_unknown(item))), None)
    if not isinstance(node, dict):
        return None
    if not in_properties:
        unknown = sorted(node.keys() - _OPENAPI_FIELDS)
        if unknown:
            return unknown[0]
    for key, value in node.items():
        field = _openapi_unknown(value, in_properties=key == "properties" and not in_properties)
        if field:
            return field
    return None
