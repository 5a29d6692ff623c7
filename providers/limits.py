"""Client-side rate limits for one provider+model: requests/min, tokens/min and a 429 pause.

* Every limit is a leaky bucket (the GCRA: a bucket refilled continuously at rate/60 per
  second) holding only `burst_seconds` of its rate, a quarter second until the server's own
  bucket shows in its headers (then half of it, at most a second). A bucket that small cannot
  burst: sends leave evenly spaced, at 99% (HEADROOM) of the limit. A request costs 1 in the
  requests bucket; a call costs in the token buckets what the API charges (`Charging`):
  - "openai": prompt + max_tokens x n against tokens/min when the request arrives; only the
    prompt part is settled afterwards (to the real prompt tokens), max_tokens never is;
  - "anthropic": input tokens/min (the prompt) and output tokens/min apart; the output bucket
    takes max_tokens at the start and is settled to the real output at the end, as Anthropic
    documents it;
  - "gemini": tokens/min count the prompt only.
  Where no max_tokens is given, the output part is a learned estimate, settled with the usage.
* The prompt's tokens are estimated from its characters with a calibrated upper bound (the
  highest tokens-per-character the API has reported lately), so a reservation is not below
  what the server charges; no tokenizer is needed (none is cheap, offline and exact for all
  three APIs).
* Adaptive: the limit/remaining/reset headers can lower the rates and pause sends before the
  server starts answering 429, and a 429 pauses every new send for its Retry-After, then lets
  the paused calls out one per Retry-After until they have drained.

Why not asyncio-throttle (the requests/min limiter before issue 17): it counts sends in a
sliding window, so it lets a whole window's worth out at once and rounds the rate up to whole
sends per window (20/s where 19.6/s was meant); a server counting with a bucket answers those
with 429s. The bucket (providers/budget.py) is a few lines, spaces sends exactly, and is the
same class for requests and tokens (bench/limiter_choice.py measures all three).
"""

from __future__ import annotations

import math
import time
from typing import Literal

import anyio

from providers.base import ProviderError, Usage
from providers.budget import Clock, TokenBudget, TokenEstimator
from providers.headers import LimitReading, RateLimitHeaders

__all__ = ["NO_CHARGE", "Charge", "Charging", "ModelLimiter", "TokenBudget", "TokenEstimator"]

HEADROOM = 0.99
MAX_BURST = 1.0  # the most of a server's bucket we hold, in seconds of its rate
Charging = Literal["openai", "anthropic", "gemini"]


class Charge:
    """What one call holds in the token buckets, from its send until its answer settles it."""

    __slots__ = ("fixed", "output", "tokens")

    def __init__(self, tokens: int = 0, output: int = 0, fixed: int | None = None) -> None:
        self.tokens = tokens  # in the tokens/min (Anthropic: input tokens/min) bucket
        self.output = output  # in the output tokens/min bucket (Anthropic)
        self.fixed = fixed  # max_tokens counted up front and never settled (OpenAI)


NO_CHARGE = Charge()


