"""Anthropic Messages API: POST {base}/v1/messages with `x-api-key` and `anthropic-version`.

`max_tokens` is required by the API (DEFAULT_MAX_TOKENS when the request has none); system
messages go to the top-level `system` field; the answer is the text of the `text` content
blocks (thinking blocks are left out). Anthropic has no JSON-schema output mode on this API, so
`options.response_schema` is ignored here. `options.extra` is merged into the body,
except `seed`, which this API does not have.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.base import ChatRequest, ChatResponse, Usage
from providers.errors import ErrorDetail, short
from providers.headers import RateLimitHeaders, anthropic_limits
from providers.http import HTTPProvider, WireFormat

API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096

FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def build_body(request: ChatRequest) -> dict[str, Any]:
    opts = request.options
    system = "\n\n".join(m.content for m in request.messages if m.role == "system")
    body: dict[str, Any] = {
        "model": request.model,
        "max_tokens": opts.max_tokens or DEFAULT_MAX_TOKENS,
        "messages": [
            {"role": m.role, "content": m.content} for m in request.messages if m.role != "system"
        ],
    }
    if system:
        body["system"] = system
    if opts.temperature is not None:
        body["temperature"] = opts.temperature
    # The Messages API has no seed and rejects unknown fields: drop the engine's per-sample seed.
    body.update({k: v for k, v in opts.extra.items() if k != "seed"})
    return body


def parse_response(data: Any) -> ChatResponse:
    if data.get("type") != "message":
        raise ValueError("not a message")
    blocks = data["content"]
    text = "".join(b["text"] for b in blocks if b.get("type") == "text")
    u = data.get("usage") or {}
    cache_read = int(u.get("cache_read_input_tokens") or 0)
    cache_write = int(u.get("cache_creation_input_tokens") or 0)
    # Anthropic's input_tokens leave out cache reads and writes; count all input, as OpenAI does.
    usage = Usage(
        input_tokens=int(u.get("input_tokens") or 0) + cache_read + cache_write,
        output_tokens=int(u.get("output_tokens") or 0),
        cached_tokens=cache_read,
    )
    reason = data.get("stop_reason")
    finish = FINISH.get(reason, "other") if reason is not None else None
    raw = {k: data[k] for k in ("id", "model", "stop_reason") if data.get(k) is not None}
    return ChatResponse(text, finish, usage, raw=raw)


def error_detail(status: int, data: Any) -> ErrorDetail:
    err = data.get("error") if isinstance(data, dict) else None
    if not isinstance(err, dict):
        return ErrorDetail(short(data))
    kind = str(err.get("type") or "")
    message = f"{err.get('message', '')} [{kind}]"
    if kind in ("authentication_error", "permission_error"):
        return ErrorDetail(message, stop="auth")
    # Out of credit arrives as a 400 invalid_request_error (or a billing_error) naming credit.
    if kind == "billing_error" or "credit balance" in message.lower():
        return ErrorDetail(message, stop="quota")
    return ErrorDetail(message)


class AnthropicProvider(HTTPProvider):
    api = "anthropic"
    wire = WireFormat(parse_response, error_detail)

    def auth_headers(self, api_key: str | None) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if api_key:
            headers["x-api-key"] = api_key
        return headers

    def chat_url(self, request: ChatRequest) -> str:
        return f"{self.base_url}/v1/messages"

    def chat_body(self, request: ChatRequest) -> dict[str, Any]:
        return build_body(request)

    def rate_headers(self, headers: Mapping[str, str], now: float) -> RateLimitHeaders | None:
        if "anthropic-ratelimit-requests-limit" not in headers and (
            "anthropic-ratelimit-tokens-limit" not in headers
        ):
            return None
        return anthropic_limits(headers, now)
