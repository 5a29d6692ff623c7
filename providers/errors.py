"""Error values shared by the API clients: retryable attempts and what an error body says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from providers.base import ErrorClass, ProviderError


class RetryableError(ProviderError):
    """A failed attempt worth another try; `retry_after` is what the server asked us to wait."""

    def __init__(
        self,
        error_class: ErrorClass,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(error_class, message, status=status)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """What an API's error body says: its message and whether it means quota or auth trouble."""

    message: str
    stop: ErrorClass | None = None  # "quota" or "auth": stop the provider
    retry_after: float | None = None  # from the body (Gemini RetryInfo)


def is_retry_status(status: int) -> bool:
    """408, 409, 429, 5xx and 529 are worth another try; other 4xx never are."""
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
