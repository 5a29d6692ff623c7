"""The HTTP machinery every API client shares: session, limits, retries, errors, accounting.

A subclass supplies only its wire format (URL, headers, body, parsing, error bodies, stream
events); this class owns one aiohttp session with a connection cap, a `ModelLimiter` per
model, the model table (providers.models), the tenacity retry loop, the stop-on-fatal rule
and the live `ProviderStats`. A streamed attempt has an idle timeout between events
(`attempt_timeout`) and a generous total (`stream_timeout`); a plain one has one timeout.
Each attempt goes to one of the provider's endpoints (providers.endpoints: balancing and
health), and its rate limits are the account's (one limiter per model) or, for self-hosted
servers, each endpoint's own (`rate_limit_scope`).
"""

from __future__ import annotations

import dataclasses
import operator
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import aiohttp
import orjson

from providers.accounting import cost_of, price_for
from providers.base import (
    ChatRequest,
    ChatResponse,
    ErrorClass,
    Provider,
    ProviderError,
    Usage,
    completed,
)
from providers.checks import table_api
from providers.config import ProviderConfig
from providers.endpoints import Endpoint, EndpointSet, EndpointSpec, Lease, Outcome
from providers.errors import (
    EmptyReply,
    ErrorDetail,
    RetryableError,
    is_retry_status,
    loads_or_text,
)
from providers.headers import RateLimitHeaders, parse_retry_after, request_id, should_retry
from providers.limits import NO_CHARGE, Charge, Charging, ModelLimiter
from providers.models import ModelTable, Plan, plan
from providers.options import DecodingOptions
from providers.retry import retry_after_first
from providers.sampling import split_usage
from providers.schema import Unsupported
from providers.slots import Slots
from providers.streaming import NewAssembler, read_stream

T = TypeVar("T")
Parsed = tuple[T, Usage]
# A call's URL on an endpoint, from that endpoint's base URL; or, for a provider with one
# endpoint, the URL itself (made once per call, not once per attempt).
Route = Callable[[str], str] | str
# Client-side failures: the request cannot be made, so it is never retried.
_CLIENT_ERRORS = (aiohttp.InvalidURL, aiohttp.ClientConnectorCertificateError)
_content = operator.attrgetter("content")


@dataclass(frozen=True, slots=True)
class WireFormat:
    """The pure writer and readers of one API's bodies (each API module has one)."""

    # The JSON body of a chat request with its plan, asking for `n` samples.
    body: Callable[[ChatRequest, Plan, int], dict[str, Any]]
    # A reply: its first choice, without cost; may raise KeyError/TypeError/ValueError, and
    # EmptyReply for a 200 with nothing in it.
    parse: Callable[[Any], ChatResponse]
    # An error body, with its HTTP status.
    error: Callable[[int, Any], ErrorDetail]
    # Every choice of a reply (OpenAI `n`, Gemini `candidateCount`), each with the whole usage.
    choices: Callable[[Any], list[ChatResponse]]
    # Folds the API's server-sent events into the body above.
    assembler: NewAssembler


