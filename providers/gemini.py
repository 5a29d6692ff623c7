"""Gemini `generateContent`: POST {base}/models/{model}:generateContent with `x-goog-api-key`.

Messages become `contents` with roles user/model and text `parts`; system messages go to
`systemInstruction` (folded into the first user turn for models without one, e.g. Gemma);
decoding settings to `generationConfig`: the token cap raised for thinking models,
`thinkingConfig` (`thinkingBudget` for 2.5, `thinkingLevel` for 3) where the job sets an
effort, `candidateCount` for k samples in one call, and a response schema in
`responseJsonSchema` (or `responseSchema`, the OpenAPI subset, see providers.schema) with a
JSON MIME type. Parts marked `thought` are reasoning, not the answer, and are left out. A
prompt blocked before any candidate (`promptFeedback.blockReason`) is a recorded empty
answer; no candidate and no reason is an error. Streaming is
`:streamGenerateContent?alt=sse`, each event a partial response. A `models/` prefix on the
model id is accepted. `options.extra` is merged into the body; a `generationConfig` entry
there is merged into ours, and `seed` goes into generationConfig.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.base import ChatRequest, ChatResponse, Message, ProviderError, Usage
from providers.errors import EmptyReply, ErrorDetail, RetryableError, short
from providers.headers import gemini_retry_delay
from providers.http import HTTPProvider, WireFormat
from providers.models import CUSTOM, Plan, model_id
from providers.schema import gemini_schema

FINISH = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
}
_OUTCOMES = ("length", "content_filter")


def _contents(messages: tuple[Message, ...], fold: bool) -> tuple[list[Any], str]:
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    contents: list[dict[str, Any]] = [
        {"role": "model" if m.role == "assistant" else "user", "parts": [{"text": m.content}]}
        for m in messages
        if m.role != "system"
    ]
    if fold and system:
        first = next((c for c in contents if c["role"] == "user"), None)
        if first is None:
            contents.insert(0, {"role": "user", "parts": [{"text": system}]})
        else:
            first["parts"] = [{"text": f"{system}\n\n{first['parts'][0]['text']}"}]
        system = ""
    return contents, system


def build_body(request: ChatRequest, plan: Plan, n: int = 1) -> dict[str, Any]:
    rule = plan.rule
    contents, system = _contents(request.messages, rule.system == "fold")
    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": [{"text": system}]}
    opts = request.options
    config: dict[str, Any] = {}
    if plan.temperature is not None:
        config["temperature"] = plan.temperature
    if plan.max_tokens is not None:
        config["maxOutputTokens"] = plan.max_tokens
    if rule.control == "budget" and plan.effort == "none":
        config["thinkingConfig"] = {"thinkingBudget": 0}
    elif rule.control == "budget" and plan.budget is not None:
        config["thinkingConfig"] = {"thinkingBudget": plan.budget}
    elif rule.control == "level" and plan.effort is not None:
        config["thinkingConfig"] = {"thinkingLevel": plan.effort}
    if opts.response_schema is not None:
        field, schema = gemini_schema(opts.response_schema, rule)
        config["responseMimeType"] = "application/json"
        config[field] = schema
    if n > 1:
        config["candidateCount"] = n
    extra = dict(opts.extra)
    extra.pop("stream", None)  # the URL says it
    if "seed" in extra:  # Gemini takes its seed inside generationConfig
        config["seed"] = extra.pop("seed")
    config.update(extra.pop("generationConfig", {}))
    if config:
        body["generationConfig"] = config
    body.update(extra)
    return body


def parse_usage(u: Mapping[str, Any]) -> Usage:
    thoughts = int(u.get("thoughtsTokenCount") or 0)
    # Thinking tokens are billed as output; count them there, as OpenAI does.
    return Usage(
        input_tokens=int(u.get("promptTokenCount") or 0),
        output_tokens=int(u.get("candidatesTokenCount") or 0) + thoughts,
        reasoning_tokens=thoughts,
        cached_tokens=int(u.get("cachedContentTokenCount") or 0),
    )


def _candidate(cand: Any, usage: Usage, raw: dict[str, Any]) -> ChatResponse | None:
    parts = (cand.get("content") or {}).get("parts") or []
    texts = [p["text"] for p in parts if "text" in p and not p.get("thought")]
    reason = cand.get("finishReason")
    finish = FINISH.get(reason, "other") if reason is not None else None
    if not texts and finish not in _OUTCOMES:
        return None
    return ChatResponse("".join(texts), finish, usage, raw=raw)


def _read(data: Any) -> tuple[list[ChatResponse], bool]:
    """(the candidates with an answer, whether the prompt was blocked)."""
    usage = parse_usage(data.get("usageMetadata") or {})
    raw = {k: data[k] for k in ("responseId", "modelVersion") if data.get(k) is not None}
    candidates = data.get("candidates") or []
    if not candidates:
        block = (data.get("promptFeedback") or {}).get("blockReason")
        if block is None:
            raise EmptyReply("no candidates")
        return [ChatResponse("", "content_filter", usage, raw={**raw, "blockReason": block})], True
    ordered = sorted(candidates, key=lambda c: c.get("index", 0))
    out = [r for c in ordered if (r := _candidate(c, usage, raw)) is not None]
    if not out:
        raise EmptyReply("no candidate with text")
    return out, False


def parse_response(data: Any) -> ChatResponse:
    return _read(data)[0][0]


def parse_choices(data: Any) -> list[ChatResponse]:
    return _read(data)[0]


class ChunkAssembler:
    """`streamGenerateContent` events (each a partial response) folded into one response."""

    def __init__(self) -> None:
        self.meta: dict[str, Any] = {}
        self.parts: dict[int, list[dict[str, Any]]] = {}
        self.finish: dict[int, str] = {}

    def feed(self, event: str, data: Any) -> None:
        if not isinstance(data, dict):
            raise ValueError("a stream event that is not a JSON object")
        if "error" in data:
            err = data["error"] or {}
            text = f"error event mid-stream: {short(err)}"
            if int(err.get("code") or 500) >= 500 or err.get("code") == 429:
                raise RetryableError("server", text)
            raise ProviderError("bad_request", text)
        for key in ("usageMetadata", "modelVersion", "responseId", "promptFeedback"):
            if data.get(key) is not None:
                self.meta[key] = data[key]
        for cand in data.get("candidates") or ():
            i = int(cand.get("index", 0))
            self.parts.setdefault(i, []).extend((cand.get("content") or {}).get("parts") or [])
            if cand.get("finishReason") is not None:
                self.finish[i] = cand["finishReason"]

    def complete(self) -> bool:
        blocked = (self.meta.get("promptFeedback") or {}).get("blockReason") is not None
        return blocked or (bool(self.parts) and self.finish.keys() >= self.parts.keys())

    def body(self) -> Any:
        candidates = [
            {
                "index": i,
                "content": {"role": "model", "parts": p},
                "finishReason": self.finish.get(i),
            }
            for i, p in sorted(self.parts.items())
        ]
        return {**self.meta, "candidates": candidates}


def error_detail(status: int, data: Any) -> ErrorDetail:
    err = data.get("error") if isinstance(data, dict) else None
    if not isinstance(err, dict):
        return ErrorDetail(short(data))
    message = f"{err.get('message', '')} [{err.get('status', '')}]"
    listed = err.get("details")
    details: list[Any] = listed if isinstance(listed, list) else []
    reasons = {str(d.get("reason", "")) for d in details if isinstance(d, dict)}
    if "API_KEY_INVALID" in reasons or status in (401, 403):
        return ErrorDetail(message, stop="auth")
    quota_ids = [
        str(v.get("quotaId", ""))
        for d in details
        if isinstance(d, dict) and str(d.get("@type", "")).endswith("QuotaFailure")
        for v in d.get("violations", [])
        if isinstance(v, dict)
    ]
    # A per-day quota will not come back within this run: stop rather than retry for hours.
    per_day = [q for q in quota_ids if "PerDay" in q]
    if status == 429 and per_day:
        return ErrorDetail(f"{message} quota {per_day[0]}", stop="quota")
    return ErrorDetail(message, retry_after=gemini_retry_delay(data))


class GeminiProvider(HTTPProvider):
    api = "gemini"
    charging = "gemini"
    wire = WireFormat(build_body, parse_response, error_detail, parse_choices, ChunkAssembler)

    def auth_headers(self, api_key: str | None) -> dict[str, str]:
        return {"x-goog-api-key": api_key} if api_key else {}

    def chat_url(self, base: str, request: ChatRequest, stream: bool) -> str:
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        return f"{base}/models/{model_id(request.model)}:{method}"

    def asked_effort(self, extra: Mapping[str, Any]) -> str | None:
        thinking = (extra.get("generationConfig") or {}).get("thinkingConfig")
        if not isinstance(thinking, dict):
            return None
        return "none" if thinking.get("thinkingBudget") == 0 else CUSTOM
