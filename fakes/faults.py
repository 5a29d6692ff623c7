"""Injected faults of the fake API server: error statuses, hangs, resets, broken bodies."""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import TYPE_CHECKING

import orjson
from aiohttp import web

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
}


async def send_fault(
    server: FakeServer,
    request: web.Request,
    entry: dict,
    api: Api,
    req: FakeRequest,
    reply: FakeReply,
    fault: str,
    n: int,
    headers: dict[str, str],
) -> web.StreamResponse:
    """Answer (or fail to answer) one request the way the named fault says."""
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
    if fault == "empty":
        body = success_body(req, reply, n, empty=True)
        return await server.send(request, entry, 200, body, headers)
    if fault == "filtered":
        reply = FakeReply(text="", finish="content_filter")
        return await server.send(request, entry, 200, success_body(req, reply, n), headers)
    full = orjson.dumps(success_body(req, reply, n))
    if fault == "malformed":
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


def reset_connection(request: web.Request) -> None:
    """Close the connection with a TCP reset (SO_LINGER 0), as a crashed proxy would."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
