"""Whole-engine throughput: `python -m engine run` on a judge-only job vs a bare aiohttp loop.

The same zero-latency fake server (a separate process) answers both; the job judges N
synthetic pairs (our own text, JudgeBench's file layout) with one vanilla judge in both
orders, 2N calls at concurrency 256. The bare loop sends the very bodies the engine sent
(recorded in a first, unmeasured engine run against a logging server) with 256 workers.
Rounds interleave: bare, engine, provider path (the engine's calls as `ChatRequest`s
straight to `OpenAIProvider.chat`), repeated `--rounds` times. Each round is timed by the
server's own clock (first to last arrival), so the engine's interpreter start and job
loading are not counted against it, nor the bare loop's set-up. Prints min / median / max
of each and of the per-round ratios to the bare loop.

    .venv/bin/python bench/engine_overhead.py [--pairs 10000] [--rounds 5] [--quiet]
        [--latency 1 --concurrency 500]   # latency-bound: share of concurrency/latency
        [--compare OTHER_CHECKOUT]   # its engine in the same rounds (before / after a change)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.provider_overhead import drive  # noqa: E402
from engine.gc_tuning import tune_gc  # noqa: E402
from fakes.process import fake_server_process  # noqa: E402
from providers.base import ChatRequest, Message  # noqa: E402
from providers.config import ProviderConfig  # noqa: E402
from providers.openai import OpenAIProvider  # noqa: E402
from providers.options import DecodingOptions  # noqa: E402

SCRIPT = "bench.fake_scripts:mmlu_or_vanilla"
WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()


def write_pairs(path: Path, n: int) -> None:
    rng = random.Random(0)

    def text(words: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(words))

    with open(path, "wb") as fh:
        for i in range(n):
            row = {
                "pair_id": f"bench-{i}",
                "original_id": i,
                "source": "mmlu-pro-math",
                "question": f"Question {i}: {text(60)}",
                "response_model": "m",
                "response_A": f"{text(120)} The answer is (A).",
                "response_B": f"{text(120)} The answer is (B).",
                "label": "A>B" if i % 2 else "B>A",
            }
            fh.write(orjson.dumps(row) + b"\n")


def job_text(name: str, pairs: Path, url: str, out: Path, c: int) -> str:
    return f"""
name: {name}
output_dir: {out}
providers:
  fake:
    type: openai_compatible
    base_url: {url}
    max_concurrency: {c}
pairs:
  - {{format: judgebench, path: {pairs}}}
judges:
  - {{name: j, type: vanilla, provider: fake, model: m}}
concurrency: {{judge: {c}}}
"""


def engine_run(job: Path, quiet: bool, src: Path = REPO) -> float:
    """Run the job in a child (the engine of checkout `src`); returns its wall seconds."""
    args = [sys.executable, "-m", "engine", "run", str(job), "--no-report"]
    if quiet:
        args.append("--quiet")
    t0 = time.perf_counter()
    proc = subprocess.run(args, cwd=src, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise RuntimeError(f"engine run failed ({proc.returncode}): {proc.stderr[-2000:]!r}")
    return time.perf_counter() - t0


def as_requests(bodies: list[bytes]) -> list[ChatRequest]:
    """The engine's calls as the provider path takes them (same messages and options)."""
    out = []
    for raw in bodies:
        body = orjson.loads(raw)
        msgs = tuple(Message(m["role"], m["content"]) for m in body["messages"])
        opts = DecodingOptions(
            temperature=body.get("temperature"), max_tokens=body.get("max_tokens")
        )
        out.append(ChatRequest(model=body["model"], messages=msgs, options=opts))
    return out


async def provider_path(url: str, requests: list[ChatRequest], c: int) -> None:
    cfg = ProviderConfig(type="openai_compatible", max_concurrency=c, stream=False)
    it = iter(requests)
    async with OpenAIProvider("bench", cfg, api_key="k", base_url=f"{url}/v1") as p:

        async def one() -> None:
            assert (await p.chat(next(it))).text

        await drive(len(requests), c, one)
        assert p.stats.completed == len(requests), p.stats


async def bare(url: str, bodies: list[bytes], c: int) -> None:
    conn = aiohttp.TCPConnector(limit=c)
    headers = {"content-type": "application/json", "authorization": "Bearer k"}
    it = iter(bodies)
    async with aiohttp.ClientSession(connector=conn, headers=headers) as s:

        async def one() -> None:
            async with s.post(f"{url}/v1/chat/completions", data=next(it)) as r:
                data = orjson.loads(await r.read())
                assert data["choices"][0]["message"]["content"]

        await drive(len(bodies), c, one)


