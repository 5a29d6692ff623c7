"""Client-side rate limits for one provider+model: requests/min, tokens/min and a 429 pause.

* Requests/min: asyncio-throttle over a short sliding window (rpm/60 per second, or one request
  per 60/rpm seconds when slower), so sends are spread out instead of bursting a minute's worth.
* Tokens/min: a continuously refilled budget. A call reserves an estimate before it is sent and
  settles with the real usage afterwards; the estimate learns from past usage.
* Adaptive: the limit/remaining/reset headers can lower the rates and pause sends before the
  server starts answering 429, and a 429 pauses every new send for its Retry-After, then lets
  the paused calls out one per Retry-After until they have drained.

We aim a little under a configured limit (HEADROOM) because the server's clock and ours differ
by network jitter; aiming exactly at the limit would earn occasional 429s.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

import anyio
from asyncio_throttle.throttler import Throttler

from providers.base import ProviderError, Usage
from providers.headers import RateLimitHeaders

HEADROOM = 0.98
# Chars per token for a first guess before any usage was seen (English text, BPE tokenizers).
CHARS_PER_TOKEN = 4.0
DEFAULT_OUTPUT_GUESS = 1024

Clock = Callable[[], float]


class TokenBudget:
    """Tokens per minute as a bucket refilled continuously, holding at most `burst_seconds`."""

    def __init__(
        self, per_minute: float, *, burst_seconds: float = 1.0, clock: Clock = time.monotonic
    ) -> None:
        self._clock = clock
        self._burst = burst_seconds
        self._lock = anyio.Lock()  # FIFO: a large reservation is not starved by small ones
        self.set_rate(per_minute)
        self._level = self.capacity
        self._stamp = clock()

    def set_rate(self, per_minute: float) -> None:
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.capacity = max(self.rate * self._burst, 1.0)

    @property
    def level(self) -> float:
        self._refill()
        return self._level

    def _refill(self) -> None:
        now = self._clock()
        self._level = min(self.capacity, self._level + (now - self._stamp) * self.rate)
        self._stamp = now

    async def reserve(self, tokens: int) -> None:
        """Wait until `tokens` fit (capped at the capacity, so nothing waits forever), take them."""
        need = min(float(tokens), self.capacity)
        async with self._lock:
            self._refill()
            while self._level < need:
                await anyio.sleep((need - self._level) / self.rate)
                self._refill()
            self._level -= tokens

    def cap(self, remaining: float) -> None:
        """Never believe we hold more than the server says remains."""
        self._refill()
        self._level = min(self._level, remaining)

    def settle(self, reserved: int, actual: int) -> None:
        """Give back an over-estimate, or take the shortfall (the level may go below zero)."""
        self._refill()
        self._level = min(self.capacity, self._level + reserved - actual)


class TokenEstimator:
    """Guesses a call's tokens from its characters, calibrated by the usage the API reports."""

    def __init__(self) -> None:
        self.input_ratio: float | None = None  # real input tokens per (chars / CHARS_PER_TOKEN)
        self.output_mean: float | None = None

    def estimate(self, chars: int, max_tokens: int | None) -> int:
        guess_in = chars / CHARS_PER_TOKEN * (self.input_ratio or 1.0) * 1.05
        if self.output_mean is None:
            guess_out = float(max_tokens or DEFAULT_OUTPUT_GUESS)
        else:
            guess_out = self.output_mean * 1.25 + 1
        if max_tokens is not None:
            guess_out = min(guess_out, float(max_tokens))
        return int(guess_in + guess_out) + 1

    def learn(self, chars: int, usage: Usage) -> None:
        if usage.input_tokens and chars:
            ratio = usage.input_tokens / (chars / CHARS_PER_TOKEN)
            prev = self.input_ratio
            self.input_ratio = ratio if prev is None else 0.8 * prev + 0.2 * ratio
        prev_out = self.output_mean
        out = float(usage.output_tokens)
        self.output_mean = out if prev_out is None else 0.9 * prev_out + 0.1 * out


