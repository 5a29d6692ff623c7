"""Rate-limit utilisation: a fake server enforcing 1,200 requests/min and 200,000 tokens/min.

The server (a separate process) holds each limit in a bucket of one second's worth (the strict,
short-window enforcement: any burst above the per-second rate gets a 429), answers after
0.2 +- 0.05 s, and counts ~143 input + 50 output tokens per call, so tokens/min is the binding
limit (~1,036 calls/min). The provider is configured with both limits and 64 workers keep it
busy for the whole run. Target: >= 95% of the binding limit with < 1% of requests answered 429.

    .venv/bin/python bench/provider_ratelimit.py [--seconds 180]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.provider_common import fake_server
from providers.base import ChatRequest, Message
from providers.config import ProviderConfig
from providers.openai import OpenAIProvider
from providers.options import DecodingOptions

RPM, TPM = 1200, 200_000
PROMPT = " ".join(f"w{i}" for i in range(140))


async def run(url: str, seconds: float, workers: int) -> dict[str, float]:
    cfg = ProviderConfig(
        type="openai", requests_per_minute=RPM, tokens_per_minute=TPM, max_concurrency=workers
    )
    req = ChatRequest(
        model="m", messages=(Message("user", PROMPT),), options=DecodingOptions(max_tokens=100)
    )
    tokens = 0
    ok = 0
    async with OpenAIProvider("bench", cfg, api_key="k", base_url=f"{url}/v1") as p:
        t0 = time.monotonic()
        end = t0 + seconds

        async def worker() -> None:
            nonlocal tokens, ok
            while time.monotonic() < end:
                r = await p.chat(req)
                if time.monotonic() <= end:
                    ok += 1
                    tokens += r.usage.input_tokens + r.usage.output_tokens

        async with asyncio.TaskGroup() as tg:
            for _ in range(workers):
                tg.create_task(worker())
        stats = p.stats
    minutes = seconds / 60
    sent = stats.completed + stats.rate_limited  # every HTTP request: answered or 429
    return {
        "rpm": ok / minutes,
        "tpm": tokens / minutes,
        "sent": sent,
        "rejected": stats.rate_limited,
        "tokens_per_call": tokens / max(ok, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--workers", type=int, default=64)
    args = ap.parse_args()
    server_args = (
        "--rpm",
        str(RPM),
        "--tpm",
        str(TPM),
        "--burst",
        "1",
        "--latency",
        "0.2",
        "--latency-sd",
        "0.05",
        "--script",
        "bench.provider_common:fifty_words",
    )
    with fake_server(*server_args) as url:
        r = asyncio.run(run(url, args.seconds, args.workers))
    binding = max(r["rpm"] / RPM, r["tpm"] / TPM)
    which = "tokens/min" if r["tpm"] / TPM >= r["rpm"] / RPM else "requests/min"
    print(
        f"{args.seconds:.0f} s against {RPM} requests/min and {TPM} tokens/min "
        f"({r['tokens_per_call']:.0f} tokens per call)"
    )
    print(
        f"achieved {r['rpm']:.0f} requests/min ({r['rpm'] / RPM:.1%}), "
        f"{r['tpm']:.0f} tokens/min ({r['tpm'] / TPM:.1%})"
    )
    share = r["rejected"] / r["sent"]
    print(
        f"binding limit: {which}, utilisation {binding:.1%}; "
        f"429s: {r['rejected']:.0f} of {r['sent']:.0f} requests ({share:.2%})"
    )


if __name__ == "__main__":
    main()