class HTTPProvider(Provider):
    """Base of the OpenAI, Anthropic and Gemini clients."""

    api = "http"
    wire: ClassVar[WireFormat]
    # How the API counts tokens against its limits (providers/limits.py).
    charging: ClassVar[Charging] = "openai"
    # A token cap the API requires when the job gives none (Anthropic).
    default_max_tokens: ClassVar[int | None] = None

    def __init__(
        self,
        name: str,
        config: ProviderConfig,
        *,
        api_key: str | None,
        base_url: str | None = None,
        endpoints: Sequence[EndpointSpec] | None = None,
    ) -> None:
        super().__init__(name)
        self.config = config
        self._api_key = api_key
        if endpoints is None:
            if base_url is None:
                raise TypeError(f"provider {name!r}: give base_url or endpoints")
            endpoints = [EndpointSpec(base_url)]
        self.pool = EndpointSet(endpoints, config.endpoint_health)
        self.stats.endpoints = self.pool.stats
        # One limiter per model for the account, or one per model and endpoint.
        self._per_endpoint_limits = not self.pool.single and config.limit_scope == "endpoint"
        self.table = ModelTable(table_api(config), config.models)
        self._session: aiohttp.ClientSession | None = None
        self._limiters: dict[tuple[str, int], ModelLimiter] = {}
        # The account's limiter of each model (the hot path's lookup: no key tuple).
        self._account_limiters: dict[str, ModelLimiter] = {}
        self._plans: dict[tuple[Any, ...], Plan] = {}
        self._last_plan: tuple[DecodingOptions, str, Plan] | None = None
        # A free slot is taken with no checkpoint and no Python call beyond one test
        # (providers.slots: asyncio.Semaphore's costs seven calls, anyio's checks cancellation).
        self._slots = Slots(self.total_concurrency)
        # With one endpoint every attempt takes the same lease: taken once, never counted.
        self._single_lease = self.pool.take_nowait() if self.pool.single else None
        retry = config.retry
        self._attempt_timeout = aiohttp.ClientTimeout(total=retry.attempt_timeout)
        self._stream_timeout = aiohttp.ClientTimeout(
            total=retry.stream_timeout, sock_read=retry.attempt_timeout
        )
        self.stats.requests_per_minute_limit = config.requests_per_minute
        self.stats.tokens_per_minute_limit = config.tokens_per_minute

    @property
    def base_url(self) -> str:
        """The first endpoint's base URL (the only one, unless the job lists `endpoints`)."""
        return self.pool.endpoints[0].base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self.pool.endpoints[0].base_url = value.rstrip("/")

    @property
    def total_concurrency(self) -> int:
        """Calls in flight at most: `max_concurrency`, or with several endpoints and no
        `max_concurrency` given, the sum of theirs (each defaults to `max_concurrency`)."""
        config = self.config
        if self.pool.single or "max_concurrency" in config.model_fields_set:
            return config.max_concurrency
        return sum(
            config.max_concurrency if s.max_concurrency is None else s.max_concurrency
            for s in self.pool.specs
        )

    # ---- wire-format hooks -------------------------------------------------------------
    def auth_headers(self, api_key: str | None) -> dict[str, str]:
        return {}

    def chat_url(self, base: str, request: ChatRequest, stream: bool) -> str:
        """The URL of a chat call on the endpoint whose base URL is `base`."""
        raise NotImplementedError

    def chat_body(self, request: ChatRequest, plan: Plan, n: int) -> dict[str, Any]:
        """The JSON body of a chat call (the wire format's; batch files use it too)."""
        return self.wire.body(request, plan, n)

    def asked_effort(self, extra: Mapping[str, Any]) -> str | None:
        """A reasoning setting the request's `extra` gives in the API's own field."""
        return None

    def rate_headers(self, headers: Mapping[str, str], now: float) -> RateLimitHeaders | None:
        return None

    # ---- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.total_concurrency, limit_per_host=0, ttl_dns_cache=300
            )
            headers = {
                **self.config.headers,
                **self.auth_headers(self._api_key),
                "content-type": "application/json",
            }
            # The per-attempt timeout is the session default, so the common call passes none.
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers=headers,
                timeout=self._attempt_timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ---- the model table ---------------------------------------------------------------
    def plan_for(self, request: ChatRequest) -> Plan:
        """The request's plan, computed once per model and the few options it depends on."""
        opts = request.options
        # A judge's requests share one options object: the last plan is kept by identity.
        last = self._last_plan
        if last is not None and last[0] is opts and last[1] == request.model:
            return last[2]
        made = self._plan_of(request, opts)
        self._last_plan = (opts, request.model, made)
        return made

    def _plan_of(self, request: ChatRequest, opts: DecodingOptions) -> Plan:
        """`plan_for` past its one-entry shortcut: a dict keyed by what the plan depends on."""
        extra = opts.extra
        effort = self.asked_effort(extra) if extra else None
        stream = extra.get("stream") if extra else None
        stream = stream if isinstance(stream, bool) else None
        key = (request.model, opts.temperature, opts.max_tokens, effort, stream)
        hit = self._plans.get(key)
        if hit is not None:
            return hit
        rule, known = self.table.rule(request.model)
        made = plan(
            rule,
            known,
            model=request.model,
            temperature=opts.temperature,
            max_tokens=opts.max_tokens,
            asked_effort=effort,
            stream=stream if stream is not None else _stream_setting(self.config.stream),
            default_max_tokens=self.default_max_tokens,
        )
        if not known:
            self.stats.note(f"{self.name}: {made.notes[-1]}")
        if len(self._plans) > 4096:
            self._plans.clear()
        self._plans[key] = made
        return made

    def adjustments(self, request: ChatRequest) -> Mapping[str, Any]:
        return self.plan_for(request).key_part

    def choices_per_call(self, model: str) -> int:
        rule, known = self.table.rule(model)
        sampling = self.config.sampling
        if sampling == "separate" or not known:
            return 1
        if sampling == "auto" and self.config.type not in ("openai", "gemini"):
            return 1
        return rule.max_n

    # ---- calls -------------------------------------------------------------------------
    def limiter(self, model: str, endpoint: Endpoint | None = None) -> ModelLimiter:
        """The model's limiter: the account's, or `endpoint`'s own where limits are per
        endpoint (rate_limit_scope: endpoint)."""
        key = (model, endpoint.index if endpoint is not None and self._per_endpoint_limits else -1)
        lim = self._limiters.get(key)
        if lim is None:
            limits = self.config.limits_for(model)
            lim = ModelLimiter(
                limits.requests_per_minute,
                limits.tokens_per_minute,
                output_tokens_per_minute=limits.output_tokens_per_minute,
                charging=self.charging,
            )
            self._limiters[key] = lim
            if key[1] == -1:
                self._account_limiters[model] = lim
        return lim

    def _payload(self, request: ChatRequest, plan_: Plan, n: int) -> bytes:
        try:
            return orjson.dumps(self.wire.body(request, plan_, n))
        except Unsupported as exc:  # `validate` reports it; a job that skipped it fails here
            raise ProviderError("bad_request", f"{self.name}: {exc}") from None

    def _chat_route(self, request: ChatRequest, stream: bool) -> Route:
        lease = self._single_lease
        if lease is not None:
            return self.chat_url(lease[0].base_url, request, stream)
        return lambda base: self.chat_url(base, request, stream)

    async def chat(self, request: ChatRequest) -> ChatResponse:
        plan_ = self.plan_for(request)
        payload = self._payload(request, plan_, 1)
        chars = sum(map(len, map(_content, request.messages)))
        stream = plan_.stream
        model = request.model
        route = self._chat_route(request, stream)
        assembler = self.wire.assembler if stream else None
        # `call` and `_begin`, written out: the answer's await chain is one coroutine
        # shorter (every wake-up of the call walks that chain), and two calls fewer.
        if self._session is None:
            await self.start()
        stats = self.stats
        if stats.stopped_reason is not None:
            self._check_stopped()
        stats.requests += 1
        deadline = time.monotonic() + self.config.retry.total_deadline
        try:
            try:
                (resp, usage), rid = await self._attempt(
                    model,
                    route,
                    payload,
                    chars,
                    plan_.max_tokens,
                    deadline,
                    self.config.retry.total_deadline,
                    self._parse_first,
                    assembler,
                )
            except RetryableError as first:
                args = (model, route, payload, chars, plan_.max_tokens, deadline)
                (resp, usage), rid = await self._retry(first, *args, self._parse_first, assembler)
        except ProviderError as exc:
            self._failed(exc)
            raise
        stats.completed += 1
        prices = self.config.prices
        cost = cost_of(price_for(prices, model), usage) if prices else 0.0
        stats.record_usage(model, usage, cost)
        return completed(resp, cost, plan_.record, rid)

    async def chat_many(self, request: ChatRequest, n: int) -> list[ChatResponse]:
        if n == 1:
            return [await self.chat(request)]
        plan_ = self.plan_for(request)
        payload = self._payload(request, plan_, n)
        chars = sum(map(len, map(_content, request.messages)))
        (resps, usage), rid = await self.call(
            request.model,
            self._chat_route(request, plan_.stream),
            payload,
            chars,
            plan_.max_tokens * n if plan_.max_tokens else None,
            self._parse_all,
            stream=self.wire.assembler if plan_.stream else None,
        )
        price = price_for(self.config.prices, request.model)
        self.stats.record_usage(request.model, usage, cost_of(price, usage))
        sent = plan_.sent(n)
        return [
            dataclasses.replace(r, usage=u, cost=cost_of(price, u), sent=sent, request_id=rid)
            for r, u in zip(resps, split_usage(usage, [r.text for r in resps]), strict=True)
        ]

    async def api_call(
        self,
        method: str,
        url: str,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> bytes:
        """One attempt at a call outside chat (the batch endpoints, providers/batch/): the
        body of a 200, else the API's error as `ProviderError` (`RetryableError` when worth
        another try). No limiter: such calls are few."""
        self._check_stopped()
        if self._session is None:
            await self.start()
        assert self._session is not None
        try:
            async with self._session.request(method, url, data=data, headers=headers) as resp:
                status, got, body = resp.status, resp.headers, await resp.read()
        except TimeoutError:
            raise RetryableError("timeout", f"{self.name}: no answer from {url}") from None
        except _CLIENT_ERRORS as exc:
            raise self._stop("client", self._redact(f"{self.name}: {exc!r}"), None) from None
        except aiohttp.ClientError as exc:
            raise RetryableError(
                "connection", self._redact(f"{self.name}: {type(exc).__name__}: {exc}")
            ) from None
        if status != 200:
            raise self._error(status, loads_or_text(body), got, self.limiter("(batch)"))
        return body

    def _parse_first(self, data: Any) -> Parsed[ChatResponse]:
        resp = self.wire.parse(data)
        return resp, resp.usage

    def _parse_all(self, data: Any) -> Parsed[list[ChatResponse]]:
        resps = self.wire.choices(data)
        return resps, resps[0].usage

    async def call(
        self,
        model: str,
        url: Route,
        payload: bytes,
        chars: int,
        max_tokens: int | None,
        parse: Callable[[Any], Parsed[T]],
        *,
        stream: NewAssembler | None = None,
    ) -> tuple[Parsed[T], str | None]:
        """POST `payload` with limits and retries to `url(base URL)` on one endpoint per
        attempt; `parse` turns the JSON body (or the body the streamed events assemble to)
        into a result. Returns it and the request id."""
        if self._session is None:
            await self.start()
        deadline = self._begin()
        try:
            try:
                # The happy path makes one attempt with no retry machinery around it.
                result = await self._attempt(
                    model,
                    url,
                    payload,
                    chars,
                    max_tokens,
                    deadline,
                    self.config.retry.total_deadline,
                    parse,
                    stream,
                )
            except RetryableError as first:
                result = await self._retry(
                    first, model, url, payload, chars, max_tokens, deadline, parse, stream
                )
        except ProviderError as exc:
            self._failed(exc)
            raise
        self.stats.completed += 1
        return result

    def _begin(self) -> float:
        """A call's start: refused if the provider stopped, counted; returns its deadline."""
        self._check_stopped()
        self.stats.requests += 1
        return time.monotonic() + self.config.retry.total_deadline

    def _failed(self, exc: ProviderError) -> None:
        if exc.error_class != "stopped":
            self.stats.errors += 1

    async def _retry(
        self,
        first: RetryableError,
        model: str,
        url: Route,
        payload: bytes,
        chars: int,
        max_tokens: int | None,
        deadline: float,
        parse: Callable[[Any], Parsed[T]],
        stream: NewAssembler | None,
    ) -> tuple[Parsed[T], str | None]:
        """Attempts after a failed first one (providers.retry)."""

        def once(left: float) -> Awaitable[tuple[Parsed[T], str | None]]:
            args = (model, url, payload, chars, max_tokens, deadline)
            return self._attempt(*args, left, parse, stream)

        return await retry_after_first(
            first,
            once,
            self.config.retry,
            deadline,
            on_retry=self._count_retry,
            check=self._check_stopped,
        )

    async def _admit_on_endpoint(
        self, model: str, chars: int, max_tokens: int | None, deadline: float
    ) -> tuple[ModelLimiter, Lease, Charge]:
        """Where limits are each endpoint's own: choose the endpoint, then wait for its
        limits (the account's are waited for in `_attempt`, before an endpoint is chosen)."""
        lease = self.pool.take_nowait() or await self.pool.take()
        try:
            limiter = self.limiter(model, lease[0])
            charge = _charge(limiter, chars, max_tokens)
            if not limiter.unlimited and limiter.active:
                await limiter.acquire(charge, deadline)
        except BaseException:
            self.pool.done(lease, "neutral")
            raise
        return limiter, lease, charge

    async def _attempt(
        self,
        model: str,
        route: Route,
        payload: bytes,
        chars: int,
        max_tokens: int | None,
        deadline: float,
        left: float,
        parse: Callable[[Any], Parsed[T]],
        stream: NewAssembler | None,
    ) -> tuple[Parsed[T], str | None]:
        assert self._session is not None
        data: Any = None
        stats = self.stats
        # A slot is held before the clock starts: a call queued behind a slow server (the
        # local llama.cpp serves one at a time) must not time out while it waits its turn.
        slots = self._slots
        if not slots.take_nowait():
            await slots.take()
        try:
            if self._per_endpoint_limits:
                admitted = await self._admit_on_endpoint(model, chars, max_tokens, deadline)
                limiter, lease, charge = admitted
            else:  # the account's limits first, so the endpoint is chosen when the call goes
                limiter = self._account_limiters.get(model) or self.limiter(model)
                # Token charges matter only to a token budget (none on the plain path).
                charge = limiter.charge(chars, max_tokens) if limiter.counts_tokens else NO_CHARGE
                if not limiter.unlimited and limiter.active:
                    await limiter.acquire(charge, deadline)
                lease = self._single_lease or self.pool.take_nowait() or await self.pool.take()
            ep = lease[0]
            budget = limiter.counts_tokens
            stats.in_flight += 1
            outcome: Outcome = "neutral"  # for the endpoint's health: cancelled, our fault
            sent = time.monotonic()
            try:
                url = route if isinstance(route, str) else route(ep.base_url)
                if stream is not None:
                    post = self._session.post(url, data=payload, timeout=self._stream_timeout)
                elif left >= self.config.retry.attempt_timeout:
                    post = self._session.post(url, data=payload)
                else:
                    timeout = aiohttp.ClientTimeout(total=left)
                    post = self._session.post(url, data=payload, timeout=timeout)
                async with post as resp:
                    status, headers = resp.status, resp.headers
                    if stream is not None and status == 200 and _is_sse(headers):
                        data, _ = await read_stream(resp.content, stream(), self.name)
                    else:
                        body = await resp.read()
                outcome = "failed" if status >= 500 else "ok"
            # A failed attempt keeps its token reservation: it may have been served, and counted.
            except RetryableError:
                outcome = "failed"
                raise
            except TimeoutError:
                outcome = "failed"
                retry = self.config.retry
                what = "no event for" if stream else "no complete answer within"
                limit = retry.attempt_timeout if stream else min(left, retry.attempt_timeout)
                raise RetryableError("timeout", f"{self.name}: {what} {limit:.1f}s") from None
            except aiohttp.ClientPayloadError as exc:
                outcome = "failed"
                raise RetryableError(
                    "truncated", self._redact(f"{self.name}: answer cut off ({exc})"), once=True
                ) from None
            except _CLIENT_ERRORS as exc:
                raise self._stop("client", self._redact(f"{self.name}: {exc!r}"), None) from None
            except aiohttp.ClientError as exc:
                outcome = "failed"
                raise RetryableError(
                    "connection",
                    self._redact(f"{self.name}: {type(exc).__name__}: {exc}"),
                    # A server that is gone: another endpoint takes the call without a wait.
                    retry_after=0.0 if self.pool.others_up(ep) else None,
                ) from None
            finally:
                stats.in_flight -= 1
                if lease is not self._single_lease:
                    self.pool.done(lease, outcome)
        finally:
            slots.release()
        rid = request_id(headers)
        info = self.rate_headers(headers, time.time())
        if info is not None and not info.empty:
            limiter.observe(info, charge.tokens, age=time.monotonic() - sent)
            stats.requests_per_minute_limit = limiter.rpm
            stats.tokens_per_minute_limit = limiter.tpm
        if status != 200:
            if budget:
                limiter.settle(charge, chars, None)  # refused: the server counted nothing
            raise self._error(status, loads_or_text(body), headers, limiter)
        result = self._read(data if data is not None else body, data is None, parse, rid)
        if budget:
            limiter.settle(charge, chars, result[1])
        if limiter.drip_gap or limiter.blocked_until:
            limiter.succeeded()
            stats.paused_until = 0.0  # an answer came: the live view's pause is over
        return result, rid

    def _read(
        self, raw: Any, is_bytes: bool, parse: Callable[[Any], Parsed[T]], rid: str | None
    ) -> Parsed[T]:
        try:
            return parse(orjson.loads(raw) if is_bytes else raw)
        except EmptyReply as exc:
            raise RetryableError(
                "empty", f"{self.name}: a 200 with no answer in it ({exc})", request_id=rid
            ) from None
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, IndexError) as exc:
            raise RetryableError(
                "malformed",
                f"{self.name}: unreadable {self.api} response ({type(exc).__name__})",
                request_id=rid,
                once=True,
            ) from None

    # ---- errors ------------------------------------------------------------------------
    def _error(
        self, status: int, data: Any, headers: Mapping[str, str], limiter: ModelLimiter
    ) -> ProviderError:
        detail = self.wire.error(status, data)
        rid = request_id(headers)
        message = self._redact(f"{self.name}: HTTP {status} from {self.api} API: {detail.message}")
        if rid:
            message += f" [request {rid}]"
        if detail.stop is not None or status in (401, 403):
            return self._stop(detail.stop or "auth", message, status, rid)
        told = should_retry(headers)
        if status == 429:
            self.stats.rate_limited += 1
            wait = parse_retry_after(headers, time.time())
            if wait is None:
                wait = detail.retry_after
            if told is False:
                return ProviderError(
                    "rate_limit", f"{message} (x-should-retry: false)", **_at(status, rid)
                )
            self._pause(limiter, wait if wait is not None else self.config.retry.initial_backoff)
            return RetryableError("rate_limit", message, retry_after=wait, **_at(status, rid))
        cls: ErrorClass = (
            "timeout" if status == 408 else "server" if status >= 409 else "bad_request"
        )
        if is_retry_status(status, told):
            wait = parse_retry_after(headers, time.time())
            return RetryableError(cls, message, retry_after=wait, **_at(status, rid))
        if told is False:
            message += " (x-should-retry: false)"
        return ProviderError(cls, message, **_at(status, rid))

    def _pause(self, limiter: ModelLimiter, wait: float) -> None:
        """Hold this model's sends for the server's wait (capped), and say so on the view."""
        cap = self.config.retry.retry_after_cap
        paused = limiter.rate_limited(wait, cap)
        until = time.time() + max(wait, paused)
        if until > self.stats.paused_until:
            self.stats.paused_until = until
            reason = f"the server asked for {wait:.0f}s (Retry-After)"
            if wait > cap:
                reason += f"; we wait {cap:.0f}s at a time"
            if wait > self.config.retry.total_deadline:
                reason += "; calls whose total_deadline ends first are recorded failed"
            self.stats.paused_reason = reason

    def _stop(
        self,
        error_class: ErrorClass,
        message: str,
        status: int | None,
        request_id: str | None = None,
    ) -> ProviderError:
        if self.stats.stopped_reason is None:
            self.stats.stopped_reason = message
        return ProviderError(
            error_class,
            f"{message} — provider {self.name!r} is stopped for the rest of this run; "
            "fix it and run again to resume",
            status=status,
            fatal=True,
            request_id=request_id,
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


def _charge(limiter: ModelLimiter, chars: int, max_tokens: int | None) -> Charge:
    return limiter.charge(chars, max_tokens) if limiter.counts_tokens else NO_CHARGE


def _at(status: int, rid: str | None) -> dict[str, Any]:
    return {"status": status, "request_id": rid}


def _stream_setting(value: Any) -> bool | None:
    return None if value == "auto" else bool(value)


def _is_sse(headers: Mapping[str, str]) -> bool:
    """A server that ignored `stream: true` answers plain JSON: read that instead."""
    return "json" not in headers.get("content-type", "")
