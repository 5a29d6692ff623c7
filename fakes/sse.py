"""A streamed answer as each API sends it: server-sent event frames (pure).

* OpenAI: `data: {chat.completion.chunk}` frames (a role chunk, content pieces, a finish
  chunk per choice, a usage chunk with no choices when `stream_options.include_usage`), then
  `data: [DONE]`.
* Anthropic: `event: NAME` + `data: {...}` for message_start, content_block_start / delta /
  stop (thinking, then text), ping, message_delta (stop reason, cumulative output tokens),
  message_stop.
* Gemini (`:streamGenerateContent?alt=sse`): `data: {partial GenerateContentResponse}` frames,
  CRLF-separated, the last one with finishReason and the full usage.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from fakes.wire import (
    _ANTHROPIC_FINISH,
    _GEMINI_FINISH,
    _OPENAI_FINISH,
    FakeReply,
    FakeRequest,
    anthropic_usage,
    gemini_usage,
    openai_usage,
    usage_of,
)


def pieces(text: str, k: int) -> list[str]:
    """`text` in at most `k` pieces (at least one, maybe empty)."""
    if not text:
        return [""]
    size = max(1, -(-len(text) // k))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _data(obj: Any, sep: bytes = b"\n\n") -> bytes:
    return b"data: " + (obj if isinstance(obj, bytes) else orjson.dumps(obj)) + sep


def _event(name: str, obj: Any) -> bytes:
    return f"event: {name}\n".encode() + _data({"type": name, **obj})


def frames(
    req: FakeRequest, replies: list[FakeReply], n: int, *, chunks: int = 4, empty: bool = False
) -> list[bytes]:
    """Every frame of one streamed answer, in order."""
    u = usage_of(req, replies)
    if req.api == "openai":
        return _openai(req, replies, n, u, chunks, empty)
    if req.api == "anthropic":
        return _anthropic(req, replies[0], n, u, chunks, empty)
    return _gemini(req, replies, n, u, chunks, empty)


def _openai(
    req: FakeRequest, replies: list[FakeReply], n: int, u: dict, k: int, empty: bool
) -> list[bytes]:
    head = {
        "id": f"chatcmpl-fake{n}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": req.model,
    }
    out = []
    if not empty:
        for i, r in enumerate(replies):
            first = {
                "index": i,
                "delta": {"role": "assistant", "content": ""},
                "finish_reason": None,
            }
            out.append(_data({**head, "choices": [first]}))
            for piece in pieces(r.text, k):
                delta = {"index": i, "delta": {"content": piece}, "finish_reason": None}
                out.append(_data({**head, "choices": [delta]}))
            finish = _OPENAI_FINISH.get(r.finish, r.finish)
            out.append(
                _data({**head, "choices": [{"index": i, "delta": {}, "finish_reason": finish}]})
            )
    if (req.body.get("stream_options") or {}).get("include_usage"):
        out.append(
            _data({**head, "choices": [], "usage": openai_usage(u), "service_tier": "default"})
        )
    out.append(_data(b"[DONE]"))
    return out


def _anthropic(req: FakeRequest, r: FakeReply, n: int, u: dict, k: int, empty: bool) -> list[bytes]:
    usage = anthropic_usage(u)
    start_usage = {**usage, "output_tokens": 1}
    message = {
        "id": f"msg_fake{n}",
        "type": "message",
        "role": "assistant",
        "model": req.model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": start_usage,
    }
    out = [_event("message_start", {"message": message}), _event("ping", {})]
    index = 0
    if r.thought:
        out.append(
            _event(
                "content_block_start",
                {"index": index, "content_block": {"type": "thinking", "thinking": ""}},
            )
        )
        for piece in pieces(r.thought, k):
            out.append(
                _event(
                    "content_block_delta",
                    {"index": index, "delta": {"type": "thinking_delta", "thinking": piece}},
                )
            )
        out.append(
            _event(
                "content_block_delta",
                {"index": index, "delta": {"type": "signature_delta", "signature": "sig"}},
            )
        )
        out.append(_event("content_block_stop", {"index": index}))
        index += 1
    if not empty:
        out.append(
            _event(
                "content_block_start",
                {"index": index, "content_block": {"type": "text", "text": ""}},
            )
        )
        for piece in pieces(r.text, k):
            out.append(
                _event(
                    "content_block_delta",
                    {"index": index, "delta": {"type": "text_delta", "text": piece}},
                )
            )
        out.append(_event("content_block_stop", {"index": index}))
    delta = {"stop_reason": _ANTHROPIC_FINISH.get(r.finish, r.finish), "stop_sequence": None}
    out.append(
        _event(
            "message_delta", {"delta": delta, "usage": {"output_tokens": usage["output_tokens"]}}
        )
    )
    out.append(_event("message_stop", {}))
    return out


def _gemini(
    req: FakeRequest, replies: list[FakeReply], n: int, u: dict, k: int, empty: bool
) -> list[bytes]:
    head = {"modelVersion": req.model, "responseId": f"fake{n}"}
    crlf = b"\r\n\r\n"
    if empty:
        return [_data({**head, "usageMetadata": gemini_usage(u)}, crlf)]
    out = []
    for i, r in enumerate(replies):
        if r.thought:
            part = {"text": r.thought, "thought": True}
            out.append(
                _data(
                    {
                        **head,
                        "candidates": [{"content": {"role": "model", "parts": [part]}, "index": i}],
                    },
                    crlf,
                )
            )
        texts = pieces(r.text, k)
        for j, piece in enumerate(texts):
            cand: dict[str, Any] = {
                "content": {"role": "model", "parts": [{"text": piece}]},
                "index": i,
            }
            chunk: dict[str, Any] = {**head, "candidates": [cand]}
            if j == len(texts) - 1:
                cand["finishReason"] = _GEMINI_FINISH.get(r.finish, r.finish)
                if i == len(replies) - 1:
                    chunk["usageMetadata"] = gemini_usage(u)
            out.append(_data(chunk, crlf))
    return out
