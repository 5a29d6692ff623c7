"""The one small interface every provider implements.

A chat request goes in; text, finish reason, usage and raw metadata come out.
Rate limits, retries and accounting live behind `Provider.chat`, so the engine
never sees a wire format.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from providers.endpoints import EndpointStats
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
    """Tokens of one call, as OpenAI counts them: `input_tokens` include cache reads
    (`cached_tokens`) and cache writes, `output_tokens` include reasoning tokens."""

    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    # Prompt-cache writes (Anthropic), all of them and the 1-hour part, priced above input.
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0

    def __init__(
        self,
        input_tokens: int = 0,
        output_tokens: int = 0,
        reasoning_tokens: int = 0,
        cached_tokens: int = 0,
        cache_write_tokens: int = 0,
        cache_write_1h_tokens: int = 0,
    ) -> None:
        # Built for every answer: see `slot_setters`. Fields and parameters are kept equal
        # by tests/providers/test_fast_init.py.
        i, o, r, c, w, w1 = _USAGE_SET
        i(self, input_tokens)
        o(self, output_tokens)
        r(self, reasoning_tokens)
        c(self, cached_tokens)
        w(self, cache_write_tokens)
        w1(self, cache_write_1h_tokens)

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.cached_tokens + other.cached_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.cache_write_1h_tokens + other.cache_write_1h_tokens,
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
    # What was sent for this call after the model table (providers.models.Plan.sent).
    sent: Mapping[str, Any] = field(default_factory=dict)
    request_id: str | None = None  # the server's id of the HTTP request (x-request-id, ...)
    service_tier: str | None = None  # the tier that served it (OpenAI, Anthropic)

    def __init__(
        self,
        text: str,
        finish_reason: str | None,
        usage: Usage,
        cost: float = 0.0,
        raw: Mapping[str, Any] | None = None,
        sent: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        service_tier: str | None = None,
    ) -> None:
        # Built once or twice for every answer: see `slot_setters`.
        t, f, u, c, ra, se, rid, tier = _RESPONSE_SET
        t(self, text)
        f(self, finish_reason)
        u(self, usage)
        c(self, cost)
        ra(self, {} if raw is None else raw)
        se(self, {} if sent is None else sent)
        rid(self, request_id)
        tier(self, service_tier)


def slot_setters(cls: type) -> tuple[Callable[[Any, Any], None], ...]:
    """The slots' own setters of a frozen slots dataclass, in field order.

    A frozen dataclass's generated `__init__` assigns each field through
    `object.__setattr__`, which looks the attribute up on the type every time; the slot's
    setter does the same store at about half the cost (Usage: 1.2 against 2.2 µs). The two
    records built for every answer use them; the instances stay frozen (assignment still
    raises FrozenInstanceError)."""
    return tuple(getattr(cls, f.name).__set__ for f in fields(cls))


_USAGE_SET = slot_setters(Usage)
_RESPONSE_SET = slot_setters(ChatResponse)


def completed(
    resp: ChatResponse, cost: float, sent: Mapping[str, Any], request_id: str | None
) -> ChatResponse:
    """A response its API's parser just built, given what only the call knows: its cost,
    what was sent and the request id. Set in place through the slots' setters, as
    `__init__` sets them: the object is the call's own and nobody holds it yet, and a
    second object per answer was 1.6 µs of the hot path."""
    _, _, _, set_cost, _, set_sent, set_rid, _ = _RESPONSE_SET
    set_cost(resp, cost)
    set_sent(resp, sent)
    set_rid(resp, request_id)
    return resp


@dataclass(frozen=True, slots=True)
class ScoreResponse:
    """A reward model's score of one conversation, with what it cost."""

    score: float
    usage: Usage = Usage()
    cost: float = 0.0


