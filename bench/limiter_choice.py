"""Requests/min limiter: asyncio-throttle (public API) vs aiolimiter vs our bucket
(providers.limits.TokenBudget, the GCRA the providers use since issue 17), side by side.

Both are driven the way providers.limits.ModelLimiter drives its requests/min limiter:
`workers` tasks each acquire before every send. asyncio-throttle keeps a log of send
times and polls every `retry_interval` while the window is full (we serialise the pollers
with one lock, as ModelLimiter does); aiolimiter is a leaky bucket whose waiters sleep on
futures and are woken when capacity frees.

* overhead: a limit far above what is reached, so only the cost of `acquire` shows
  (client CPU µs per acquire, against a loop without a limiter);
* binding: a limit the workers saturate, for `--seconds`: the rate reached against the
  target, the most acquisitions seen in any one-second window against what the limit allows
  in a second, and the CPU the waiting cost.

    .venv/bin/python bench/limiter_choice.py [--workers 256] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiolimiter import AsyncLimiter
from asyncio_throttle.throttler import Throttler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

Acquire = Callable[[], Awaitable[None]]


def throttle_acquire(per_second: float) -> Acquire:
    throttler = Throttler(rate_limit=per_second, period=1.0, retry_interval=0.005)
    lock = asyncio.Lock()

    async def acquire() -> None:
        async with lock:
            await throttler.acquire()

    return acquire


def aiolimiter_acquire(per_second: float) -> Acquire:
    limiter = AsyncLimiter(per_second, 1.0)

    async def acquire() -> None:
        await limiter.acquire()

    return acquire


def bucket_acquire(per_second: float) -> Acquire:
    """providers.limits.TokenBudget as ModelLimiter drives it for requests/min (cost 1)."""
    from providers.limits import TokenBudget

    bucket = TokenBudget(per_second * 60)

    async def acquire() -> None:
        await bucket.reserve(1)

    return acquire


def no_limit(per_second: float) -> Acquire:
    async def acquire() -> None:
        await asyncio.sleep(0)

    return acquire


LIMITERS = {
    "none": no_limit,
    "asyncio-throttle": throttle_acquire,
    "aiolimiter": aiolimiter_acquire,
    "bucket (ours)": bucket_acquire,
}


async def drive(
    acquire: Acquire, workers: int, *, count: int | None, seconds: float | None
) -> list[float]:
    """Stamps of every acquisition; stop after `count` of them or after `seconds`."""
    stamps: list[float] = []
    deadline = time.monotonic() + seconds if seconds else None

    async def worker() -> None:
        while (count is None or len(stamps) < count) and (
            deadline is None or time.monotonic() < deadline
        ):
            await acquire()
            stamps.append(time.monotonic())
            await asyncio.sleep(0)  # the send itself

    async with asyncio.TaskGroup() as tg:
        for _ in range(workers):
            tg.create_task(worker())
    return stamps


def max_in_window(stamps: list[float], window: float = 1.0) -> int:
    stamps = sorted(stamps)
    return max(
        (bisect.bisect_right(stamps, t + window) - i for i, t in enumerate(stamps)), default=0
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=256)
    ap.add_argument("--acquires", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=200.0, help="binding limit, per second")
    args = ap.parse_args()
    print(f"overhead: {args.acquires} acquires, {args.workers} workers, limit 1e9/s")
    base = None
    for name, make in LIMITERS.items():
        cpu0 = time.process_time()
        asyncio.run(drive(make(1e9), args.workers, count=args.acquires, seconds=None))
        us = (time.process_time() - cpu0) / args.acquires * 1e6
        base = base or us
        print(f"  {name:<17} {us:6.1f} µs CPU per acquire ({us / base:.2f}x no limiter)")
    print(f"binding: {args.rate:g}/s for {args.seconds:g} s, {args.workers} workers")
    for name, make in list(LIMITERS.items())[1:]:
        cpu0, t0 = time.process_time(), time.monotonic()
        stamps = asyncio.run(drive(make(args.rate), args.workers, count=None, seconds=args.seconds))
        wall, cpu = time.monotonic() - t0, time.process_time() - cpu0
        # Leave out the first second: both start with a full window (a burst of one second's worth).
        steady = [t for t in stamps if t >= t0 + 1.0]
        rate = len(steady) / (wall - 1.0)
        print(
            f"  {name:<17} {rate / args.rate:6.1%} of the limit, "
            f"most in any 1 s: {max_in_window(stamps)} (limit {args.rate:g}), "
            f"CPU {cpu / wall:.1%} of one core while waiting"
        )


if __name__ == "__main__":
    main()
