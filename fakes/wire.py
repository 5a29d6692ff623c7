"""The three wire formats as a server sees them: read a request, write an answer or an error.

Pure functions only; `fakes.server` does the I/O. Bodies follow the public API
references (OpenAI Chat Completions, Anthropic Messages, Gemini generateContent), including
the error bodies each API sends for rate limits, quota, auth and overload.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

Api = Literal["openai", "anthropic", "gemini", "pooling"]

_TOKEN = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    """The fake's tokenizer: words and punctuation marks (deliberately not chars/4, so a client
    that calibrates its estimates is exercised)."""
    return len(_TOKEN.findall(text))


@dataclass(frozen=True)
class FakeRequest:
    api: Api
    model: str
    system: str | None
    messages: list[tuple[str, str]]
    last_user: str
    body: dict[str, Any]
    path: str
    n: int = 1  # choices asked for (OpenAI `n`, Gemini `candidateCount`)
    choice: int = 0  # which of them a script is answering
    stream: bool = False  # answered as server-sent events

    def input_tokens(self) -> int:
        texts = [t for _, t in self.messages] + ([self.system] if self.system else [])
        return sum(count_tokens(t) + 3 for t in texts)


@dataclass
class FakeReply:
    """What a script answers. `finish` is normalised ("stop", "length", "content_filter") and
    written in each API's own words. `fault` overrides everything (see server.FAULTS).
    `usage` may also give `cache_write` and `cache_write_1h` (Anthropic cache writes)."""

    text: str = ""
    finish: str = "stop"
    usage: dict[str, int] | None = None  # input/output/reasoning/cached; default: counted
    thought: str | None = None  # a reasoning part (Gemini thought, Anthropic thinking)
    fault: str | None = None
    score: float | None = None  # for the pooling API
    extra: dict[str, Any] = field(default_factory=dict)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks / parts
        return "".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    return ""


def parse_request(api: Api, path_model: str | None, body: dict[str, Any], path: str) -> FakeRequest:
    """Read a request body of one API into the API-neutral FakeRequest (KeyError if invalid)."""
    system: str | None = None
    messages: list[tuple[str, str]] = []
    if api in ("openai", "pooling"):
        model = body["model"]
        for m in body.get("messages", []):
            if m["role"] in ("system", "developer"):
                system = _text(m["content"])
            else:
                messages.append((m["role"], _text(m["content"])))
        if "input" in body and not messages:
            messages.append(("user", _text(body["input"])))
    elif api == "anthropic":
        model = body["model"]
        if "max_tokens" not in body:
            raise KeyError("max_tokens")
        system = _text(body["system"]) if "system" in body else None
        messages = [(m["role"], _text(m["content"])) for m in body["messages"]]
    else:
        model = path_model or ""
        if "systemInstruction" in body:
            system = _text(body["systemInstruction"].get("parts"))
        messages = [
            ("assistant" if c.get("role") == "model" else "user", _text(c["parts"]))
            for c in body["contents"]
        ]
    last_user = next((t for r, t in reversed(messages) if r == "user"), "")
    config = body.get("generationConfig") or {}
    n = int(body.get("n") or config.get("candidateCount") or 1)
    stream = bool(body.get("stream")) or "streamGenerateContent" in path
    return FakeRequest(api, model, system, messages, last_user, body, path, n, 0, stream)


def usage_of(req: FakeRequest, reply: FakeReply | list[FakeReply]) -> dict[str, int]:
    """Tokens of an answer (of all choices, the input counted once)."""
    replies = reply if isinstance(reply, list) else [reply]
    total = {"input": 0, "output": 0, "reasoning": 0, "cached": 0}
    for i, r in enumerate(replies):
        if r.usage is not None:
            u = {"input": 0, "output": 0, "reasoning": 0, "cached": 0, **r.usage}
        else:
            reasoning = count_tokens(r.thought) if r.thought else 0
            u = {
                "input": req.input_tokens(),
                "output": count_tokens(r.text) + reasoning,
                "reasoning": reasoning,
                "cached": 0,
            }
        for k, v in u.items():
            if k in ("input", "cached", "cache_write", "cache_write_1h") and i > 0:
                continue  # the prompt is read once for all choices
            total[k] = total.get(k, 0) + v
    return total


_OPENAI_FINISH = {"stop": "stop", "length": "length", "content_filter": "content_filter"}
_ANTHROPIC_FINISH = {"stop": "end_turn", "length": "max_tokens", "content_filter": "refusal"}
_GEMINI_FINISH = {"stop": "STOP", "length": "MAX_TOKENS", "content_filter": "SAFETY"}
_GEMINI_QUOTA_METRIC = "generativelanguage.googleapis.com/generate_content_requests"


def openai_usage(u: dict[str, int]) -> dict[str, Any]:
    return {
        "prompt_tokens": u["input"],
        "completion_tokens": u["output"],
        "total_tokens": u["input"] + u["output"],
        "prompt_tokens_details": {"cached_tokens": u["cached"]},
        "completion_tokens_details": {"reasoning_tokens": u["reasoning"]},
    }


def anthropic_usage(u: dict[str, int]) -> dict[str, Any]:
    writes, long_writes = u.get("cache_write", 0), u.get("cache_write_1h", 0)
    out: dict[str, Any] = {
        "input_tokens": u["input"] - u["cached"] - writes,
        "output_tokens": u["output"],
        "cache_read_input_tokens": u["cached"],
        "cache_creation_input_tokens": writes,
        "cache_creation": {
            "ephemeral_5m_input_tokens": writes - long_writes,
            "ephemeral_1h_input_tokens": long_writes,
        },
        "service_tier": "standard",
    }
    if u["reasoning"]:
        out["output_tokens_details"] = {"thinking_tokens": u["reasoning"]}
    return out


def gemini_usage(u: dict[str, int]) -> dict[str, Any]:
    return {
        "promptTokenCount": u["input"],
        "candidatesTokenCount": u["output"] - u["reasoning"],
        "totalTokenCount": u["input"] + u["output"],
        "thoughtsTokenCount": u["reasoning"],
        "cachedContentTokenCount": u["cached"],
    }


def anthropic_blocks(reply: FakeReply, *, empty: bool = False) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    if reply.thought:
        content.append({"type": "thinking", "thinking": reply.thought, "signature": "sig"})
    if not empty and not (reply.finish == "content_filter" and reply.extra.get("blocked")):
        content.append({"type": "text", "text": reply.text})
    return content


def success_body(
    req: FakeRequest, reply: FakeReply | list[FakeReply], n: int, *, empty: bool = False
) -> dict:
    """The 200 body of a chat answer (one choice per reply); `empty` gives no choices / no
    candidates / no text block; a reply with `extra={"blocked": True}` a prompt refused
    before any answer (no content, with the API's own reason)."""
    replies = reply if isinstance(reply, list) else [reply]
    first = replies[0]
    u = usage_of(req, replies)
    extra = {k: v for k, v in first.extra.items() if k != "blocked"}
    blocked = bool(first.extra.get("blocked"))
    if req.api == "openai":
        choices = []
        for i, r in enumerate(replies):
            message: dict[str, Any] = {"role": "assistant", "content": r.text}
            if blocked:
                message = {"role": "assistant", "content": None, "refusal": "I can't help."}
            choices.append(
                {
                    "index": i,
                    "message": message,
                    "finish_reason": _OPENAI_FINISH.get(r.finish, r.finish),
                    "logprobs": None,
                }
            )
        return {
            "id": f"chatcmpl-fake{n}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": req.model,
            "choices": [] if empty else choices,
            "usage": openai_usage(u),
            "service_tier": "default",
            **extra,
        }
    if req.api == "anthropic":
        return {
            "id": f"msg_fake{n}",
            "type": "message",
            "role": "assistant",
            "model": req.model,
            "content": anthropic_blocks(first, empty=empty),
            "stop_reason": _ANTHROPIC_FINISH.get(first.finish, first.finish),
            "stop_sequence": None,
            "usage": anthropic_usage(u),
            **extra,
        }
    if empty or blocked:
        feedback = {"blockReason": "SAFETY"} if blocked else {}
        return {"promptFeedback": feedback, "usageMetadata": gemini_usage(u)}
    candidates = []
    for i, r in enumerate(replies):
        parts: list[dict[str, Any]] = []
        if r.thought:
            parts.append({"text": r.thought, "thought": True})
        parts.append({"text": r.text})
        candidates.append(
            {
                "content": {"role": "model", "parts": parts},
                "finishReason": _GEMINI_FINISH.get(r.finish, r.finish),
                "index": i,
            }
        )
    return {
        "candidates": candidates,
        "usageMetadata": gemini_usage(u),
        "modelVersion": req.model,
        "responseId": f"fake{n}",
        **extra,
    }


def pooling_body(req: FakeRequest, score: float, n: int) -> dict:
    """vLLM's pooling answer for a one-label reward model: data[0].data == [score]."""
    tokens = req.input_tokens()
    return {
        "id": f"pool-fake{n}",
        "object": "list",
        "created": int(time.time()),
        "model": req.model,
        "data": [{"index": 0, "object": "pooling", "data": [score]}],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens, "completion_tokens": 0},
    }


