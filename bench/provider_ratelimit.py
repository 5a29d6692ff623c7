"""Rate-limit utilisation against a fake that charges as OpenAI does, counted by the server.

The fake server (a separate process) enforces 1,200 requests/min and 200,000 tokens/min per
model and charges each request its prompt tokens + `max_tokens` when it arrives (OpenAI's
rule; ~143 + 100 = 243 tokens a call, of which ~193 are used), so tokens/min binds at ~823
calls/min. Its buckets hold `--burst` seconds of the limit: 60 (a minute's credit, which
hides a client that counts too little for about five minutes) or 1 (the strict one-second
bucket, where any burst is refused). It answers after 0.2 +- 0.05 s. The provider is given
both limits and 64 workers keep it saturated. Every figure is read from the server's own
log (one JSON line per request: status, tokens charged): 429s, and the tokens it charged per
minute against the limit, over the whole run and over its last half.
Target: no 429 at all, >= 99% of the binding limit (the client aims at 99%).

    .venv/bin/python bench/provider_ratelimit.py [--seconds 480] [--burst 60|1]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.provider_common import fake_server
from providers.base import ChatRequest, Message
from providers.config import ProviderConfig
from providers.openai import OpenAIProvider
from providers.options import DecodingOptions

RPM, TPM = 1200, 200_000
PROMPT = " ".join(f"w{i}" for i in range(140))
MAX_TOKENS = 100


async def run(url: str, seconds: float, workers: int) -> None:
    cfg = ProviderConfig(
        type="openai", requests_per_minute=RPM, tokens_per_minute=TPM, max_concurrency=workers
    )
    req = ChatRequest(
        model="m",
        messages=(Message("user", PROMPT),),
        options=DecodingOptions(max_tokens=MAX_TOKENS),
    )
    async with OpenAIProvider("bench", cfg, api_key="k", base_url=f"{url}/v1") as p:
        end = time.monotonic() + seconds

        async def worker() -> None:
            while time.monotonic() < end:
                await p.chat(req)

        async with asyncio.TaskGroup() as tg:
            for _ in range(workers):
                tg.create_task(worker())


def tally(entries: list[dict], t0: float, t1: float) -> dict[str, float]:
    """What the server counted for requests that arrived in [t0, t1)."""
    inside = [e for e in entries if t0 <= e["t"] < t1]
    ok = [e for e in inside if e["status"] == 200]
    minutes = (t1 - t0) / 60
    return {
        "sent": len(inside),
        "rejected": sum(1 for e in inside if e["status"] == 429),
        "rpm": len(ok) / minutes,
        "tpm": sum(e.get("charged", 0) for e in ok) / minutes,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=480.0)
    ap.add_argument("--workers", type=int, default=64)
    ap.add_argument("--burst", type=float, default=60.0, help="seconds the server's bucket holds")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.jsonl"
        server_args = (
            *("--rpm", str(RPM), "--tpm", str(TPM), "--burst", f"{args.burst:g}"),
            *("--latency", "0.2", "--latency-sd", "0.05", "--log", str(log)),
            *("--script", "bench.provider_common:fifty_words"),
        )
        with fake_server(*server_args) as url:
            t0 = time.time()
            asyncio.run(run(url, args.seconds, args.workers))
        entries = [orjson.loads(line) for line in log.read_bytes().splitlines()]
    print(
        f"{args.seconds:.0f} s against {RPM} requests/min and {TPM} tokens/min, server bucket "
        f"{args.burst:g} s, prompt + max_tokens charged on arrival (server's log)"
    )
    end = t0 + args.seconds  # no call starts after this
    spans = {"whole run": (t0, end), "last half": (t0 + args.seconds / 2, end)}
    for name, (a, b) in spans.items():
        r = tally(entries, a, b)
        share = r["rejected"] / max(r["sent"], 1)
        print(
            f"  {name:<9}: {r['tpm']:.0f} tokens/min charged ({r['tpm'] / TPM:.1%} of the "
            f"binding limit), {r['rpm']:.0f} requests/min ({r['rpm'] / RPM:.1%}); "
            f"429s: {r['rejected']:.0f} of {r['sent']:.0f} requests ({share:.2%})"
        )


if __name__ == "__main__":
    main()
