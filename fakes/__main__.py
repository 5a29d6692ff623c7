"""`python -m fakes`: the fake API server as a program (see fakes/server.py)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import signal
import sys

from fakes import server
from fakes.server import FakeServer, Script


def load_script(spec: str) -> Script:
    """`package.module:function` -> the function."""
    module, _, func = spec.partition(":")
    if not func:
        raise SystemExit(f"--script must look like MODULE:FUNC, got {spec!r}")
    return getattr(importlib.import_module(module), func)


async def _serve(args: argparse.Namespace) -> None:
    log = open(args.log, "ab") if args.log else None  # closed in finally below
    faults = [f or None for f in args.faults.split(",")] if args.faults else None
    outcomes = [o or None for o in args.batch_outcomes.split(",")] if args.batch_outcomes else None
    server = FakeServer(
        load_script(args.script) if args.script else None,
        latency=args.latency,
        latency_sd=args.latency_sd,
        capacity=args.capacity,
        rpm=args.rpm,
        tpm=args.tpm,
        otpm=args.otpm,
        burst=args.burst,
        faults=faults,
        api_key=args.api_key,
        stream_gap=args.stream_gap,
        stream_chunks=args.stream_chunks,
        compatible=args.compatible,
        host=args.host,
        port=args.port,
        log=log,
        keep_log=False,
        batch_delay=args.batch_delay,
        batch_outcomes=outcomes,
        batch_create_delay=args.batch_create_delay,
        batch_download_delay=args.batch_download_delay,
    )
    if args.stamps:
        server.stamps = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with server:
            print(f"READY {server.url}", flush=True)
            await stop.wait()
    finally:
        if log is not None:
            log.close()
        if args.stamps and server.stamps is not None:
            with open(args.stamps, "w") as fh:
                fh.write("\n".join(f"{t:.6f}" for t in server.stamps))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m fakes",
        description=server.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--script", help="MODULE:FUNC answering each request")
    p.add_argument("--latency", type=float, default=0.0, help="mean seconds per answer")
    p.add_argument("--latency-sd", type=float, default=0.0, help="std. dev. (normal, >= 0)")
    p.add_argument("--capacity", type=int, help="requests worked on at once (the rest queue)")
    p.add_argument("--rpm", type=float, help="requests/min enforced per model")
    p.add_argument("--tpm", type=float, help="tokens/min per model (Anthropic, Gemini: input)")
    p.add_argument("--otpm", type=float, help="output tokens/min enforced per model (Anthropic)")
    p.add_argument("--burst", type=float, default=60.0, help="seconds of limit a bucket holds")
    p.add_argument("--faults", help="comma-separated fault per request in order, e.g. 503,,hang")
    p.add_argument("--api-key", help="require this key (tests of auth failures)")
    p.add_argument("--stream-gap", type=float, default=0.0, help="seconds between SSE events")
    p.add_argument("--stream-chunks", type=int, default=4, help="pieces a streamed text is cut in")
    p.add_argument(
        "--compatible", action="store_true", help="an OpenAI-compatible server: no OpenAI refusals"
    )
    p.add_argument("--log", help="append one JSON line per request here")
    p.add_argument("--batch-delay", type=float, default=0.5, help="seconds until a batch ends")
    p.add_argument(
        "--batch-create-delay", type=float, default=0.0, help="seconds the first create takes"
    )
    p.add_argument(
        "--batch-download-delay", type=float, default=0.0, help="seconds the first download takes"
    )
    p.add_argument(
        "--batch-outcomes", help='per batch in order: "expire", "fail" or empty, e.g. ,expire'
    )
    p.add_argument("--stamps", help="at exit, write each request's arrival time (monotonic)")
    args = p.parse_args(argv)
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
