"""OpenAI Chat Completions, and any OpenAI-compatible server (vLLM, llama.cpp, Ollama, ...).

Wire format: POST {base}/chat/completions with Bearer auth. For type "openai", tokens are capped
with `max_completion_tokens`; compatible servers get the older `max_tokens` that they all know.
o-series models (o1, o3, o4-mini, ...) on type "openai" take no temperature, and their system
message becomes a `developer` message (folded into the first user turn for o1-mini/o1-preview,
which accept neither). `options.extra` is merged into the body as-is (llama.cpp `grammar`,
`seed`, ...). `score` calls vLLM's pooling API (POST {root}/pooling) of a reward model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from providers.accounting import cost_of, price_for
from providers.base import ChatRequest, ChatResponse, Message, Usage
from providers.errors import ErrorDetail, short
from providers.headers import RateLimitHeaders, openai_limits
from providers.http import HTTPProvider, Parsed, WireFormat

_O_SERIES = re.compile(r"^o\d")
_NO_DEVELOPER_ROLE = re.compile(r"^o1-(mini|preview)")

FINISH = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content_filter",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
}


def is_o_series(provider_type: str, model: str) -> bool:
    return provider_type == "openai" and bool(_O_SERIES.match(model))


def _messages(messages: tuple[Message, ...], model: str, o_series: bool) -> list[dict[str, str]]:
    out = [{"role": m.role, "content": m.content} for m in messages]
    if not o_series:
        return out
    if not _NO_DEVELOPER_ROLE.match(model):
        return [{**m, "role": "developer"} if m["role"] == "system" else m for m in out]
    system = "\n\n".join(m["content"] for m in out if m["role"] == "system")
    rest = [m for m in out if m["role"] != "system"]
    if system:
        for i, m in enumerate(rest):
            if m["role"] == "user":
                rest[i] = {"role": "user", "content": f"{system}\n\n{m['content']}"}
                break
        else:
            rest.insert(0, {"role": "user", "content": system})
    return rest


def build_body(request: ChatRequest, provider_type: str) -> dict[str, Any]:
    """The JSON body of a Chat Completions request (pure)."""
    o_series = is_o_series(provider_type, request.model)
    body: dict[str, Any] = {
        "model": request.model,
        "messages": _messages(request.messages, request.model, o_series),
    }
    opts = request.options
    if opts.temperature is not None and not o_series:
        body["temperature"] = opts.temperature
    if opts.max_tokens is not None:
        key = "max_completion_tokens" if provider_type == "openai" else "max_tokens"
        body[key] = opts.max_tokens
    if opts.response_schema is not None:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": dict(opts.response_schema), "strict": True},
        }
    body.update(opts.extra)
    return body


def parse_response(data: Any) -> ChatResponse:
    """Text, finish reason, usage and metadata of a Chat Completions body (pure).

    No choices at all (a filtered prompt) is a recorded empty answer, not an error.
    (Written for speed: it runs once per answer on the engine's hot path.)
    """
    u = data.get("usage")
    usage = parse_usage(u) if u else NO_USAGE
    raw: dict[str, Any] = {}
    if (rid := data.get("id")) is not None:
        raw["id"] = rid
    if (served := data.get("model")) is not None:
        raw["model"] = served
    if (fingerprint := data.get("system_fingerprint")) is not None:
        raw["system_fingerprint"] = fingerprint
    choices = data["choices"]
    if not choices:
        return ChatResponse("", "content_filter", usage, raw=raw)
    choice = choices[0]
    message = choice.get("message") or {}
    text = message.get("content") or ""
    if text.__class__ is not str:
        raise TypeError("message.content is not a string")
    reason = choice.get("finish_reason")
    finish = FINISH.get(reason, "other") if reason is not None else None
    if message.get("refusal"):
        raw["refusal"] = message["refusal"]
        finish = "content_filter"
    return ChatResponse(text, finish, usage, raw=raw)


NO_USAGE = Usage()


def parse_usage(u: Mapping[str, Any]) -> Usage:
    out = u.get("completion_tokens_details")
    inp = u.get("prompt_tokens_details")
    return Usage(
        int(u.get("prompt_tokens") or 0),
        int(u.get("completion_tokens") or 0),
        int(out.get("reasoning_tokens") or 0) if out else 0,
        int(inp.get("cached_tokens") or 0) if inp else 0,
    )


def parse_pooling(data: Any) -> float:
    """The reward of a vLLM pooling response: `data[0].data` is `[score]` for a sequence
    classifier, or one row per token (`[[...], ...]`) for token-level rewards (last token)."""
    value = data["data"][0]["data"]
    while isinstance(value, list):
        value = value[-1] if value and isinstance(value[0], list) else value[0]
    return float(value)


def error_detail(status: int, data: Any) -> ErrorDetail:
    err = data.get("error") if isinstance(data, dict) else None
    if not isinstance(err, dict):
        return ErrorDetail(short(data))
    message = str(err.get("message") or err.get("code") or "")
    code = err.get("code") or err.get("type")
    if code == "insufficient_quota" or err.get("type") == "insufficient_quota":
        return ErrorDetail(f"{message} [insufficient_quota]", stop="quota")
    if code == "invalid_api_key":
        return ErrorDetail(f"{message} [invalid_api_key]", stop="auth")
    return ErrorDetail(f"{message} [{code}]" if code else message)


class OpenAIProvider(HTTPProvider):
    api = "openai"
    wire = WireFormat(parse_response, error_detail)

    def auth_headers(self, api_key: str | None) -> dict[str, str]:
        return {"authorization": f"Bearer {api_key}"} if api_key else {}

    def chat_url(self, request: ChatRequest) -> str:
        return f"{self.base_url}/chat/completions"

    def chat_body(self, request: ChatRequest) -> dict[str, Any]:
        return build_body(request, self.config.type)

    def rate_headers(self, headers: Mapping[str, str], now: float) -> RateLimitHeaders | None:
        if "x-ratelimit-limit-requests" not in headers and (
            "x-ratelimit-limit-tokens" not in headers
        ):
            return None  # most compatible servers send none: skip the parsing
        return openai_limits(headers, now)

    async def score(self, model: str, messages: tuple[Message, ...]) -> float:
        """Reward-model score through vLLM's pooling API (served at the root, not under /v1)."""
        root = self.base_url.removesuffix("/v1")
        payload = orjson.dumps(
            {"model": model, "messages": [{"role": m.role, "content": m.content} for m in messages]}
        )
        chars = sum(len(m.content) for m in messages)

        def parse(data: Any) -> Parsed[tuple[float, Usage]]:
            usage = parse_usage(data.get("usage") or {})
            return (parse_pooling(data), usage), usage

        score, usage = await self.call(model, f"{root}/pooling", payload, chars, 1, parse)
        self.stats.record_usage(model, usage, cost_of(price_for(self.config.prices, model), usage))
        return score
