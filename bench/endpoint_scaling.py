"""Throughput with 1, 2 and 3 endpoints of a fake server with a fixed capacity each.

Each endpoint is its own `python -m fakes` process that works on `--capacity` requests at a
time, `--latency` seconds each (the rest queue, as on a GPU replica whose batch is full), so
one endpoint answers at most capacity / latency requests/s. The provider path (one
`OpenAIProvider` with `endpoints:`) keeps the same number of calls in flight for every
endpoint count, more than three endpoints can take, so any gain comes from the added
endpoints. Rounds alternate 1, 2, 3, 1, 2, 3, ... and the median round of each is reported
with its ratio to one endpoint (ideal: 2.00x and 3.00x).

    .venv/bin/python bench/endpoint_scaling.py [--rounds 3] [--capacity 40] [--latency 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.provider_common import fake_server
from bench.provider_overhead import PROMPT, drive
from providers.base import ChatRequest, Message
from providers.config import ProviderConfig
from providers.endpoints import EndpointSpec
from providers.openai import OpenAIProvider
from providers.options import DecodingOptions


async def one_round(urls: list[str], n: int, concurrency: int) -> tuple[float, list[int]]:
    """Requests/s over `n` calls with `concurrency` in flight, and the calls per endpoint."""
    cfg = ProviderConfig(type="openai_compatible", max_concurrency=concurrency)
    req = ChatRequest(
        model="m", messages=(Message("user", PROMPT),), options=DecodingOptions(max_tokens=64)
    )
    specs = [EndpointSpec(f"{u}/v1") for u in urls]
    async with OpenAIProvider("bench", cfg, api_key="k", endpoints=specs) as p:
        await drive(concurrency, concurrency, lambda: p.chat(req))  # connections first
        before = [e.answered for e in p.stats.endpoints]
        t0 = time.perf_counter()

        async def call() -> None:
            await p.chat(req)

        await drive(n, concurrency, call)
        wall = time.perf_counter() - t0
        assert p.stats.errors == 0 and p.stats.retries == 0, p.stats
        split = [e.answered - b for e, b in zip(p.stats.endpoints, before, strict=True)] or [n]
    return n / wall, split


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--capacity", type=int, default=40, help="requests each endpoint works on")
    ap.add_argument("--latency", type=float, default=0.5, help="seconds per request")
    ap.add_argument("--seconds", type=float, default=10.0, help="ideal length of a round")
    args = ap.parse_args()
    per_endpoint = args.capacity / args.latency
    concurrency = 3 * args.capacity * 2  # twice what three endpoints can work on
    fake_args = ("--capacity", str(args.capacity), "--latency", str(args.latency))
    rates: dict[int, list[float]] = {1: [], 2: [], 3: []}
    splits: dict[int, list[int]] = {}
    with ExitStack() as stack:
        urls = [stack.enter_context(fake_server(*fake_args)) for _ in range(3)]
        for _ in range(args.rounds):
            for k in (1, 2, 3):
                n = int(per_endpoint * k * args.seconds)
                rate, split = asyncio.run(one_round(urls[:k], n, concurrency))
                rates[k].append(rate)
                splits[k] = split
    print(
        f"fake endpoints of capacity {args.capacity} x {args.latency:g} s "
        f"= {per_endpoint:.0f} req/s each; {concurrency} calls in flight; "
        f"median of {args.rounds} alternating rounds"
    )
    base = statistics.median(rates[1])
    print("endpoints  rounds (req/s)           median req/s  vs 1 endpoint  of ideal  split")
    for k, rs in rates.items():
        med = statistics.median(rs)
        rounds = ", ".join(f"{r:.0f}" for r in rs)
        print(
            f"{k:>9}  {rounds:<24} {med:>12.1f}  {med / base:>12.2f}x  "
            f"{med / (per_endpoint * k):>7.1%}  {splits[k]}"
        )


if __name__ == "__main__":
    main()
