"""The two pieces a rate limit is made of: a bucket that paces evenly (a GCRA) and the
estimate of what a call costs. `providers.limits` builds every limit from them."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import anyio

from providers.base import Usage

# Until the server shows its bucket: a quarter second of the rate may leave at once (enough
# that a late wake-up loses nothing, far below the one-second buckets servers enforce).
DEFAULT_BURST = 0.25
# The prompt's first guess before any usage was seen: 2 characters per token, an upper
# bound for English and code with BPE tokenizers (typical is ~4).
SAFE_CHARS_PER_TOKEN = 2.0
DEFAULT_OUTPUT_GUESS = 1024

Clock = Callable[[], float]


class TokenBudget:
    """A per-minute limit as a bucket refilled continuously, holding at most `burst_seconds`.

    `reserve` waits until the amount fits (capped at the capacity, so nothing waits forever)
    and takes it; the level may go below zero (a settlement of a shortfall, or a reservation
    above the capacity), which later reservations then wait out: the pacing of a GCRA."""

    def __init__(
        self,
        per_minute: float,
        *,
        burst_seconds: float = DEFAULT_BURST,
        clock: Clock = time.monotonic,
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

    def set_burst(self, seconds: float) -> None:
        self._refill()
        self._burst = seconds
        self.capacity = max(self.rate * seconds, 1.0)
        self._level = min(self._level, self.capacity)

    @property
    def burst_seconds(self) -> float:
        return self._burst

    @property
    def level(self) -> float:
        self._refill()
        return self._level

    def _refill(self) -> None:
        now = self._clock()
        self._level = min(self.capacity, self._level + (now - self._stamp) * self.rate)
        self._stamp = now

    async def reserve(self, tokens: float) -> None:
        """Wait until `tokens` fit (capped at the capacity, so nothing waits forever), take them."""
        need = min(float(tokens), self.capacity)
        if not self._lock.locked():  # nobody waits before us: take it at once if it fits
            self._refill()
            if self._level >= need:
                self._level -= tokens
                return
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

    def settle(self, reserved: float, actual: float) -> None:
        """Give back an over-estimate, or take the shortfall (the level may go below zero)."""
        self._refill()
        self._level = min(self.capacity, self._level + reserved - actual)


class TokenEstimator:
    """Guesses a call's tokens from its characters: the prompt as an upper bound calibrated by
    the usage the API reports, the output as a running mean with a margin."""

    def __init__(self) -> None:
        self.input_ratio: float | None = None  # the highest tokens per character seen lately
        self.output_mean: float | None = None

    def estimate_input(self, chars: int) -> int:
        ratio = self.input_ratio if self.input_ratio is not None else 1 / SAFE_CHARS_PER_TOKEN
        return math.ceil(chars * ratio * 1.02) + 1

    def estimate_output(self, max_tokens: int | None) -> int:
        if self.output_mean is None:
            guess = float(max_tokens or DEFAULT_OUTPUT_GUESS)
        else:
            guess = self.output_mean * 1.25 + 1
        if max_tokens is not None:
            guess = min(guess, float(max_tokens))
        return int(guess)

    def estimate(self, chars: int, max_tokens: int | None) -> int:
        return self.estimate_input(chars) + self.estimate_output(max_tokens) + 1

    def learn(self, chars: int, usage: Usage) -> None:
        if usage.input_tokens and chars:
            ratio = usage.input_tokens / chars
            prev = self.input_ratio
            # Up at once, down slowly: an upper bound that follows a change of prompts.
            self.input_ratio = ratio if prev is None else max(ratio, 0.99 * prev + 0.01 * ratio)
        prev_out = self.output_mean
        out = float(usage.output_tokens)
        self.output_mean = out if prev_out is None else 0.9 * prev_out + 0.1 * out
