"""Retries after a failed first attempt (tenacity): exponential backoff with jitter, the
server's Retry-After honoured, a per-attempt timeout and a total deadline."""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
)

from providers.base import ProviderError
from providers.config import RetryPolicy
from providers.errors import RetryableError

T = TypeVar("T")


def backoff(policy: RetryPolicy, exc: BaseException | None, attempt: int) -> float:
    """Seconds to wait after attempt number `attempt` failed with `exc`."""
    asked = getattr(exc, "retry_after", None)
    if asked is not None:
        # Honour the server, with a little jitter so paused calls do not all return at once.
        return float(asked) + random.uniform(0, min(1.0, 0.1 * asked + 0.01))
    ceiling = min(policy.max_backoff, policy.initial_backoff * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


async def retry_after_first(
    first: RetryableError,
    attempt: Callable[[float], Awaitable[T]],
    policy: RetryPolicy,
    deadline: float,
    *,
    on_retry: Callable[[], None],
    check: Callable[[], None],
) -> T:
    """Attempts 2..max_attempts of one call. `attempt(timeout)` makes one attempt; `check`
    raises when the provider was stopped meanwhile; `on_retry` counts each retry."""
    if policy.max_attempts <= 1:
        raise ProviderError(first.error_class, str(first), status=first.status)
    tries = 1

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return backoff(policy, exc, state.attempt_number + 1)

    first_wait = backoff(policy, first, 1)
    if time.monotonic() + first_wait >= deadline:
        raise ProviderError(
            first.error_class, f"{first} (no time left to retry)", status=first.status
        )
    on_retry()
    await anyio.sleep(first_wait)
    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.max_attempts - 1)
        | stop_before_delay(max(0.0, deadline - time.monotonic())),
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
                    raise RetryableError(
                        first.error_class, f"{first} (total deadline passed)", status=first.status
                    )
                tries += 1
                return await attempt(min(policy.attempt_timeout, left))
    except RetryableError as exc:
        raise ProviderError(
            exc.error_class, f"{exc} (gave up after {tries} attempts)", status=exc.status
        ) from None
    raise AssertionError("unreachable: tenacity either returns or raises")
