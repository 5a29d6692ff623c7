"""Anthropic Messages API: POST {base}/v1/messages with `x-api-key` and `anthropic-version`.

`max_tokens` is required by the API (DEFAULT_MAX_TOKENS when the request has none); system
messages go to the top-level `system` field; the answer is the text of the `text` content
blocks (thinking blocks are left out). The model table decides temperature (none at all for
Opus 4.7 and later; none while thinking, which requires 1) and thinking: `thinking: enabled`
with `budget_tokens` (up to the 4.5 models) or `thinking: adaptive` with
`output_config.effort` (4.6 and later), the token cap raised by the reasoning budget. A
response schema becomes `output_config.format` (providers.schema). Streaming folds the
message_start / content_block_* / message_delta / message_stop events into the message.
`options.extra` is merged into the body, except `seed`, which this API does not have.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.base import ChatRequest, ChatResponse, ProviderError, Usage
from providers.errors import EmptyReply, ErrorDetail, RetryableError, short
from providers.headers import RateLimitHeaders, anthropic_limits
from providers.http import HTTPProvider, WireFormat
from providers.models import CUSTOM, Plan
from providers.schema import anthropic_schema

API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096

FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_OUTCOMES = ("length", "content_filter", "tool_calls")
# Mid-stream error events worth another try (the same as a 500 / 529 before the stream).
_RETRYABLE_EVENTS = ("overloaded_error", "api_error", "rate_limit_error")


def build_body(request: ChatRequest, plan: Plan, n: int = 1) -> dict[str, Any]:
    """The JSON body of a Messages request (pure); `n` is always 1 (no samples per call)."""
    opts, rule = request.options, plan.rule
    system = "\n\n".join(m.content for m in request.messages if m.role == "system")
    body: dict[str, Any] = {
        "model": request.model,
        "max_tokens": plan.max_tokens or DEFAULT_MAX_TOKENS,
        "messages": [
            {"role": m.role, "content": m.content} for m in request.messages if m.role != "system"
        ],
    }
    if system:
        body["system"] = system
    if plan.temperature is not None:
        body["temperature"] = plan.temperature
    output: dict[str, Any] = {}
    if rule.control == "thinking" and plan.budget is not None:
        body["thinking"] = {"type": "enabled", "budget_tokens": plan.budget}
    elif rule.control == "adaptive" and plan.effort not in (None, "none"):
        body["thinking"] = {"type": "adaptive"}
        output["effort"] = plan.effort
    if opts.response_schema is not None:
        output["format"] = {"type": "json_schema", "schema": anthropic_schema(opts.response_schema)}
    if output:
        body["output_config"] = output
    if plan.stream:
        body["stream"] = True
    # The Messages API has no seed and rejects unknown fields: drop the engine's per-sample seed.
    body.update({k: v for k, v in opts.extra.items() if k != "seed"})
    if "stream" in opts.extra:
        body["stream"] = plan.stream
    return body


def parse_usage(u: Mapping[str, Any]) -> Usage:
    cache_read = int(u.get("cache_read_input_tokens") or 0)
    cache_write = int(u.get("cache_creation_input_tokens") or 0)
    split = u.get("cache_creation") or {}
    details = u.get("output_tokens_details") or {}
    # Anthropic's input_tokens leave out cache reads and writes; count all input, as OpenAI does.
    return Usage(
        input_tokens=int(u.get("input_tokens") or 0) + cache_read + cache_write,
        output_tokens=int(u.get("output_tokens") or 0),
        reasoning_tokens=int(details.get("thinking_tokens") or 0),
        cached_tokens=cache_read,
        cache_write_tokens=cache_write,
        cache_write_1h_tokens=int(split.get("ephemeral_1h_input_tokens") or 0),
    )


def parse_response(data: Any) -> ChatResponse:
    if data.get("type") != "message":
        raise ValueError("not a message")
    blocks = data["content"]
    texts = [b["text"] for b in blocks if b.get("type") == "text"]
    reason = data.get("stop_reason")
    finish = FINISH.get(reason, "other") if reason is not None else None
    if not texts and finish not in _OUTCOMES:
        raise EmptyReply("no text block")
    u = data.get("usage") or {}
    raw = {k: data[k] for k in ("id", "model", "stop_reason") if data.get(k) is not None}
    return ChatResponse(
        "".join(texts), finish, parse_usage(u), raw=raw, service_tier=u.get("service_tier")
    )


def parse_choices(data: Any) -> list[ChatResponse]:
    return [parse_response(data)]


class EventAssembler:
    """Messages stream events folded into the message a plain call returns."""

    def __init__(self) -> None:
        self.message: dict[str, Any] | None = None
        self.blocks: dict[int, dict[str, Any]] = {}
        self.done = False

    def feed(self, event: str, data: Any) -> None:
        kind = data["type"]
        if kind == "message_start":
            self.message = dict(data["message"])
            self.message["usage"] = dict(self.message.get("usage") or {})
        elif kind == "content_block_start":
            self.blocks[int(data["index"])] = dict(data["content_block"])
        elif kind == "content_block_delta":
            block, delta = self.blocks[int(data["index"])], data["delta"]
            if delta["type"] == "text_delta":
                block["text"] = block.get("text", "") + delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] = block.get("thinking", "") + delta["thinking"]
        elif kind == "message_delta":
            assert self.message is not None, "message_delta before message_start"
            self.message.update({k: v for k, v in data["delta"].items() if v is not None})
            self.message["usage"].update(data.get("usage") or {})  # output_tokens: cumulative
        elif kind == "message_stop":
            self.done = True
        elif kind == "error":
            err = data.get("error") or {}
            kind, text = str(err.get("type", "")), f"error event mid-stream: {short(err)}"
            if kind in _RETRYABLE_EVENTS:
                raise RetryableError("rate_limit" if kind.startswith("rate") else "server", text)
            raise ProviderError("bad_request", text)

    def complete(self) -> bool:
        return self.done and self.message is not None

    def body(self) -> Any:
        assert self.message is not None
        return {**self.message, "content": [self.blocks[i] for i in sorted(self.blocks)]}


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
    charging = "anthropic"
    wire = WireFormat(build_body, parse_response, error_detail, parse_choices, EventAssembler)
    default_max_tokens = DEFAULT_MAX_TOKENS

    def auth_headers(self, api_key: str | None) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if api_key:
            headers["x-api-key"] = api_key
        return headers

    def chat_url(self, base: str, request: ChatRequest, stream: bool) -> str:
        return f"{base}/v1/messages"

    def asked_effort(self, extra: Mapping[str, Any]) -> str | None:
        thinking = extra.get("thinking")
        if not isinstance(thinking, dict):
            return None
        return CUSTOM if thinking.get("type") in ("enabled", "adaptive") else "none"

    def rate_headers(self, headers: Mapping[str, str], now: float) -> RateLimitHeaders | None:
        if not any(h.startswith("anthropic-ratelimit-") for h in headers):
            return None
        return anthropic_limits(headers, now)
