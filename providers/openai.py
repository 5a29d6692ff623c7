"""OpenAI Chat Completions, and any OpenAI-compatible server (vLLM, llama.cpp, Ollama, ...).

Wire format: POST {base}/chat/completions with Bearer auth. What a model accepts comes from
the model table (providers/models.yaml): for type "openai" the token cap is
`max_completion_tokens` (raised for reasoning models), reasoning models take no temperature
and get their system message as a `developer` message (folded into the first user turn for
o1-mini/o1-preview), `reasoning_effort` where the job sets an effort; compatible servers get
the older `max_tokens` and the options as given. A response schema becomes
`response_format: json_schema`, made strict-compatible (providers.schema). Streaming uses
server-sent events with `stream_options.include_usage` (usage from the last chunk); k samples
in one call use `n`. `options.extra` is merged into the body as-is (llama.cpp `grammar`,
`seed`, ...). `score` calls vLLM's pooling API (POST {root}/pooling) of a reward model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from providers.accounting import cost_of, price_for
from providers.base import ChatRequest, ChatResponse, Message, ScoreResponse, Usage
from providers.errors import EmptyReply, ErrorDetail, RetryableError, short
from providers.headers import RateLimitHeaders, openai_limits
from providers.http import HTTPProvider, Parsed, WireFormat
from providers.models import ModelRule, Plan
from providers.schema import Schema, Unsupported, strict_schema

FINISH = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content_filter",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
}
# An answer with no content that still ended for one of these reasons is an outcome.
_OUTCOMES = ("length", "content_filter", "tool_calls")


def _messages(messages: tuple[Message, ...], system: str) -> list[dict[str, str]]:
    out = [{"role": m.role, "content": m.content} for m in messages]
    if system == "system":
        return out
    if system == "developer":
        return [{**m, "role": "developer"} if m["role"] == "system" else m for m in out]
    text = "\n\n".join(m["content"] for m in out if m["role"] == "system")
    rest = [m for m in out if m["role"] != "system"]
    if text:
        for i, m in enumerate(rest):
            if m["role"] == "user":
                rest[i] = {"role": "user", "content": f"{text}\n\n{m['content']}"}
                break
        else:
            rest.insert(0, {"role": "user", "content": text})
    return rest


_FORMATS: dict[int, tuple[Schema, dict[str, Any]]] = {}


def response_format(schema: Schema, rule: ModelRule) -> dict[str, Any]:
    """`response_format` for a schema: strict where it can be, the schema as given for
    compatible servers (which do not check `strict`). Cached per schema object."""
    hit = _FORMATS.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    strict, sent = True, schema
    if rule.structured_output == "native":
        try:
            sent = strict_schema(schema)
        except Unsupported:
            strict = False  # sent as given, unenforced, rather than refused by the API
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": sent, "strict": strict},
    }
    if len(_FORMATS) > 256:
        _FORMATS.clear()
    _FORMATS[id(schema)] = (schema, fmt)
    return fmt


def build_body(request: ChatRequest, plan: Plan, n: int = 1) -> dict[str, Any]:
    """The JSON body of a Chat Completions request (pure)."""
    rule = plan.rule
    body: dict[str, Any] = {
        "model": request.model,
        "messages": _messages(request.messages, rule.system),
    }
    opts = request.options
    if plan.temperature is not None:
        body["temperature"] = plan.temperature
    if plan.max_tokens is not None:
        body[rule.token_field] = plan.max_tokens
    if plan.effort is not None and rule.control == "effort":
        body["reasoning_effort"] = plan.effort
    if opts.response_schema is not None:
        body["response_format"] = response_format(opts.response_schema, rule)
    if n > 1:
        body["n"] = n
    if plan.stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    extra = opts.extra
    if extra:
        body.update(extra)
        if "stream" in extra:  # our choice, made in the plan; the body says it once
            body["stream"] = plan.stream
            if not plan.stream:
                body.pop("stream_options", None)
    return body


def _meta(data: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    if (rid := data.get("id")) is not None:
        raw["id"] = rid
    if (served := data.get("model")) is not None:
        raw["model"] = served
    if (fingerprint := data.get("system_fingerprint")) is not None:
        raw["system_fingerprint"] = fingerprint
    return raw


def _choice(
    choice: Any, usage: Usage, raw: dict[str, Any], tier: str | None
) -> ChatResponse | None:
    """One choice as a response; None when it holds nothing at all (no content, no refusal,
    and no finish reason that explains the silence)."""
    message = choice.get("message") or {}
    text = message.get("content")
    reason = choice.get("finish_reason")
    finish = FINISH.get(reason, "other") if reason is not None else None
    if message.get("refusal"):
        raw = {**raw, "refusal": message["refusal"]}
        finish = "content_filter"
    if text is None:
        if finish not in _OUTCOMES:
            return None
        text = ""
    elif text.__class__ is not str:
        raise TypeError("message.content is not a string")
    return ChatResponse(text, finish, usage, raw=raw, service_tier=tier)


def parse_response(data: Any) -> ChatResponse:
    """Text, finish reason, usage and metadata of a Chat Completions body's first choice
    (pure). No choices at all, or a choice with nothing in it, is EmptyReply; an empty
    content with a finish reason is an answer. (Written for speed: it runs once per answer
    on the engine's hot path.)"""
    u = data.get("usage")
    usage = parse_usage(u) if u else NO_USAGE
    choices = data["choices"]
    if not choices:
        raise EmptyReply("no choices")
    resp = _choice(choices[0], usage, _meta(data), data.get("service_tier"))
    if resp is None:
        raise EmptyReply("a choice with no content")
    return resp


def parse_choices(data: Any) -> list[ChatResponse]:
    """Every choice with something in it, in index order, each with the whole usage."""
    u = data.get("usage")
    usage = parse_usage(u) if u else NO_USAGE
    raw, tier = _meta(data), data.get("service_tier")
    ordered = sorted(data["choices"], key=lambda c: c.get("index", 0))
    out = [r for c in ordered if (r := _choice(c, usage, raw, tier)) is not None]
    if not out:
        raise EmptyReply("no choice with content")
    return out


class ChunkAssembler:
    """Chat Completions stream chunks folded into the body a plain call returns."""

    def __init__(self) -> None:
        self.meta: dict[str, Any] = {}
        self.parts: dict[int, list[str]] = {}
        self.finish: dict[int, str | None] = {}
        self.refusal: dict[int, str] = {}
        self.usage: Any = None
        self.done = False

    def feed(self, event: str, data: Any) -> None:
        if data == "[DONE]":
            self.done = True
            return
        if not isinstance(data, dict):
            raise ValueError("a stream chunk that is not a JSON object")
        if "error" in data:
            err = data["error"] or {}
            raise RetryableError("server", f"error event mid-stream: {short(err)}")
        for key in ("id", "model", "system_fingerprint", "service_tier"):
            if data.get(key) is not None:
                self.meta[key] = data[key]
        for ch in data.get("choices") or ():
            i = int(ch.get("index", 0))
            parts = self.parts.setdefault(i, [])
            delta = ch.get("delta") or {}
            if delta.get("content"):
                parts.append(delta["content"])
            if delta.get("refusal"):
                self.refusal[i] = self.refusal.get(i, "") + delta["refusal"]
            if ch.get("finish_reason") is not None:
                self.finish[i] = ch["finish_reason"]
        if data.get("usage"):
            self.usage = data["usage"]

    def complete(self) -> bool:
        return self.done

    def body(self) -> Any:
        choices = []
        for i, parts in sorted(self.parts.items()):
            message: dict[str, Any] = {"role": "assistant", "content": "".join(parts)}
            if i in self.refusal:
                message["refusal"] = self.refusal[i]
            choices.append({"index": i, "message": message, "finish_reason": self.finish.get(i)})
        return {**self.meta, "choices": choices, "usage": self.usage}


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
    wire = WireFormat(build_body, parse_response, error_detail, parse_choices, ChunkAssembler)

    def auth_headers(self, api_key: str | None) -> dict[str, str]:
        return {"authorization": f"Bearer {api_key}"} if api_key else {}

    def chat_url(self, base: str, request: ChatRequest, stream: bool) -> str:
        return f"{base}/chat/completions"

    def asked_effort(self, extra: Mapping[str, Any]) -> str | None:
        effort = extra.get("reasoning_effort")
        return str(effort) if effort is not None else None

    def rate_headers(self, headers: Mapping[str, str], now: float) -> RateLimitHeaders | None:
        if "x-ratelimit-limit-requests" not in headers and (
            "x-ratelimit-limit-tokens" not in headers
        ):
            return None  # most compatible servers send none: skip the parsing
        return openai_limits(headers, now)

    async def score_response(self, model: str, messages: tuple[Message, ...]) -> ScoreResponse:
        """Reward-model score through vLLM's pooling API (served at the root, not under /v1)."""
        payload = orjson.dumps(
            {"model": model, "messages": [{"role": m.role, "content": m.content} for m in messages]}
        )
        chars = sum(len(m.content) for m in messages)

        def parse(data: Any) -> Parsed[float]:
            return parse_pooling(data), parse_usage(data.get("usage") or {})

        def url(base: str) -> str:
            return f"{base.removesuffix('/v1')}/pooling"

        (score, usage), _ = await self.call(model, url, payload, chars, 1, parse)
        cost = cost_of(price_for(self.config.prices, model), usage)
        self.stats.record_usage(model, usage, cost)
        return ScoreResponse(score, usage, cost)
