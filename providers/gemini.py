"""Gemini `generateContent`: POST {base}/models/{model}:generateContent with `x-goog-api-key`.

Messages become `contents` with roles user/model and text `parts`; system messages go to
`systemInstruction`; decoding settings to `generationConfig` (with `responseSchema` and a JSON
MIME type for structured output). Parts marked `thought` are reasoning, not the answer, and
are left out. A prompt blocked before any candidate (`promptFeedback.blockReason`) is a
recorded empty answer. `options.extra` is merged into the body; a `generationConfig` entry
there is merged into ours, and `seed` goes into generationConfig.
"""

from __future__ import annotations

from typing import Any

from providers.base import ChatRequest, ChatResponse, Usage
from providers.errors import ErrorDetail, short
from providers.headers import gemini_retry_delay
from providers.http import HTTPProvider, WireFormat

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


def build_body(request: ChatRequest) -> dict[str, Any]:
    system = "\n\n".join(m.content for m in request.messages if m.role == "system")
    body: dict[str, Any] = {
        "contents": [
            {"role": "model" if m.role == "assistant" else "user", "parts": [{"text": m.content}]}
            for m in request.messages
            if m.role != "system"
        ]
    }
    if system:
        body["systemInstruction"] = {"parts": [{"text": system}]}
    opts = request.options
    config: dict[str, Any] = {}
    if opts.temperature is not None:
        config["temperature"] = opts.temperature
    if opts.max_tokens is not None:
        config["maxOutputTokens"] = opts.max_tokens
    if opts.response_schema is not None:
        config["responseMimeType"] = "application/json"
        config["responseSchema"] = dict(opts.response_schema)
    extra = dict(opts.extra)
    if "seed" in extra:  # Gemini takes its seed inside generationConfig
        config["seed"] = extra.pop("seed")
    config.update(extra.pop("generationConfig", {}))
    if config:
        body["generationConfig"] = config
    body.update(extra)
    return body


def parse_response(data: Any) -> ChatResponse:
    u = data.get("usageMetadata") or {}
    thoughts = int(u.get("thoughtsTokenCount") or 0)
    # Thinking tokens are billed as output; count them there, as OpenAI does.
    usage = Usage(
        input_tokens=int(u.get("promptTokenCount") or 0),
        output_tokens=int(u.get("candidatesTokenCount") or 0) + thoughts,
        reasoning_tokens=thoughts,
        cached_tokens=int(u.get("cachedContentTokenCount") or 0),
    )
    raw = {k: data[k] for k in ("responseId", "modelVersion") if data.get(k) is not None}
    candidates = data.get("candidates") or []
    if not candidates:
        block = (data.get("promptFeedback") or {}).get("blockReason")
        if block is None and "promptFeedback" not in data:
            raise KeyError("candidates")
        raw["blockReason"] = block
        return ChatResponse("", "content_filter", usage, raw=raw)
    cand = candidates[0]
    parts = (cand.get("content") or {}).get("parts") or []
    text = "".join(p.get("text", "") for p in parts if not p.get("thought"))
    reason = cand.get("finishReason")
    finish = FINISH.get(reason, "other") if reason is not None else None
    return ChatResponse(text, finish, usage, raw=raw)


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
    wire = WireFormat(parse_response, error_detail)

    def auth_headers(self, api_key: str | None) -> dict[str, str]:
        return {"x-goog-api-key": api_key} if api_key else {}

    def chat_url(self, request: ChatRequest) -> str:
        return f"{self.base_url}/models/{request.model}:generateContent"

    def chat_body(self, request: ChatRequest) -> dict[str, Any]:
        return build_body(request)
