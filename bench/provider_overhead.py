"""Client overhead: the engine's provider path vs a bare aiohttp loop vs the openai SDK.

20,000 chat requests to a zero-latency fake server (a separate process) at concurrency 256,
the clients in the same run against the same server. Bare aiohttp and the provider path run
in alternating rounds (the median round of each is reported, so a noisy neighbour on this
2-core machine hits both alike); the much slower SDK runs one round. Prints requests/s, client
CPU per request and the ratios. Target: provider path >= 0.9x bare aiohttp, streaming off.

`--stream` runs the streaming variant beside it: both clients ask for server-sent events
(`stream: true` with `stream_options.include_usage`; the fake sends the answer in 4 pieces,
then a usage chunk and `[DONE]`); the bare loop splits the lines and parses each chunk itself.

    .venv/bin/python bench/provider_overhead.py [--requests 20000] [--concurrency 256] [--rounds 3]
    .venv/bin/python bench/provider_overhead.py --stream --skip-sdk

`--instructions` counts instead of timing: each client runs in its own process under
valgrind's callgrind, at 200 and at 200 + `--requests` calls, and the difference of the two
instruction counts per extra call is its work per request (start-up cancels out). The
count is the same to ~0.1% from run to run whatever else the machine is doing, so it tells
changes of a few percent apart where throughput cannot; it counts the client's work only,
while throughput also depends on how the client and the server share the cores.

    .venv/bin/python bench/provider_overhead.py --instructions [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.provider_common import fake_server
from engine.gc_tuning import tune_gc
from providers.base import ChatRequest, Message
from providers.config import ProviderConfig
from providers.openai import OpenAIProvider
from providers.options import DecodingOptions

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
    body = orjson.dumps(
        {"model": "m", "messages": [{"role": "user", "content": PROMPT}], "max_tokens": 64}
    )
    conn = aiohttp.TCPConnector(limit=c)
    async with aiohttp.ClientSession(
        connector=conn, headers={"content-type": "application/json", "authorization": "Bearer k"}
    ) as s:

        async def one() -> None:
            async with s.post(f"{url}/v1/chat/completions", data=body) as r:
                data = orjson.loads(await r.read())
                assert data["choices"][0]["message"]["content"]

        await drive(n, c, one)


async def bare_aiohttp_stream(url: str, n: int, c: int) -> None:
    body = orjson.dumps(
        {
            "model": "m",
            "messages": [{"role": "user", "content": PROMPT}],
            "max_tokens": 64,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    )
    conn = aiohttp.TCPConnector(limit=c)
    async with aiohttp.ClientSession(
        connector=conn, headers={"content-type": "application/json", "authorization": "Bearer k"}
    ) as s:

        async def one() -> None:
            text, usage = [], None
            async with s.post(f"{url}/v1/chat/completions", data=body) as r:
                async for line in r.content:
                    if not line.startswith(b"data: ") or line.startswith(b"data: [DONE]"):
                        continue
                    chunk = orjson.loads(line[6:])
                    for ch in chunk["choices"]:
                        text.append(ch["delta"].get("content") or "")
                    usage = chunk.get("usage") or usage
            assert "".join(text) and usage

        await drive(n, c, one)


async def provider_path(url: str, n: int, c: int, stream: bool = False) -> None:
    cfg = ProviderConfig(type="openai_compatible", max_concurrency=c, stream=stream)
    req = ChatRequest(
        model="m", messages=(Message("user", PROMPT),), options=DecodingOptions(max_tokens=64)
    )
    async with OpenAIProvider("bench", cfg, api_key="k", base_url=f"{url}/v1") as p:

        async def one() -> None:
            assert (await p.chat(req)).text

        await drive(n, c, one)
        assert p.stats.completed == n, p.stats
        assert p.stats.usage.output_tokens > 0


async def provider_path_stream(url: str, n: int, c: int) -> None:
    await provider_path(url, n, c, stream=True)


async def openai_sdk(url: str, n: int, c: int) -> None:
    import httpx2 as httpx  # this openai release ships on the httpx2 fork
    from openai import AsyncOpenAI

    limits = httpx.Limits(max_connections=c, max_keepalive_connections=c)
    client = AsyncOpenAI(
        api_key="k",
        base_url=f"{url}/v1",
        max_retries=0,
        http_client=httpx.AsyncClient(limits=limits),
    )
    sem = asyncio.Semaphore(c)

    async def one() -> None:
        async with sem:
            r = await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": PROMPT}], max_tokens=64
            )
            assert r.choices[0].message.content

    await drive(n, c, one)
    await client.close()


CLIENTS = {"bare aiohttp": bare_aiohttp, "provider path": provider_path, "openai SDK": openai_sdk}
STREAM_CLIENTS = {"bare aiohttp": bare_aiohttp_stream, "provider path": provider_path_stream}


BASE_CALLS = 200  # the start-up run of --instructions


def instructions(client: str, url: str, calls: int, concurrency: int, stream: bool) -> int:
    """Instructions callgrind counts for one client process making `calls` calls."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        cmd = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--one",
            client,
            "--url",
            url,
            "--requests",
            str(calls),
            "--concurrency",
            str(concurrency),
        ]
        subprocess.run(cmd + (["--stream"] if stream else []), check=True, capture_output=True)
        found = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.MULTILINE)
        if found is None:
            raise SystemExit(f"no instruction total in {out}")
        return int(found.group(1))


