"""Server-sent events: read a streamed answer event by event, with an idle timeout.

Each API module has an assembler that folds its events into the body the same call would
have answered without streaming, so one parser reads both. A stream that ends before its
last event, or carries an event that cannot be read, is a `truncated` error, retried at most
once (providers.retry): the answer was being generated and billed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

import aiohttp
import orjson

from providers.errors import RetryableError


class Assembler(Protocol):
    """Folds one API's events into a complete response body."""

    def feed(self, event: str, data: Any) -> None:
        """Take one event (its `data` parsed as JSON, or the raw text when it is not JSON).
        May raise ProviderError for an error event the server sends mid-stream, and
        KeyError/TypeError/ValueError for one it cannot read."""
        ...

    def complete(self) -> bool:
        """Whether the events so far make a whole answer (its last event has come)."""
        ...

    def body(self) -> Any:
        """The body as the non-streaming call would have answered it."""
        ...


NewAssembler = Callable[[], Assembler]


async def sse_events(content: aiohttp.StreamReader) -> AsyncIterator[tuple[str, bytes]]:
    """(event name, data) for each event of an SSE body; "" when the event has no name.

    Lines are split here rather than by the reader's `readline`, which refuses lines over
    64 KiB; an event the body ends in the middle of is not yielded (as the SSE rules say)."""
    buf = bytearray()
    event, data = "", bytearray()
    has_data = False
    async for chunk in content.iter_any():
        buf += chunk
        while (cut := buf.find(b"\n")) >= 0:
            line = bytes(buf[:cut]).rstrip(b"\r")
            del buf[: cut + 1]
            if not line:
                if has_data:
                    yield event, bytes(data)
                event, data, has_data = "", bytearray(), False
                continue
            if line.startswith(b":"):
                continue  # a comment (keep-alive)
            name, _, value = line.partition(b":")
            value = value[1:] if value.startswith(b" ") else value
            if name == b"data":
                if has_data:
                    data += b"\n"
                data += value
                has_data = True
            elif name == b"event":
                event = value.decode("utf-8", "replace")


async def read_stream(
    content: aiohttp.StreamReader, assembler: Assembler, who: str
) -> tuple[Any, int]:
    """(the assembled body, events read). Raises `truncated` when the stream stops early
    or an event cannot be read; `TimeoutError` from an idle socket passes through."""
    events = 0
    try:
        async for name, raw in sse_events(content):
            events += 1
            data: Any
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError:
                data = raw.decode("utf-8", "replace")
            try:
                # Read on to the end even after the last event: the connection is then reused.
                assembler.feed(name, data)
            except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
                raise truncated(
                    f"{who}: unreadable stream event {events} ({type(exc).__name__})"
                ) from None
    except TimeoutError:
        if events == 0:
            raise  # nothing came: an ordinary timeout
        raise truncated(f"{who}: stream went silent after {events} events") from None
    except aiohttp.ClientPayloadError as exc:
        raise truncated(f"{who}: stream cut off after {events} events ({exc})") from None
    if not assembler.complete():
        raise truncated(f"{who}: stream ended before its last event (after {events} events)")
    return assembler.body(), events


def truncated(message: str) -> RetryableError:
    return RetryableError("truncated", message, once=True)