ErrorClass = Literal[
    "rate_limit",  # 429 after retries ran out
    "server",  # 5xx / 529 after retries ran out
    "timeout",
    "connection",
    "bad_request",  # 400/404/422: never retried
    "auth",  # 401/403: stops the provider
    "quota",  # insufficient_quota / per-day quota: stops the provider
    "malformed",  # a 200 whose body cannot be read: retried at most once (it was billed)
    "truncated",  # a stream cut off or unreadable mid-way: retried at most once
    "empty",  # a 200 with no choice / candidate / text block at all: retried like a 5xx
    "client",  # the request cannot be made (a malformed URL...): stops the provider
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
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.error_class = error_class
        self.status = status
        self.fatal = fatal
        self.request_id = request_id  # the server's id of the failed request, when it sent one


@dataclass
class ProviderStats:
    """Live counters, read by the progress view and the summary (mutated in place)."""

    in_flight: int = 0
    requests: int = 0
    completed: int = 0
    retries: int = 0
    rate_limited: int = 0
    errors: int = 0
    cost: float = 0.0
    requests_per_minute_limit: float | None = None
    tokens_per_minute_limit: float | None = None
    stopped_reason: str | None = None
    # Per model: the six token counts of `Usage`, in its order, then the cost.
    _models: dict[str, list[float]] = field(default_factory=dict, repr=False)
    # Sends held back by the server's Retry-After: until when (time.time()) and why.
    paused_until: float = 0.0
    paused_reason: str = ""
    # One line per thing the run output should say once (e.g. a model not in the table).
    notes: list[str] = field(default_factory=list)
    # Per endpoint of an HTTP provider: in flight, sends, answers, errors, health.
    endpoints: list[EndpointStats] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def record_usage(self, model: str, usage: Usage, cost: float) -> None:
        # Summed in place per model (once per answer, on the hot path); `usage` and
        # `by_model` make the frozen totals when read.
        total = self._models.get(model)
        if total is None:
            total = self._models[model] = [0, 0, 0, 0, 0, 0, 0.0]
        total[0] += usage.input_tokens
        total[1] += usage.output_tokens
        total[2] += usage.reasoning_tokens
        total[3] += usage.cached_tokens
        total[4] += usage.cache_write_tokens
        total[5] += usage.cache_write_1h_tokens
        total[6] += cost
        self.cost += cost

    @property
    def by_model(self) -> dict[str, tuple[Usage, float]]:
        """Per-model totals: model -> (usage, cost)."""
        return {m: (Usage(*map(int, t[:6])), t[6]) for m, t in self._models.items()}

    @property
    def usage(self) -> Usage:
        out = Usage()
        for usage, _ in self.by_model.values():
            out = out + usage
        return out


class Provider(ABC):
    """One API endpoint with its own session, limits, retries and accounting."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stats = ProviderStats()

    @abstractmethod
    async def chat(self, request: ChatRequest) -> ChatResponse:
        """Send one chat request; raise `ProviderError` when it finally fails."""

    def adjustments(self, request: ChatRequest) -> Mapping[str, Any]:
        """Values the model will be sent that the request does not ask for (the model table's
        doing: a raised token cap, a clamped temperature...); part of the request key."""
        return {}

    def choices_per_call(self, model: str) -> int:
        """How many samples one call may return (1: one call per sample)."""
        return 1

    async def chat_many(self, request: ChatRequest, n: int) -> list[ChatResponse]:
        """`n` samples of one request in one call where the API allows it (the input is
        paid once); each response carries its share of the usage and cost. May return fewer
        than `n` (the missing ones are to be asked again)."""
        if n != 1:
            raise ProviderError("bad_request", f"provider {self.name!r} returns one sample a call")
        return [await self.chat(request)]

    async def score(self, model: str, messages: tuple[Message, ...]) -> float:
        """Reward-model score of a conversation (OpenAI-compatible servers with a reward API)."""
        return (await self.score_response(model, messages)).score

    async def score_response(self, model: str, messages: tuple[Message, ...]) -> ScoreResponse:
        """`score` with its usage and cost, for the records (a run's totals are their sum)."""
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
