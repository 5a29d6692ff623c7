"""Error values shared by the API clients: retryable attempts and what an error body says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from providers.base import ErrorClass, ProviderError


class RetryableError(ProviderError):
    """A failed attempt worth another try; `retry_after` is what the server asked us to wait;
    `once` marks a failure that is retried at most once (the answer was billed)."""

    def __init__(
        self,
        error_class: ErrorClass,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        request_id: str | None = None,
        once: bool = False,
    ) -> None:
        super().__init__(error_class, message, status=status, request_id=request_id)
        self.retry_after = retry_after
        self.once = once


class EmptyReply(ValueError):
    """A 200 with no choice, candidate or text block at all (not an empty answer with a
    finish reason, which is an outcome): retried like a server error, then recorded failed."""


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """What an API's error body says: its message and whether it means quota or auth trouble."""

    message: str
    stop: ErrorClass | None = None  # "quota" or "auth": stop the provider
    retry_after: float | None = None  # from the body (Gemini RetryInfo)


def is_retry_status(status: int, should_retry: bool | None = None) -> bool:
    """408, 409, 429, 5xx and 529 are worth another try and other 4xx never are, unless the
    server says otherwise with `x-should-retry` (as the official SDKs honour it)."""
    if should_retry is not None:
        return should_retry
    return status in (408, 409, 429) or status >= 500


def loads_or_text(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace")


def short(data: Any, limit: int = 300) -> str:
    """A bounded one-line rendering of an error body for messages."""
    text = data if isinstance(data, str) else orjson.dumps(data).decode()
    return text if len(text) <= limit else text[:limit] + "…"