def recorded_bodies(tmp: Path, pairs: Path, c: int, quiet: bool) -> list[bytes]:
    log = tmp / "bodies.jsonl"
    with fake_server_process("--script", SCRIPT, "--log", str(log)) as (_, url):
        engine_run(_job(tmp, "record", pairs, url, c), quiet)
    return [orjson.dumps(orjson.loads(line)["body"]) for line in log.read_bytes().splitlines()]


def _job(tmp: Path, name: str, pairs: Path, url: str, c: int) -> Path:
    job = tmp / f"{name}.yaml"
    job.write_text(job_text(name, pairs, url, tmp / "runs", c))
    return job


def spread(xs: list[float]) -> str:
    return f"{min(xs):8.0f} {statistics.median(xs):8.0f} {max(xs):8.0f}"


def main() -> None:
    tune_gc()  # the engine's collector setting (engine.gc_tuning), for every client alike
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=256)
    ap.add_argument("--quiet", action="store_true", help="engine without the live view")
    ap.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="server seconds per answer: the latency-bound case (ceiling concurrency/latency)",
    )
    ap.add_argument(
        "--compare", type=Path, help="another checkout whose engine runs in the same rounds"
    )
    args = ap.parse_args()
    c, calls = args.concurrency, 2 * args.pairs
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        pairs = tmp / "pairs.jsonl"
        write_pairs(pairs, args.pairs)
        bodies = recorded_bodies(tmp, pairs, c, args.quiet)
        assert len(bodies) == calls, (len(bodies), calls)
        requests = as_requests(bodies)
        stamps_file = tmp / "stamps.txt"
        order = ["bare", "engine", *(["other"] if args.compare else []), "provider"] * args.rounds
        counts = [500] + [calls] * len(order)
        server = ["--script", SCRIPT, "--stamps", str(stamps_file)]
        if args.latency:
            server += ["--latency", str(args.latency)]
        with fake_server_process(*server) as (_, url):
            asyncio.run(bare(url, bodies[:500], c))  # warm the server up
            for i, name in enumerate(order):
                if name == "bare":
                    asyncio.run(bare(url, bodies, c))
                elif name == "engine":
                    engine_run(_job(tmp, f"e{i}", pairs, url, c), args.quiet)
                elif name == "other":
                    engine_run(_job(tmp, f"o{i}", pairs, url, c), args.quiet, args.compare)
                else:
                    asyncio.run(provider_path(url, requests, c))
        stamps = [float(x) for x in stamps_file.read_text().split()]
    assert len(stamps) == sum(counts), (len(stamps), sum(counts))
    rates: dict[str, list[float]] = {name: [] for name in dict.fromkeys(order)}
    at = counts[0]
    for name in order:
        chunk = stamps[at : at + calls]
        at += calls
        rates[name].append(rate(chunk, c, args.latency))
    view = "off (--quiet)" if args.quiet else "on (not a terminal)"
    server_kind = f"{args.latency:g} s latency" if args.latency else "zero-latency"
    print(
        f"{args.pairs} pairs x 2 orders = {calls} calls per round, concurrency {c}, "
        f"{server_kind} fake, {args.rounds} interleaved rounds, live view {view}"
    )
    print(f"{'client':<30} {'min':>8} {'median':>8} {'max':>8}  (calls/s, server clock)")
    labels = {
        "bare": "bare aiohttp (engine's bodies)",
        "engine": "python -m engine run",
        "provider": "provider path",
        "other": f"engine of {args.compare}",
    }
    for name, xs in rates.items():
        print(f"{labels[name]:<30} {spread(xs)}")
    if args.latency:
        ceiling = c / args.latency
        for name, xs in rates.items():
            share = statistics.median(xs) / ceiling
            print(f"{labels[name]:<30} {share:8.1%} of the ceiling ({ceiling:.0f} calls/s)")
    for name in [n for n in rates if n != "bare"]:
        ratios = [a / b for a, b in zip(rates[name], rates["bare"], strict=True)]
        print(
            f"{name + ' / bare, per round':<30} "
            + " ".join(f"{r:8.2f}" for r in (min(ratios), statistics.median(ratios), max(ratios)))
            + "   rounds: "
            + ", ".join(f"{r:.2f}" for r in ratios)
        )


def rate(stamps: list[float], c: int, latency: float) -> float:
    """Calls per second from one round's arrival times. With latency, the first `c` arrive
    together and each later one when an answer frees its worker: the N - c after the first
    wave, over the time to the last arrival, are c / latency for a client that loses
    nothing (the ceiling)."""
    if not latency:
        return len(stamps) / (stamps[-1] - stamps[0])
    return (len(stamps) - c) / (stamps[-1] - stamps[0])


if __name__ == "__main__":
    main()
