"""Retries after a failed first attempt (tenacity), with the official SDKs' semantics.

* Exponential backoff with jitter; the server's Retry-After honoured up to
  `retry_after_cap`: a longer one is not slept on, we wait the cap and try again (as the
  SDKs do above 60 s); one longer than what is left of `total_deadline` gives up at once,
  so the call is recorded failed and a resume sends it again, instead of stalling the run.
* `x-should-retry` has decided before we get here (providers.errors.is_retry_status).
* A failure marked `once` (a truncated stream, an unreadable 200: the answer was billed) is
  retried at most once, whatever `max_attempts` says.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from providers.base import ProviderError
from providers.config import RetryPolicy
from providers.errors import RetryableError

T = TypeVar("T")


def backoff(policy: RetryPolicy, exc: BaseException | None, attempt: int) -> float:
    """Seconds to wait after attempt number `attempt` failed with `exc`."""
    asked = getattr(exc, "retry_after", None)
    if asked is not None:
        wait = min(float(asked), policy.retry_after_cap)
        # A little jitter so paused calls do not all return at once.
        return wait + random.uniform(0, min(1.0, 0.1 * wait + 0.01))
    ceiling = min(policy.max_backoff, policy.initial_backoff * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


class _Tries:
    """Whether one call gets another attempt, and after how long (one decision per failure)."""

    def __init__(self, policy: RetryPolicy, deadline: float) -> None:
        self.policy = policy
        self.deadline = deadline
        self.tries = 1
        self.once: set[str] = set()
        self._decided: dict[int, float | None] = {}
        self.why = ""

    def decide(self, exc: RetryableError, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None to give up (reason in `why`)."""
        if attempt in self._decided:
            return self._decided[attempt]
        wait = self._decide(exc)
        self._decided[attempt] = wait
        return wait

    def _decide(self, exc: RetryableError) -> float | None:
        if self.tries >= self.policy.max_attempts:
            self.why = f"gave up after {self.tries} attempts"
            return None
        if exc.once:
            if exc.error_class in self.once:
                self.why = f"gave up after {self.tries} attempts; {exc.error_class} is retried once"
                return None
            self.once.add(exc.error_class)
        left = self.deadline - time.monotonic()
        if exc.retry_after is not None and exc.retry_after > left:
            self.why = (
                f"the server asks to wait {exc.retry_after:.0f}s, more than the "
                f"{max(left, 0):.0f}s left of total_deadline: not waited on; a resume sends it"
            )
            return None
        wait = backoff(self.policy, exc, self.tries)
        if wait >= left:
            self.why = "no time left to retry"
            return None
        return wait

    def give_up(self, exc: RetryableError) -> ProviderError:
        return ProviderError(
            exc.error_class, f"{exc} ({self.why})", status=exc.status, request_id=exc.request_id
        )


async def retry_after_first(
    first: RetryableError,
    attempt: Callable[[float], Awaitable[T]],
    policy: RetryPolicy,
    deadline: float,
    *,
    on_retry: Callable[[], None],
    check: Callable[[], None],
) -> T:
    """Attempts 2..max_attempts of one call. `attempt(left)` makes one attempt, `left` being
    the seconds left of the total deadline; `check` raises when the provider was stopped
    meanwhile; `on_retry` counts each retry."""
    tries = _Tries(policy, deadline)
    first_wait = tries.decide(first, 0)
    if first_wait is None:
        raise tries.give_up(first)
    on_retry()
    await anyio.sleep(first_wait)
    last: list[RetryableError] = [first]

    def wait(state: RetryCallState) -> float:
        return tries.decide(last[0], state.attempt_number) or 0.0

    def stop(state: RetryCallState) -> bool:
        return tries.decide(last[0], state.attempt_number) is None

    retrying = AsyncRetrying(
        stop=stop,
        wait=wait,
        retry=retry_if_exception_type(RetryableError),
        before_sleep=lambda state: on_retry(),
        sleep=anyio.sleep,
        reraise=True,
    )
    try:
        async for try_ in retrying:
            with try_:
                check()
                left = deadline - time.monotonic()
                if left <= 0:
                    tries.why = "total deadline passed"
                    raise tries.give_up(last[0])
                tries.tries += 1
                try:
                    return await attempt(left)
                except RetryableError as exc:
                    last[0] = exc
                    raise
    except RetryableError as exc:
        raise tries.give_up(exc) from None
    raise AssertionError("unreachable: tenacity either returns or raises")
