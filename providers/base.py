"""The one small interface every provider implements.

A chat request goes in; text, finish reason, usage and raw metadata come out.
Rate limits, retries and accounting live behind `Provider.chat`, so the engine
never sees a wire format.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from providers.options import NO_OPTIONS, DecodingOptions

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One chat call: a model, its messages and the decoding options (providers.options)."""

    model: str
    messages: tuple[Message, ...]
    options: DecodingOptions = NO_OPTIONS


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.cached_tokens + other.cached_tokens,
        )


@dataclass(frozen=True, slots=True)
class ChatResponse:
    text: str
    # Normalised: "stop", "length", "content_filter", "tool_calls", "other" or None.
    finish_reason: str | None
    usage: Usage
    cost: float = 0.0
    # Response id, served model name and anything else worth keeping; never headers with keys.
    raw: Mapping[str, Any] = field(default_factory=dict)


ErrorClass = Literal[
    "rate_limit",  # 429 after retries ran out
    "server",  # 5xx / 529 after retries ran out
    "timeout",
    "connection",
    "bad_request",  # 400/404/422: never retried
    "auth",  # 401/403: stops the provider
    "quota",  # insufficient_quota / per-day quota: stops the provider
    "malformed",  # unparseable body
    "stopped",  # provider already stopped by an earlier fatal error
]


class ProviderError(Exception):
    """A failed call. `fatal` means the provider is stopped for the rest of the run."""

    def __init__(
        self,
        error_class: ErrorClass,
        message: str,
        *,
        status: int | None = None,
        fatal: bool = False,
    ) -> None:
        super().__init__(message)
        self.error_class = error_class
        self.status = status
        self.fatal = fatal


@dataclass
class ProviderStats:
    """Live counters, read by the progress view and the summary (mutated in place)."""

    in_flight: int = 0
    requests: int = 0
    completed: int = 0
    retries: int = 0
    rate_limited: int = 0
    errors: int = 0
    usage: Usage = field(default_factory=Usage)
    cost: float = 0.0
    requests_per_minute_limit: float | None = None
    tokens_per_minute_limit: float | None = None
    stopped_reason: str | None = None
    # Per-model totals: model -> (usage, cost).
    by_model: dict[str, tuple[Usage, float]] = field(default_factory=dict)

    def record_usage(self, model: str, usage: Usage, cost: float) -> None:
        self.usage = self.usage + usage
        self.cost += cost
        prev_usage, prev_cost = self.by_model.get(model, (Usage(), 0.0))
        self.by_model[model] = (prev_usage + usage, prev_cost + cost)


class Provider(ABC):
    """One API endpoint with its own session, limits, retries and accounting."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stats = ProviderStats()

    @abstractmethod
    async def chat(self, request: ChatRequest) -> ChatResponse:
        """Send one chat request; raise `ProviderError` when it finally fails."""

    async def score(self, model: str, messages: tuple[Message, ...]) -> float:
        """Reward-model score of a conversation (OpenAI-compatible servers with a reward API)."""
        raise ProviderError("bad_request", f"provider {self.name!r} has no reward-model API")

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Acquire resources before the first call (the local provider starts its server here)."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release sessions and child processes."""

    async def __aenter__(self) -> Provider:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