ErrorKind = Literal[
    "rate_limit", "quota", "auth", "bad_request", "server", "unavailable", "overloaded", "not_found"
]


def error_body(
    api: Api, kind: ErrorKind, message: str, *, retry_delay: float | None = None
) -> tuple[int, dict]:
    """(status, body) of an error in the API's own shape."""
    if api == "anthropic":
        status, etype = {
            "rate_limit": (429, "rate_limit_error"),
            "quota": (400, "invalid_request_error"),
            "auth": (401, "authentication_error"),
            "bad_request": (400, "invalid_request_error"),
            "not_found": (404, "not_found_error"),
            "server": (500, "api_error"),
            "unavailable": (503, "api_error"),
            "overloaded": (529, "overloaded_error"),
        }[kind]
        if kind == "quota":
            message = "Your credit balance is too low to access the Anthropic API."
        return status, {"type": "error", "error": {"type": etype, "message": message}}
    if api == "gemini":
        status, gstatus = {
            "rate_limit": (429, "RESOURCE_EXHAUSTED"),
            "quota": (429, "RESOURCE_EXHAUSTED"),
            "auth": (400, "INVALID_ARGUMENT"),
            "bad_request": (400, "INVALID_ARGUMENT"),
            "not_found": (404, "NOT_FOUND"),
            "server": (500, "INTERNAL"),
            "unavailable": (503, "UNAVAILABLE"),
            "overloaded": (503, "UNAVAILABLE"),
        }[kind]
        details: list[dict[str, Any]] = []
        if kind in ("rate_limit", "quota"):
            period = "PerDay" if kind == "quota" else "PerMinute"
            details.append(
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": _GEMINI_QUOTA_METRIC,
                            "quotaId": f"GenerateRequests{period}PerProjectPerModel",
                        }
                    ],
                }
            )
            if retry_delay is not None:
                details.append(
                    {
                        "@type": "type.googleapis.com/google.rpc.RetryInfo",
                        "retryDelay": f"{retry_delay:.3f}s",
                    }
                )
        if kind == "auth":
            details.append(
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                }
            )
        return status, {
            "error": {"code": status, "message": message, "status": gstatus, "details": details}
        }
    status, etype, code = {
        "rate_limit": (429, "requests", "rate_limit_exceeded"),
        "quota": (429, "insufficient_quota", "insufficient_quota"),
        "auth": (401, "invalid_request_error", "invalid_api_key"),
        "bad_request": (400, "invalid_request_error", None),
        "not_found": (404, "invalid_request_error", "model_not_found"),
        "server": (500, "server_error", None),
        "unavailable": (503, "server_error", None),
        "overloaded": (529, "server_error", None),
    }[kind]
    return status, {"error": {"message": message, "type": etype, "param": None, "code": code}}