def count_instructions(args: argparse.Namespace) -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    per_call: dict[str, float] = {}
    with fake_server() as url:
        for name in ("bare aiohttp", "provider path"):
            small = instructions(name, url, BASE_CALLS, args.concurrency, args.stream)
            big = instructions(name, url, BASE_CALLS + args.requests, args.concurrency, args.stream)
            per_call[name] = (big - small) / args.requests
    print(
        f"client instructions per request (callgrind, {BASE_CALLS + args.requests} minus "
        f"{BASE_CALLS} calls, concurrency {args.concurrency}"
        + (", streamed (SSE)" if args.stream else "")
        + ")"
    )
    base = per_call["bare aiohttp"]
    for name, count in per_call.items():
        print(f"  {name:<15} {count:>10,.0f}   bare / this {base / count:.3f}")


def main() -> None:
    tune_gc()  # the engine's collector setting (engine.gc_tuning), for every client alike
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=None, help="20,000; 2,000 counted")
    ap.add_argument("--concurrency", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--skip-sdk", action="store_true")
    ap.add_argument("--stream", action="store_true", help="both clients read SSE streams")
    ap.add_argument("--instructions", action="store_true", help="count, under callgrind")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # one client's run, for --instructions
    ap.add_argument("--url", help=argparse.SUPPRESS)
    args = ap.parse_args()
    clients = STREAM_CLIENTS if args.stream else CLIENTS
    if args.one:
        asyncio.run(clients[args.one](args.url, args.requests, args.concurrency))
        return
    if args.instructions:
        args.requests = args.requests or 2_000
        count_instructions(args)
        return
    args.requests = args.requests or 20_000
    rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in clients}
    order = ["bare aiohttp", "provider path"] * args.rounds
    if not args.skip_sdk and not args.stream:
        order.append("openai SDK")
    with fake_server() as url:
        asyncio.run(bare_aiohttp(url, 500, args.concurrency))  # warm up the server
        for name in order:
            cpu0, t0 = time.process_time(), time.perf_counter()
            asyncio.run(clients[name](url, args.requests, args.concurrency))
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            rounds[name].append((args.requests / wall, cpu / args.requests * 1e6))
    results = {name: sorted(r)[len(r) // 2] for name, r in rounds.items() if r}
    base = results["bare aiohttp"][0]
    print(
        f"{args.requests} requests, concurrency {args.concurrency}, zero-latency fake server, "
        f"median of {args.rounds} alternating rounds" + (", streamed (SSE)" if args.stream else "")
    )
    for name in ("bare aiohttp", "provider path"):
        print(f"  {name} rounds (req/s): " + ", ".join(f"{r:.0f}" for r, _ in rounds[name]))
    print(f"{'client':<15} {'req/s':>8} {'client CPU µs/req':>18} {'vs bare':>8}")
    for name, (rps, cpu_us) in results.items():
        print(f"{name:<15} {rps:>8.0f} {cpu_us:>18.0f} {rps / base:>7.2f}x")


if __name__ == "__main__":
    main()
