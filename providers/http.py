"""The HTTP machinery every API client shares: session, limits, retries, errors, accounting.

A subclass supplies only its wire format (URL, headers, body, parsing, error bodies); this
class owns one aiohttp session with a connection cap, a `ModelLimiter` per model, the tenacity
retry loop, the stop-on-fatal rule and the live `ProviderStats`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import aiohttp
import anyio
import orjson

from providers.accounting import cost_of, price_for
from providers.base import ChatRequest, ChatResponse, ErrorClass, Provider, ProviderError, Usage
from providers.config import ProviderConfig
from providers.errors import (
    ErrorDetail,
    RetryableError,
    is_retry_status,
    loads_or_text,
)
from providers.headers import RateLimitHeaders, parse_retry_after
from providers.limits import ModelLimiter
from providers.retry import retry_after_first

T = TypeVar("T")
Parsed = tuple[T, Usage]


@dataclass(frozen=True, slots=True)
class WireFormat:
    """The pure readers of one API's bodies (each API module has one)."""

    # A reply: the response without cost; may raise KeyError/TypeError/ValueError.
    parse: Callable[[Any], ChatResponse]
    # An error body, with its HTTP status.
    error: Callable[[int, Any], ErrorDetail]


class HTTPProvider(Provider):
    """Base of the OpenAI, Anthropic and Gemini clients."""

    api = "http"
    wire: ClassVar[WireFormat]

    def __init__(
        self, name: str, config: ProviderConfig, *, api_key: str | None, base_url: str
    ) -> None:
        super().__init__(name)
        self.config = config
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        self._limiters: dict[str, ModelLimiter] = {}
        self._slots = anyio.Semaphore(config.max_concurrency, fast_acquire=True)
        self._attempt_timeout = aiohttp.ClientTimeout(total=config.retry.attempt_timeout)
        self._first_timeout = min(config.retry.attempt_timeout, config.retry.total_deadline)
        self.stats.requests_per_minute_limit = config.requests_per_minute
        self.stats.tokens_per_minute_limit = config.tokens_per_minute

    # ---- wire-format hooks -------------------------------------------------------------
    def auth_headers(self, api_key: str | None) -> dict[str, str]:
        return {}

    def chat_url(self, request: ChatRequest) -> str:
        raise NotImplementedError

    def chat_body(self, request: ChatRequest) -> dict[str, Any]:
        raise NotImplementedError

    def rate_headers(self, headers: Mapping[str, str], now: float) -> RateLimitHeaders | None:
        return None

    # ---- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.config.max_concurrency, limit_per_host=0, ttl_dns_cache=300
            )
            headers = {
                **self.config.headers,
                **self.auth_headers(self._api_key),
                "content-type": "application/json",
            }
            # The per-attempt timeout is the session default, so the common call passes none.
            self._session = aiohttp.ClientSession(
                connector=connector, headers=headers, timeout=self._attempt_timeout
            )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ---- calls -------------------------------------------------------------------------
    def limiter(self, model: str) -> ModelLimiter:
        lim = self._limiters.get(model)
        if lim is None:
            lim = ModelLimiter(self.config.requests_per_minute, self.config.tokens_per_minute)
            self._limiters[model] = lim
        return lim

    async def chat(self, request: ChatRequest) -> ChatResponse:
        url = self.chat_url(request)
        payload = orjson.dumps(self.chat_body(request))
        chars = sum([len(m.content) for m in request.messages])
        resp = await self.call(
            request.model, url, payload, chars, request.options.max_tokens, self._parse_with_usage
        )
        if not self.config.prices:
            self.stats.record_usage(request.model, resp.usage, 0.0)
            return resp
        cost = cost_of(price_for(self.config.prices, request.model), resp.usage)
        self.stats.record_usage(request.model, resp.usage, cost)
        return dataclasses.replace(resp, cost=cost)

    def _parse_with_usage(self, data: Any) -> Parsed[ChatResponse]:
        resp = self.wire.parse(data)
        return resp, resp.usage

    async def call(
        self,
        model: str,
        url: str,
        payload: bytes,
        chars: int,
        max_tokens: int | None,
        parse: Callable[[Any], Parsed[T]],
    ) -> T:
        """POST `payload` with limits and retries; `parse` turns the JSON body into a result."""
        self._check_stopped()
        if self._session is None:
            await self.start()
        policy = self.config.retry
        limiter = self.limiter(model)
        deadline = time.monotonic() + policy.total_deadline
        self.stats.requests += 1
        try:
            try:
                # The happy path makes one attempt with no retry machinery around it.
                result = await self._attempt(
                    limiter, url, payload, chars, max_tokens, self._first_timeout, parse
                )
            except RetryableError as first:

                def again(seconds: float) -> Awaitable[T]:
                    return self._attempt(limiter, url, payload, chars, max_tokens, seconds, parse)

                result = await retry_after_first(
                    first,
                    again,
                    policy,
                    deadline,
                    on_retry=self._count_retry,
                    check=self._check_stopped,
                )
        except ProviderError as exc:
            if exc.error_class != "stopped":
                self.stats.errors += 1
            raise
        self.stats.completed += 1
        return result

    async def _attempt(
        self,
        limiter: ModelLimiter,
        url: str,
        payload: bytes,
        chars: int,
        max_tokens: int | None,
        timeout: float,
        parse: Callable[[Any], Parsed[T]],
    ) -> T:
        assert self._session is not None
        # Token estimates matter only to a tokens/min budget; skip them on the plain path.
        budget = limiter.budget is not None
        estimate = limiter.estimator.estimate(chars, max_tokens) if budget else 0
        # A slot is held before the clock starts: a call queued behind a slow server (the
        # local llama.cpp serves one at a time) must not time out while it waits its turn.
        async with self._slots:
            if limiter.active:
                await limiter.acquire(estimate)
            self.stats.in_flight += 1
            sent = time.monotonic()
            try:
                post = (
                    self._session.post(url, data=payload)
                    if timeout == self.config.retry.attempt_timeout
                    else self._session.post(
                        url, data=payload, timeout=aiohttp.ClientTimeout(total=timeout)
                    )
                )
                async with post as resp:
                    body = await resp.read()
                    status, headers = resp.status, resp.headers
            except TimeoutError:
                limiter.settle(estimate, estimate)  # it may have been served: assume it cost
                raise RetryableError(
                    "timeout", f"{self.name}: no complete answer within {timeout:.1f}s"
                ) from None
            except aiohttp.ClientError as exc:
                limiter.settle(estimate, estimate)
                raise RetryableError(
                    "connection", self._redact(f"{self.name}: {type(exc).__name__}: {exc}")
                ) from None
            finally:
                self.stats.in_flight -= 1
        info = self.rate_headers(headers, time.time())
        if info is not None and not info.empty:
            limiter.observe(info, estimate, age=time.monotonic() - sent)
            self.stats.requests_per_minute_limit = limiter.rpm
            self.stats.tokens_per_minute_limit = limiter.tpm
        if status != 200:
            limiter.settle(estimate, 0)
            raise self._error(status, loads_or_text(body), headers, limiter)
        try:
            result, usage = parse(orjson.loads(body))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, IndexError) as exc:
            limiter.settle(estimate, estimate)
            raise RetryableError(
                "malformed", f"{self.name}: unreadable {self.api} response ({type(exc).__name__})"
            ) from None
        if budget:
            limiter.settle(estimate, usage.input_tokens + usage.output_tokens)
            limiter.estimator.learn(chars, usage)
        if limiter.drip_gap:
            limiter.succeeded()
        return result

    # ---- errors ------------------------------------------------------------------------
    def _error(
        self, status: int, data: Any, headers: Mapping[str, str], limiter: ModelLimiter
    ) -> ProviderError:
        detail = self.wire.error(status, data)
        message = self._redact(f"{self.name}: HTTP {status} from {self.api} API: {detail.message}")
        if detail.stop is not None or status in (401, 403):
            return self._stop(detail.stop or "auth", message, status)
        if status == 429:
            self.stats.rate_limited += 1
            wait = parse_retry_after(headers, time.time())
            if wait is None:
                wait = detail.retry_after
            limiter.rate_limited(wait if wait is not None else self.config.retry.initial_backoff)
            return RetryableError("rate_limit", message, status=status, retry_after=wait)
        if is_retry_status(status):
            cls: ErrorClass = "timeout" if status == 408 else "server"
            wait = parse_retry_after(headers, time.time())
            return RetryableError(cls, message, status=status, retry_after=wait)
        return ProviderError("bad_request", message, status=status)

    def _stop(self, error_class: ErrorClass, message: str, status: int | None) -> ProviderError:
        if self.stats.stopped_reason is None:
            self.stats.stopped_reason = message
        return ProviderError(
            error_class,
            f"{message} — provider {self.name!r} is stopped for the rest of this run; "
            "fix it and run again to resume",
            status=status,
            fatal=True,
        )

    def _check_stopped(self) -> None:
        if self.stats.stopped_reason is not None:
            raise ProviderError(
                "stopped",
                f"{self.name}: stopped earlier: {self.stats.stopped_reason}",
                fatal=True,
            )

    def _redact(self, text: str) -> str:
        key = self._api_key
        return text.replace(key, "***") if key else text

    def _count_retry(self) -> None:
        self.stats.retries += 1
