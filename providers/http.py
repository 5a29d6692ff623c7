"""The HTTP machinery every API client shares: session, limits, retries, errors, accounting.

A subclass supplies only its wire format (URL, headers, body, parsing, error bodies); this
class owns one aiohttp session with a connection cap, a `ModelLimiter` per model, the tenacity
retry loop, the stop-on-fatal rule and the live `ProviderStats`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import anyio
import orjson
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
)

from providers.accounting import cost_of, price_for
from providers.base import ChatRequest, ChatResponse, ErrorClass, Provider, ProviderError, Usage
from providers.config import ProviderConfig
from providers.headers import RateLimitHeaders, parse_retry_after
from providers.limits import ModelLimiter

T = TypeVar("T")
Parsed = tuple[T, Usage]


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


def _is_retry_status(status: int) -> bool:
    return status in (408, 409, 429) or status >= 500


class HTTPProvider(Provider):
    """Base of the OpenAI, Anthropic and Gemini clients."""

    api = "http"

    def __init__(
        self, name: str, config: ProviderConfig, *, api_key: str | None, base_url: str
    ) -> None:
        super().__init__(name)
        self.config = config
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        self._sem = anyio.Semaphore(config.max_concurrency, fast_acquire=True)
        self._limiters: dict[str, ModelLimiter] = {}
        self._attempt_timeout = aiohttp.ClientTimeout(total=config.retry.attempt_timeout)
        self.stats.requests_per_minute_limit = config.requests_per_minute
        self.stats.tokens_per_minute_limit = config.tokens_per_minute

    # ---- wire-format hooks -------------------------------------------------------------
    def auth_headers(self, api_key: str | None) -> dict[str, str]:
        return {}

    def chat_url(self, request: ChatRequest) -> str:
        raise NotImplementedError

    def chat_body(self, request: ChatRequest) -> dict[str, Any]:
        raise NotImplementedError

    def parse_chat(self, data: Any) -> ChatResponse:
        """The response without cost; may raise KeyError/TypeError/ValueError on odd bodies."""
        raise NotImplementedError

    def error_detail(self, status: int, data: Any) -> ErrorDetail:
        return ErrorDetail(message=_short(data))

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
            self._session = aiohttp.ClientSession(connector=connector, headers=headers)

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
        self._check_stopped()
        url = self.chat_url(request)
        payload = orjson.dumps(self.chat_body(request))
        chars = sum(len(m.content) for m in request.messages)

        def parse(data: Any) -> Parsed[ChatResponse]:
            resp = self.parse_chat(data)
            return resp, resp.usage

        resp = await self.call(request.model, url, payload, chars, request.max_tokens, parse)
        price = price_for(self.config.prices, request.model)
        cost = cost_of(price, resp.usage)
        self.stats.record_usage(request.model, resp.usage, cost)
        return ChatResponse(resp.text, resp.finish_reason, resp.usage, cost, resp.raw)

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
                timeout = min(policy.attempt_timeout, policy.total_deadline)
                result = await self._attempt(
                    limiter, url, payload, chars, max_tokens, timeout, parse
                )
            except RetryableError as first:
                result = await self._retry(first, deadline, limiter, url, payload, chars,
                                           max_tokens, parse)
        except ProviderError as exc:
            if exc.error_class != "stopped":
                self.stats.errors += 1
            raise
        self.stats.completed += 1
        return result

    async def _retry(
        self,
        first: RetryableError,
        deadline: float,
        limiter: ModelLimiter,
        url: str,
        payload: bytes,
        chars: int,
        max_tokens: int | None,
        parse: Callable[[Any], Parsed[T]],
    ) -> T:
        """Attempts 2..max_attempts under tenacity: backoff with jitter, Retry-After honoured,
        a per-attempt timeout and a total deadline."""
        policy = self.config.retry
        if policy.max_attempts <= 1:
            raise ProviderError(first.error_class, str(first), status=first.status)
        last: list[BaseException] = [first]

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            return self._backoff(exc, state.attempt_number + 1)

        first_wait = self._backoff(first, 1)
        if time.monotonic() + first_wait >= deadline:
            raise ProviderError(first.error_class, f"{first} (no time left to retry)",
                                status=first.status)
        self.stats.retries += 1
        await anyio.sleep(first_wait)
        left = deadline - time.monotonic()
        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.max_attempts - 1) | stop_before_delay(left),
            wait=wait,
            retry=retry_if_exception_type(RetryableError),
            before_sleep=self._count_retry,
            sleep=anyio.sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    self._check_stopped()
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise ProviderError(
                            last[-1].error_class if isinstance(last[-1], ProviderError)
                            else "timeout",
                            f"{self.name}: total deadline of {policy.total_deadline:.0f}s passed",
                        )
                    try:
                        return await self._attempt(limiter, url, payload, chars, max_tokens,
                                                   min(policy.attempt_timeout, left), parse)
                    except RetryableError as exc:
                        last.append(exc)
                        raise
        except RetryableError as exc:
            raise ProviderError(
                exc.error_class, f"{exc} (gave up after {len(last)} attempts)", status=exc.status
            ) from None
        raise AssertionError("unreachable: tenacity either returns or raises")

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
        estimate = limiter.estimator.estimate(chars, max_tokens)
        async with self._sem:
            if limiter.active:
                await limiter.acquire(estimate)
            self.stats.in_flight += 1
            try:
                async with self._session.post(url, data=payload, timeout=self._timeout(timeout)
                                              ) as resp:
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
            limiter.observe(info, estimate)
            self.stats.requests_per_minute_limit = limiter.rpm
            self.stats.tokens_per_minute_limit = limiter.tpm
        if status != 200:
            limiter.settle(estimate, 0)
            raise self._error(status, _loads(body), headers, limiter)
        try:
            result, usage = parse(orjson.loads(body))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, IndexError) as exc:
            limiter.settle(estimate, estimate)
            raise RetryableError(
                "malformed", f"{self.name}: unreadable {self.api} response ({type(exc).__name__})"
            ) from None
        limiter.settle(estimate, usage.input_tokens + usage.output_tokens)
        limiter.estimator.learn(chars, usage)
        return result

    def _timeout(self, seconds: float) -> aiohttp.ClientTimeout:
        if seconds == self.config.retry.attempt_timeout:
            return self._attempt_timeout  # the common case: one shared object
        return aiohttp.ClientTimeout(total=seconds)

    # ---- errors ------------------------------------------------------------------------
    def _error(
        self, status: int, data: Any, headers: Mapping[str, str], limiter: ModelLimiter
    ) -> ProviderError:
        detail = self.error_detail(status, data)
        message = self._redact(f"{self.name}: HTTP {status} from {self.api} API: {detail.message}")
        if detail.stop is not None or status in (401, 403):
            return self._stop(detail.stop or "auth", message, status)
        if status == 429:
            self.stats.rate_limited += 1
            wait = parse_retry_after(headers, time.time())
            if wait is None:
                wait = detail.retry_after
            limiter.pause(wait if wait is not None else self.config.retry.initial_backoff)
            return RetryableError("rate_limit", message, status=status, retry_after=wait)
        if _is_retry_status(status):
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

    def _backoff(self, exc: BaseException | None, attempt: int) -> float:
        """Seconds before the next attempt after `attempt` failed."""
        policy = self.config.retry
        asked = getattr(exc, "retry_after", None)
        if asked is not None:
            # Honour the server, with a little jitter so paused calls do not all return at once.
            return float(asked) + random.uniform(0, min(1.0, 0.1 * asked + 0.01))
        backoff = min(policy.max_backoff, policy.initial_backoff * 2 ** (attempt - 1))
        return random.uniform(backoff / 2, backoff)

    def _count_retry(self, state: RetryCallState) -> None:
        self.stats.retries += 1


def _loads(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace")


def _short(data: Any, limit: int = 300) -> str:
    text = data if isinstance(data, str) else orjson.dumps(data).decode()
    return text if len(text) <= limit else text[:limit] + "…"
