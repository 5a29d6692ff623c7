"""Latency-bound throughput: 1 s server latency, concurrency 500 -> ideally 500 requests/s.

The fake server (a separate process) answers every chat request after 1 s; the provider path
runs 500 concurrent workers. Target: >= 90% of 500 requests/s.

    .venv/bin/python bench/provider_latency.py [--requests 6000] [--concurrency 500]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.provider_common import fake_server
from bench.provider_overhead import PROMPT, drive
from providers.base import ChatRequest, Message
from providers.config import ProviderConfig
from providers.openai import OpenAIProvider
from providers.options import DecodingOptions


async def run(url: str, n: int, c: int, latency: float) -> tuple[float, float]:
    cfg = ProviderConfig(type="openai_compatible", max_concurrency=c)
    req = ChatRequest(
        model="m", messages=(Message("user", PROMPT),), options=DecodingOptions(max_tokens=64)
    )
    async with OpenAIProvider("bench", cfg, api_key="k", base_url=f"{url}/v1") as p:
        await drive(c, c, lambda: p.chat(req))  # open the connections first
        t0 = time.perf_counter()

        async def one() -> None:
            await p.chat(req)

        await drive(n, c, one)
        wall = time.perf_counter() - t0
        assert p.stats.completed == n + c and p.stats.errors == 0, p.stats
    return n / wall, c / latency


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=6000)
    ap.add_argument("--concurrency", type=int, default=500)
    ap.add_argument("--latency", type=float, default=1.0)
    args = ap.parse_args()
    with fake_server("--latency", str(args.latency)) as url:
        rps, ideal = asyncio.run(run(url, args.requests, args.concurrency, args.latency))
    print(
        f"{args.requests} requests, {args.latency:g} s server latency, "
        f"concurrency {args.concurrency}"
    )
    print(f"achieved {rps:.1f} req/s of an ideal {ideal:.0f} req/s = {rps / ideal:.1%}")


if __name__ == "__main__":
    main()
