"""Pure parsers for rate-limit and retry headers (OpenAI, Anthropic) and Gemini's retryDelay.

Everything here is a pure function of header values, so it is unit-tested without a network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

# OpenAI writes reset times as Go durations: "1s", "6m0s", "20ms", "1h2m3.5s".
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str) -> float | None:
    """Seconds in a Go-style duration ("6m0s", "20ms") or a bare number of seconds."""
    text = text.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)


def parse_reset(text: str, now: float) -> float | None:
    """Seconds until a reset given as a duration (OpenAI) or an RFC 3339 time (Anthropic)."""
    seconds = parse_duration(text)
    if seconds is not None:
        return seconds
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, when.timestamp() - now)


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from `retry-after-ms` (OpenAI) or `retry-after` (seconds or HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


def should_retry(headers: Mapping[str, str]) -> bool | None:
    """`x-should-retry: true|false` (OpenAI, Anthropic): the server's own say on a retry."""
    value = headers.get("x-should-retry")
    if value is None:
        return None
    value = value.strip().lower()
    return True if value == "true" else False if value == "false" else None


REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-goog-request-id")


def request_id(headers: Mapping[str, str]) -> str | None:
    """The server's id of a request (OpenAI `x-request-id`, Anthropic `request-id`)."""
    for name in REQUEST_ID_HEADERS:
        if value := headers.get(name):
            return value
    return None


def gemini_retry_delay(body: Any) -> float | None:
    """`RetryInfo.retryDelay` ("28s", "1.5s") from a Gemini error body, if present."""
    try:
        details = body["error"]["details"]
    except (KeyError, TypeError):
        return None
    for detail in details if isinstance(details, list) else ():
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            return parse_duration(str(detail.get("retryDelay", "")))
    return None


@dataclass(frozen=True, slots=True)
class LimitReading:
    """What one response's headers say about one limit (requests or tokens)."""

    limit: float | None
    remaining: float | None
    reset: float | None  # seconds until fully replenished


NO_READING = LimitReading(None, None, None)


@dataclass(frozen=True, slots=True)
class RateLimitHeaders:
    requests: LimitReading
    tokens: LimitReading
    # A separate output-token limit (Anthropic's output-tokens-* headers), when there is one.
    output: LimitReading = NO_READING

    @property
    def empty(self) -> bool:
        readings = (self.requests, self.tokens, self.output)
        return all(v is None for r in readings for v in (r.limit, r.remaining, r.reset))


def _num(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _reading(headers: Mapping[str, str], pattern: str, now: float) -> LimitReading:
    """One limit's limit/remaining/reset headers, named by `pattern` with `{}` for each."""
    reset_text = headers.get(pattern.format("reset"))
    return LimitReading(
        limit=_num(headers.get(pattern.format("limit"))),
        remaining=_num(headers.get(pattern.format("remaining"))),
        reset=parse_reset(reset_text, now) if reset_text else None,
    )


def openai_limits(headers: Mapping[str, str], now: float) -> RateLimitHeaders:
    """`x-ratelimit-{limit,remaining,reset}-{requests,tokens}`."""
    return RateLimitHeaders(
        requests=_reading(headers, "x-ratelimit-{}-requests", now),
        tokens=_reading(headers, "x-ratelimit-{}-tokens", now),
    )


def anthropic_limits(headers: Mapping[str, str], now: float) -> RateLimitHeaders:
    """`anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`.

    The token budget is input tokens/min: `input-tokens-*`, or `tokens-*` where only that is
    sent (`tokens-*` is the most restrictive of the two when both are, so it must not cap the
    input budget); `output-tokens-*` feeds the output budget."""
    tokens = _reading(headers, "anthropic-ratelimit-input-tokens-{}", now)
    if tokens == NO_READING:
        tokens = _reading(headers, "anthropic-ratelimit-tokens-{}", now)
    return RateLimitHeaders(
        requests=_reading(headers, "anthropic-ratelimit-requests-{}", now),
        tokens=tokens,
        output=_reading(headers, "anthropic-ratelimit-output-tokens-{}", now),
    )