class ModelLimiter:
    """All limits of one provider+model. `acquire` before a send, `settle` after."""

    def __init__(
        self,
        requests_per_minute: float | None,
        tokens_per_minute: float | None,
        *,
        output_tokens_per_minute: float | None = None,
        charging: Charging = "openai",
        clock: Clock = time.monotonic,
    ) -> None:
        self._clock = clock
        self.charging: Charging = charging
        self.rpm: float | None = None
        self.tpm: float | None = None
        self.output_tpm: float | None = None
        self.requests: TokenBudget | None = None
        self.budget: TokenBudget | None = None
        self.output_budget: TokenBudget | None = None
        self.estimator = TokenEstimator()
        # The most each of the server's buckets was seen to hold, in seconds of its rate.
        self._seen_seconds: dict[str, float] = {}
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
        # Plain attributes, not properties: the hot path reads them on every call.
        # Whether a token bucket is set (only then are charges worth computing).
        self.counts_tokens = False
        # True while no limit was ever set and no pause ever asked: the call then skips
        # `active` and `acquire` altogether. Never set back (`active` is exact after that).
        self.unlimited = True
        if requests_per_minute:
            self.set_rpm(requests_per_minute)
        if tokens_per_minute:
            self.set_tpm(tokens_per_minute)
        if output_tokens_per_minute:
            self.set_output_tpm(output_tokens_per_minute)

    def _bucket(self, bucket: TokenBudget | None, per_minute: float) -> TokenBudget:
        if bucket is None:
            return TokenBudget(per_minute * HEADROOM, clock=self._clock)
        bucket.set_rate(per_minute * HEADROOM)
        return bucket

    def set_rpm(self, rpm: float) -> None:
        self.unlimited = False
        self.rpm = rpm
        self.requests = self._bucket(self.requests, rpm)

    def set_tpm(self, tpm: float) -> None:
        self.unlimited = False
        self.counts_tokens = True
        self.tpm = tpm
        self.budget = self._bucket(self.budget, tpm)

    def set_output_tpm(self, tpm: float) -> None:
        self.unlimited = False
        self.counts_tokens = True
        self.output_tpm = tpm
        self.output_budget = self._bucket(self.output_budget, tpm)

    def pause(self, seconds: float) -> None:
        """Hold every new send of this model for `seconds` (after a 429 or an empty budget)."""
        self.unlimited = False
        self.pause_until = max(self.pause_until, self._clock() + seconds)

    def rate_limited(self, retry_after: float, cap: float = math.inf) -> float:
        """The server said 429: pause everyone (at most `cap` seconds), then let them out one
        per `retry_after`. Returns the pause taken."""
        pause = min(retry_after, cap)
        self.pause(pause)  # which marks the limiter as no longer unlimited
        if retry_after > pause:
            self.blocked_until = max(self.blocked_until, self._clock() + retry_after)
        self.drip_gap = max(self.drip_gap, min(pause, 10.0))
        return pause

    @property
    def active(self) -> bool:
        """False when nothing limits this model, so the hot path can skip `acquire`."""
        if self.drip_gap > 0 or self.requests is not None or self.counts_tokens:
            return True
        # The clock only when a pause was ever set (the common call has none).
        held = max(self.pause_until, self.blocked_until)
        return held > 0 and held > self._clock()

    # ---- what a call costs -------------------------------------------------------------
    def charge(self, chars: int, max_tokens: int | None) -> Charge:
        """What the server will count for a call of `chars` prompt characters (max_tokens
        already times n), as an upper bound."""
        est = self.estimator
        prompt = est.estimate_input(chars)
        if self.charging == "openai":
            if max_tokens is not None:
                return Charge(prompt + max_tokens, fixed=max_tokens)
            return Charge(prompt + est.estimate_output(None))
        output = 0
        if self.output_budget is not None:
            output = max_tokens if max_tokens is not None else est.estimate_output(None)
        return Charge(prompt, output)

    def settle(self, charge: Charge, chars: int, usage: Usage | None) -> None:
        """An answer came with `usage` (None: refused before it counted, e.g. a 429): give
        back what the server did not count, take what it counted above the reservation."""
        if usage is None:
            if self.budget is not None:
                self.budget.settle(charge.tokens, 0)
            if self.output_budget is not None:
                self.output_budget.settle(charge.output, 0)
            return
        if self.budget is not None:
            if self.charging == "openai":
                out = charge.fixed if charge.fixed is not None else usage.output_tokens
                self.budget.settle(charge.tokens, usage.input_tokens + out)
            else:
                self.budget.settle(charge.tokens, usage.input_tokens)
        if self.output_budget is not None:
            self.output_budget.settle(charge.output, usage.output_tokens)
        self.estimator.learn(chars, usage)

    # ---- waiting -----------------------------------------------------------------------
    async def acquire(
        self, tokens: int | Charge, deadline: float = math.inf, *, output: int = 0
    ) -> None:
        """Wait for every limit; a pause ending after `deadline` (the call's total deadline,
        on this limiter's clock) raises `rate_limit` at once rather than waiting in vain."""
        if isinstance(tokens, Charge):
            output = tokens.output
            amount = tokens.tokens
        else:
            amount = tokens
        if self.blocked_until > deadline:
            raise self._beyond(self.blocked_until, "the server asked to wait until")
        while (wait := self.pause_until - self._clock()) > 0:
            if self.pause_until > deadline:
                raise self._beyond(self.pause_until, "sends are paused until")
            await anyio.sleep(wait)
        if self.drip_gap > 0:
            await self._drip()
        if self.requests is not None:
            await self.requests.reserve(1)
        if self.budget is not None:
            await self.budget.reserve(amount)
        if self.output_budget is not None and output:
            await self.output_budget.reserve(output)

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

    # ---- what the server says ----------------------------------------------------------
    def observe(self, info: RateLimitHeaders, next_tokens: int, age: float = 0.0) -> None:
        """Adopt a lower limit the server states, size our buckets by its own, and pause when
        what remains will not do.

        `age` is how long ago the request was sent: the server counted what remained then, and
        has refilled since, so taking its number at face value would waste capacity."""
        req, tok, out = info.requests, info.tokens, info.output
        if req.limit and (self.rpm is None or req.limit < self.rpm):
            self.set_rpm(req.limit)
        if tok.limit and (self.tpm is None or tok.limit < self.tpm):
            self.set_tpm(tok.limit)
        if out.limit and (self.output_tpm is None or out.limit < self.output_tpm):
            self.set_output_tpm(out.limit)
        for kind, reading, bucket in (
            ("requests", req, self.requests),
            ("tokens", tok, self.budget),
            ("output", out, self.output_budget),
        ):
            if bucket is not None:
                self._sync(kind, reading, bucket, age)
        # Time to regain what is missing at the stated refill rate (limit per minute).
        if req.limit and req.remaining is not None and req.remaining < 1:
            self.pause(_refill_time(1 - req.remaining, req.limit, req.reset))
        if tok.limit and tok.remaining is not None and tok.remaining < next_tokens:
            self.pause(_refill_time(next_tokens - tok.remaining, tok.limit, tok.reset))
        if out.limit and out.remaining is not None and out.remaining < 1:
            self.pause(_refill_time(1 - out.remaining, out.limit, out.reset))

    def _sync(self, kind: str, reading: LimitReading, bucket: TokenBudget, age: float) -> None:
        """Take the server's word for what is left (sends we did not see count too), and hold
        at most half of what its bucket was seen to hold, within [0.05 s, MAX_BURST]."""
        left = _refilled(reading.remaining, reading.limit, age)
        if left is None or not reading.limit:
            return
        bucket.cap(left)
        seconds = left / (reading.limit / 60.0)
        if seconds > self._seen_seconds.get(kind, 0.0):
            self._seen_seconds[kind] = seconds
            bucket.set_burst(min(MAX_BURST, max(0.05, seconds / 2)))


def _refilled(remaining: float | None, per_minute: float | None, age: float) -> float | None:
    if remaining is None or not per_minute:
        return remaining
    return remaining + per_minute / 60.0 * age


def _refill_time(missing: float, per_minute: float, reset: float | None) -> float:
    seconds = missing / (per_minute / 60.0)
    return min(seconds, reset) if reset is not None else seconds