class ModelLimiter:
    """All limits of one provider+model. `acquire` before a send, `settle` after."""

    def __init__(
        self,
        requests_per_minute: float | None,
        tokens_per_minute: float | None,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self._clock = clock
        self.rpm: float | None = None
        self.tpm: float | None = None
        self._throttle: Throttler | None = None
        self._throttle_lock = anyio.Lock()  # one poller at a time instead of hundreds
        # Our own sends within the throttle's window (its log is private to it), and sends
        # the server has counted that we did not make: taken from the window at next acquire.
        self._sent: deque[float] = deque()
        self._unseen = 0
        self.budget: TokenBudget | None = None
        self.estimator = TokenEstimator()
        self.pause_until = 0.0
        # When the server asked for more than we wait (Retry-After above the cap): calls whose
        # deadline ends before then fail at once instead of waiting for nothing.
        self.blocked_until = 0.0
        # After a 429, sends leave one per `drip_gap` seconds until the backlog has drained, so
        # the calls it paused do not all return at once and earn another 429 together.
        self.drip_gap = 0.0
        self._next_drip = 0.0
        self._drip_lock = anyio.Lock()
        self._dripping = 0
        if requests_per_minute:
            self.set_rpm(requests_per_minute)
        if tokens_per_minute:
            self.set_tpm(tokens_per_minute)

    def set_rpm(self, rpm: float) -> None:
        self.rpm = rpm
        target = rpm * HEADROOM
        window = max(1.0, 60.0 / target)
        if self._throttle is None:
            self._throttle = Throttler(rate_limit=1, period=window, retry_interval=0.005)
        self._throttle.period = window
        # The throttle lets a send through while fewer than `rate_limit` are in the window.
        self._throttle.rate_limit = max(1, math.ceil(target * window / 60.0))

    def set_tpm(self, tpm: float) -> None:
        self.tpm = tpm
        if self.budget is None:
            self.budget = TokenBudget(tpm * HEADROOM, clock=self._clock)
        else:
            self.budget.set_rate(tpm * HEADROOM)

    def pause(self, seconds: float) -> None:
        """Hold every new send of this model for `seconds` (after a 429 or an empty budget)."""
        self.pause_until = max(self.pause_until, self._clock() + seconds)

    def rate_limited(self, retry_after: float, cap: float = math.inf) -> float:
        """The server said 429: pause everyone (at most `cap` seconds), then let them out one
        per `retry_after`. Returns the pause taken."""
        pause = min(retry_after, cap)
        self.pause(pause)
        if retry_after > pause:
            self.blocked_until = max(self.blocked_until, self._clock() + retry_after)
        self.drip_gap = max(self.drip_gap, min(pause, 10.0))
        return pause

    @property
    def active(self) -> bool:
        """False when nothing limits this model, so the hot path can skip `acquire`."""
        return (
            self.drip_gap > 0
            or self._throttle is not None
            or self.budget is not None
            or self.pause_until > self._clock()
            or self.blocked_until > self._clock()
        )

    async def acquire(self, tokens: int, deadline: float = math.inf) -> None:
        """Wait for every limit; a pause ending after `deadline` (the call's total deadline,
        on this limiter's clock) raises `rate_limit` at once rather than waiting in vain."""
        if self.blocked_until > deadline:
            raise self._beyond(self.blocked_until, "the server asked to wait until")
        while (wait := self.pause_until - self._clock()) > 0:
            if self.pause_until > deadline:
                raise self._beyond(self.pause_until, "sends are paused until")
            await anyio.sleep(wait)
        if self.drip_gap > 0:
            await self._drip()
        if self._throttle is not None:
            async with self._throttle_lock:
                while self._unseen > 0:
                    self._unseen -= 1
                    await self._take_slot(self._throttle)
                await self._take_slot(self._throttle)
        if self.budget is not None:
            await self.budget.reserve(tokens)

    async def _take_slot(self, throttle: Throttler) -> None:
        await throttle.acquire()
        self._sent.append(self._clock())
        self._forget_sent(throttle.period)

    def _forget_sent(self, window: float) -> None:
        now = self._clock()
        while self._sent and now - self._sent[0] > window:
            self._sent.popleft()

    async def _drip(self) -> None:
        self._dripping += 1
        try:
            async with self._drip_lock:
                if (wait := self._next_drip - self._clock()) > 0:
                    await anyio.sleep(wait)
                self._next_drip = self._clock() + self.drip_gap
        finally:
            self._dripping -= 1

    def _beyond(self, until: float, what: str) -> ProviderError:
        when = time.strftime("%H:%M:%S", time.localtime(time.time() + until - self._clock()))
        return ProviderError(
            "rate_limit",
            f"{what} {when}, after this call's total_deadline: not sent; a resume sends it",
        )

    def succeeded(self) -> None:
        """An answer came back: once no paused call is still waiting, stop dripping; the
        server's long wait is over too."""
        self.blocked_until = 0.0
        if self.drip_gap > 0 and self._dripping == 0:
            self.drip_gap = 0.0

    def settle(self, reserved: int, actual: int) -> None:
        if self.budget is not None:
            self.budget.settle(reserved, actual)

    def observe(self, info: RateLimitHeaders, next_tokens: int, age: float = 0.0) -> None:
        """Adopt a lower limit the server states, and pause when what remains will not do.

        `age` is how long ago the request was sent: the server counted what remained then, and
        has refilled since, so taking its number at face value would waste capacity."""
        req, tok = info.requests, info.tokens
        if req.limit and (self.rpm is None or req.limit < self.rpm):
            self.set_rpm(req.limit)
        if tok.limit and (self.tpm is None or tok.limit < self.tpm):
            self.set_tpm(tok.limit)
        self._sync(
            _refilled(req.remaining, req.limit, age), _refilled(tok.remaining, tok.limit, age)
        )
        # Time to regain what is missing at the stated refill rate (limit per minute).
        if req.limit and req.remaining is not None and req.remaining < 1:
            self.pause(_refill_time(1 - req.remaining, req.limit, req.reset))
        if tok.limit and tok.remaining is not None and tok.remaining < next_tokens:
            self.pause(_refill_time(next_tokens - tok.remaining, tok.limit, tok.reset))
        out = info.output
        if out.limit and out.remaining is not None and out.remaining < 1:
            self.pause(_refill_time(1 - out.remaining, out.limit, out.reset))

    def _sync(self, requests_left: float | None, tokens_left: float | None) -> None:
        """Take the server's word for what is left: sends we did not see (our first burst, before
        any limit was known, or another client on the same key) count against our window too."""
        if self._throttle is not None and requests_left is not None:
            self._forget_sent(self._throttle.period)
            missing = math.ceil(self._throttle.rate_limit - requests_left) - len(self._sent)
            self._unseen = max(self._unseen, missing)
        if self.budget is not None and tokens_left is not None:
            self.budget.cap(tokens_left)


def _refilled(remaining: float | None, per_minute: float | None, age: float) -> float | None:
    if remaining is None or not per_minute:
        return remaining
    return remaining + per_minute / 60.0 * age


def _refill_time(missing: float, per_minute: float, reset: float | None) -> float:
    seconds = missing / (per_minute / 60.0)
    return min(seconds, reset) if reset is not None else seconds
