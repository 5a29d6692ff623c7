"""Injected faults of the fake API server: error statuses, hangs, resets, broken bodies."""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import TYPE_CHECKING

import orjson
from aiohttp import web

from fakes.sse import frames
from fakes.wire import Api, FakeReply, FakeRequest, error_body, success_body

if TYPE_CHECKING:
    from fakes.server import FakeServer

FAULTS = {
    "408",
    "409",
    "500",
    "503",
    "529",
    "429",
    "quota",
    "auth",
    "bad_request",
    "hang",
    "reset",
    "truncated",
    "malformed",
    "empty",
    "filtered",
    "blocked",
    "cut",
    "garbled",
    "503_no_retry",
    "400_retry",
}
_STATUS_FAULT = {
    "408": "server",
    "409": "server",
    "500": "server",
    "503": "unavailable",
    "529": "overloaded",
    "quota": "quota",
    "auth": "auth",
    "bad_request": "bad_request",
    "503_no_retry": "unavailable",
    "400_retry": "bad_request",
}
_SHOULD_RETRY = {"503_no_retry": "false", "400_retry": "true"}


async def send_fault(
    server: FakeServer,
    request: web.Request,
    entry: dict,
    api: Api,
    req: FakeRequest,
    replies: list[FakeReply],
    fault: str,
    n: int,
    headers: dict[str, str],
) -> web.StreamResponse:
    """Answer (or fail to answer) one request the way the named fault says."""
    if fault in _SHOULD_RETRY:
        headers["x-should-retry"] = _SHOULD_RETRY[fault]
    if fault == "429":
        return await server.rate_limited(
            request,
            entry,
            api,
            server.fault_retry_after,
            "Rate limit reached (injected)",
            headers,
        )
    if fault in _STATUS_FAULT:
        status, err = error_body(api, _STATUS_FAULT[fault], f"injected {fault}")  # type: ignore[arg-type]
        if fault in ("408", "409"):
            status = int(fault)
        return await server.send(request, entry, status, err, headers)
    if fault == "hang":
        try:
            await asyncio.wait_for(server.closing.wait(), timeout=3600)
        except TimeoutError:
            pass
        raise asyncio.CancelledError
    if fault == "reset":
        reset_connection(request)
        raise asyncio.CancelledError
    if fault in ("filtered", "blocked"):
        extra = {"blocked": True} if fault == "blocked" else {}
        replies = [FakeReply(text="", finish="content_filter", extra=extra)] * len(replies)
        fault = "ok"
    if req.stream:
        return await _stream_fault(server, request, entry, req, replies, fault, n, headers)
    if fault in ("empty", "ok"):
        body = success_body(req, replies, n, empty=fault == "empty")
        return await server.send(request, entry, 200, body, headers)
    full = orjson.dumps(success_body(req, replies, n))
    if fault in ("malformed", "garbled"):
        broken = full[: len(full) // 2]
        return await server.send(request, entry, 200, broken, headers)
    # truncated: promise the whole body, send half, drop the connection.
    resp = web.StreamResponse(status=200, headers={**headers, "content-type": "application/json"})
    resp.content_length = len(full)
    entry["status"] = 200
    await resp.prepare(request)
    await resp.write(full[: len(full) // 2])
    reset_connection(request)
    raise asyncio.CancelledError


async def _stream_fault(
    server: FakeServer,
    request: web.Request,
    entry: dict,
    req: FakeRequest,
    replies: list[FakeReply],
    fault: str,
    n: int,
    headers: dict[str, str],
) -> web.StreamResponse:
    """A fault of a 200 answered as a stream: it stops half-way (cut, truncated), carries a
    broken event (garbled, malformed) or holds no answer at all (empty)."""
    events = frames(req, replies, n, chunks=server.stream_chunks, empty=fault == "empty")
    if fault in ("garbled", "malformed"):
        half = len(events) // 2
        events = [*events[:half], b"data: {not json\n\n", *events[half:]]
    stop = len(events) // 2 if fault in ("cut", "truncated") else None
    return await server.stream(request, entry, events, headers, stop_after=stop)


def reset_connection(request: web.Request) -> None:
    """Close the connection with a TCP reset (SO_LINGER 0), as a crashed proxy would."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
