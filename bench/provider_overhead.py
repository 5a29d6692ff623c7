"""Client overhead: the engine's provider path vs a bare aiohttp loop vs the openai SDK.

20,000 chat requests to a zero-latency fake server (a separate process) at concurrency 256,
the three clients one after the other in the same run, against the same server. Prints
requests/s, client CPU per request and the ratios. Target: provider path >= 0.85x bare aiohttp.

    .venv/bin/python bench/provider_overhead.py [--requests 20000] [--concurrency 256]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.provider_common import fake_server  # noqa: E402
from providers.base import ChatRequest, Message  # noqa: E402
from providers.config import ProviderConfig  # noqa: E402
from providers.openai import OpenAIProvider  # noqa: E402

PROMPT = "Which option is right? (A) one (B) two (C) three (D) four. Think, then answer."


async def drive(n: int, concurrency: int, one: Callable[[], Awaitable[None]]) -> None:
    """`concurrency` workers share `n` calls: the same shape for every client."""
    left = n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await one()

    async with asyncio.TaskGroup() as tg:
        for _ in range(concurrency):
            tg.create_task(worker())


async def bare_aiohttp(url: str, n: int, c: int) -> None:
    body = orjson.dumps({"model": "m", "messages": [{"role": "user", "content": PROMPT}],
                         "max_tokens": 64})
    conn = aiohttp.TCPConnector(limit=c)
    async with aiohttp.ClientSession(connector=conn, headers={
            "content-type": "application/json", "authorization": "Bearer k"}) as s:

        async def one() -> None:
            async with s.post(f"{url}/v1/chat/completions", data=body) as r:
                data = orjson.loads(await r.read())
                assert data["choices"][0]["message"]["content"]

        await drive(n, c, one)


async def provider_path(url: str, n: int, c: int) -> None:
    cfg = ProviderConfig(type="openai_compatible", max_concurrency=c)
    req = ChatRequest(model="m", messages=(Message("user", PROMPT),), max_tokens=64)
    async with OpenAIProvider("bench", cfg, api_key="k", base_url=f"{url}/v1") as p:

        async def one() -> None:
            assert (await p.chat(req)).text

        await drive(n, c, one)
        assert p.stats.completed == n, p.stats


async def openai_sdk(url: str, n: int, c: int) -> None:
    import httpx2 as httpx  # this openai release ships on the httpx2 fork
    from openai import AsyncOpenAI

    limits = httpx.Limits(max_connections=c, max_keepalive_connections=c)
    client = AsyncOpenAI(api_key="k", base_url=f"{url}/v1", max_retries=0,
                         http_client=httpx.AsyncClient(limits=limits))
    sem = asyncio.Semaphore(c)

    async def one() -> None:
        async with sem:
            r = await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": PROMPT}], max_tokens=64)
            assert r.choices[0].message.content

    await drive(n, c, one)
    await client.close()


CLIENTS = {"bare aiohttp": bare_aiohttp, "provider path": provider_path, "openai SDK": openai_sdk}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=20_000)
    ap.add_argument("--concurrency", type=int, default=256)
    ap.add_argument("--skip-sdk", action="store_true")
    args = ap.parse_args()
    results: dict[str, tuple[float, float]] = {}
    with fake_server() as url:
        asyncio.run(bare_aiohttp(url, 500, args.concurrency))  # warm up the server
        for name, fn in CLIENTS.items():
            if name == "openai SDK" and args.skip_sdk:
                continue
            cpu0, t0 = time.process_time(), time.perf_counter()
            asyncio.run(fn(url, args.requests, args.concurrency))
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            results[name] = (args.requests / wall, cpu / args.requests * 1e6)
    base = results["bare aiohttp"][0]
    print(f"{args.requests} requests, concurrency {args.concurrency}, zero-latency fake server")
    print(f"{'client':<15} {'req/s':>8} {'client CPU µs/req':>18} {'vs bare':>8}")
    for name, (rps, cpu_us) in results.items():
        print(f"{name:<15} {rps:>8.0f} {cpu_us:>18.0f} {rps / base:>7.2f}x")


if __name__ == "__main__":
    main()
