"""A loopback fake of the OpenAI, Anthropic and Gemini APIs (and vLLM's pooling API).

In-process:

    async with FakeServer(script=lambda req: "The answer is B.", latency=0.01) as srv:
        srv.url                 # http://127.0.0.1:PORT (serves every API)
        srv.base_url_openai     # srv.url + "/v1"     (OpenAI base URLs end in /v1)
        srv.base_url_anthropic  # srv.url
        srv.base_url_gemini     # srv.url + "/v1beta"
        srv.requests            # one dict per request: api, path, model, headers (no secrets),
                                # body, status, fault, complete (the answer was fully written)

As a program (for benchmarks and other engineers' end-to-end tests):

    python -m fakes --host 127.0.0.1 --port 0 --script MODULE:FUNC \
        --latency 0.05 --rpm 1200 --tpm 200000 [--otpm 40000] [--burst 1] --log FILE.jsonl

prints one line `READY <url>` once listening, appends one JSON line per request to FILE
(flushed at once), and exits cleanly on SIGTERM. OpenAI routes are served both under /v1 and
at the root, and Gemini's also without /v1beta, so `<url>` works as any provider's base URL.

A script is `(FakeRequest) -> str | FakeReply`. Faults (by name, from `faults=` or a reply):
"408", "409", "500", "503", "529" (each API's own error body), "429" (rate-limit body and
Retry-After), "quota", "auth", "bad_request", "hang" (never answers), "reset" (TCP reset, no
answer), "truncated" (body cut off and connection closed), "malformed" (complete HTTP answer, broken
JSON), "empty" (no choices / no candidates / no text block), "filtered" (content-filter finish),
"blocked" (refused before any answer: OpenAI `refusal`, Anthropic `refusal` with no text block,
Gemini `promptFeedback.blockReason`), "cut" (a stream that stops after half its events),
"garbled" (a stream event that is not JSON), "503_no_retry" (a 503 with `x-should-retry:
false`), "400_retry" (a 400 with `x-should-retry: true`).

What the real APIs refuse, this one refuses too (fakes/rules.py): a temperature for models
that take none, `max_tokens` for reasoning models, a schema that is not strict with
`strict: true`, `additionalProperties` in Gemini's `responseSchema`, and more.

A request with `stream: true` (or Gemini's `:streamGenerateContent`) is answered with
server-sent events in the API's format (fakes/sse.py), `stream_gap` seconds apart; `n` /
`candidateCount` choices each come from the script (`FakeRequest.choice` says which). Every
answer carries a request id header (`x-request-id`, Anthropic `request-id`). With `capacity`,
at most that many requests are worked on (their latency slept) at once; the rest queue.

The three batch APIs are served too (fakes/batches.py: OpenAI under /v1, Anthropic's Message
Batches, Gemini under /v1beta), answering each request with the same script `batch_delay`
seconds after its batch was made; `batch_outcomes` expires or fails batches.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections.abc import Callable, Sequence
from typing import IO, Any

import orjson
from aiohttp import web

from fakes.batches import BatchFakes, Outcomes
from fakes.faults import FAULTS, send_fault
from fakes.limits import ServerLimits, cost_of
from fakes.rules import refusal
from fakes.sse import frames
from fakes.wire import (
    Api,
    FakeReply,
    FakeRequest,
    error_body,
    parse_request,
    pooling_body,
    success_body,
    usage_of,
)

Script = Callable[[FakeRequest], "str | FakeReply"]
Faults = Sequence[str | None] | Callable[[FakeRequest], str | None] | None
SECRET_HEADERS = {"authorization", "x-api-key", "x-goog-api-key", "api-key"}
REQUEST_ID_HEADER = {"openai": "x-request-id", "anthropic": "request-id"}


def default_script(req: FakeRequest) -> str:
    return f"Echo: {req.last_user[:200]}"


class FakeServer:
    def __init__(
        self,
        script: Script | None = None,
        *,
        latency: float | Callable[[], float] = 0.0,
        latency_sd: float = 0.0,
        capacity: int | None = None,
        rpm: float | None = None,
        tpm: float | None = None,
        otpm: float | None = None,
        burst: float = 60.0,
        faults: Faults = None,
        fault_retry_after: float = 0.05,
        api_key: str | None = None,
        score: Callable[[FakeRequest], float] | None = None,
        stream_gap: float = 0.0,
        stream_chunks: int = 4,
        compatible: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        log: IO[bytes] | None = None,
        keep_log: bool = True,
        batch_delay: float | Callable[[int], float] = 0.5,
        batch_outcomes: Outcomes = None,
        batch_create_delay: float = 0.0,
        batch_download_delay: float = 0.0,
    ) -> None:
        self.script = script or default_script
        self._latency = latency
        self._latency_sd = latency_sd
        # A server that works on `capacity` requests at a time (a GPU replica's batch): the
        # others queue, so it answers at most capacity / latency per second.
        self._capacity = asyncio.Semaphore(capacity) if capacity else None
        self.limits = ServerLimits(rpm, tpm, burst, otpm) if (rpm or tpm or otpm) else None
        self.faults = faults
        self.fault_retry_after = fault_retry_after
        self.api_key = api_key
        # An OpenAI-compatible server (vLLM...): OpenAI's refusals do not apply.
        self.compatible = compatible
        self.stream_gap = stream_gap
        self.stream_chunks = stream_chunks
        self.score = score or (lambda req: (len(req.last_user) % 97) / 97)
        self.host, self.port = host, port
        self._log = log
        self._keep_log = keep_log
        self.requests: list[dict[str, Any]] = []
        self.count = 0
        # Arrival time of every chat request (kept only when asked: benchmarks time rounds
        # by the server's clock, at no cost to the client).
        self.stamps: list[float] | None = None
        self.in_flight = 0
        self.max_in_flight = 0  # the most chat requests handled at once (connection-cap tests)
        self.closing = asyncio.Event()
        # The batch APIs (fakes/batches.py): answers `batch_delay` s after a batch is made.
        self.batch = BatchFakes(
            self,
            delay=batch_delay,
            outcomes=batch_outcomes,
            create_delay=batch_create_delay,
            download_delay=batch_download_delay,
        )
        self._runner: web.AppRunner | None = None

    # ---- lifecycle ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url_openai(self) -> str:
        return f"{self.url}/v1"

    @property
    def base_url_anthropic(self) -> str:
        return self.url

    @property
    def base_url_gemini(self) -> str:
        return f"{self.url}/v1beta"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        chat = self._route
        app.router.add_post("/v1/chat/completions", chat("openai"))
        app.router.add_post("/chat/completions", chat("openai"))
        app.router.add_post("/v1/messages", chat("anthropic"))
        for prefix in ("/v1beta", ""):
            for method in ("generateContent", "streamGenerateContent"):
                app.router.add_post(f"{prefix}/models/{{model}}:{method}", chat("gemini"))
        app.router.add_post("/pooling", chat("pooling"))
        app.router.add_post("/v1/pooling", chat("pooling"))
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/models", self._models)
        self.batch.add_routes(app)
        return app

    async def __aenter__(self) -> FakeServer:
        self._runner = web.AppRunner(
            self.app(), handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=4096)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- handlers ----------------------------------------------------------------------
    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "object": "list",
                "data": [{"id": "fake-model", "object": "model", "owned_by": "fake"}],
            }
        )

    def _route(self, api: Api) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._handle(api, request)

        return handle

    def _fault_for(self, req: FakeRequest, n: int, reply: FakeReply) -> str | None:
        if callable(self.faults):
            fault = self.faults(req)
        elif self.faults is not None and n < len(self.faults):
            fault = self.faults[n]
        else:
            fault = None
        fault = fault or reply.fault
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {sorted(FAULTS)}")
        return fault

    def _given_key(self, api: Api, request: web.Request) -> str | None:
        if api == "anthropic":
            return request.headers.get("x-api-key")
        if api == "gemini":
            return request.headers.get("x-goog-api-key") or request.query.get("key")
        auth = request.headers.get("authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None

    async def _handle(self, api: Api, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._handle_one(api, request)
        finally:
            self.in_flight -= 1

    async def _handle_one(self, api: Api, request: web.Request) -> web.StreamResponse:
        if self.stamps is not None:
            self.stamps.append(time.monotonic())
        raw = await request.read()
        entry: dict[str, Any] = {
            "t": time.time(),
            "api": api,
            "path": request.path,
            "headers": {
                k.lower(): v for k, v in request.headers.items() if k.lower() not in SECRET_HEADERS
            },
            "auth_present": self._given_key(api, request) is not None,
            "model": None,
            "body": None,
            "status": None,
            "fault": None,
            "complete": False,
        }
        try:
            try:
                body = orjson.loads(raw)
                entry["body"] = body
                req = parse_request(api, request.match_info.get("model"), body, request.path)
                entry["model"] = req.model
            except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                status, err = error_body(
                    "openai" if api == "pooling" else api, "bad_request", f"invalid request: {exc}"
                )
                return await self.send(request, entry, status, err)
            wire_api: Api = "openai" if api == "pooling" else api
            if self.api_key is not None and self._given_key(api, request) != self.api_key:
                given = self._given_key(api, request)
                # Echo the key verbatim: the client must redact what servers send back.
                status, err = error_body(wire_api, "auth", f"Incorrect API key provided: {given}")
                return await self.send(request, entry, status, err)
            n = self.count
            self.count += 1
            headers: dict[str, str] = {}
            if wire_api in REQUEST_ID_HEADER:
                headers[REQUEST_ID_HEADER[wire_api]] = f"req_fake{n}"
            entry["stream"] = req.stream
            refused = None if self.compatible else refusal(api, req.model, body)
            if refused is not None:
                entry["refused"] = refused
                status, err = error_body(wire_api, "bad_request", refused)
                return await self.send(request, entry, status, err, headers)
            replies = self._replies(req) if api != "pooling" else [FakeReply()]
            reply = replies[0]
            fault = self._fault_for(req, n, reply)
            entry["fault"] = fault
            cost = None
            if self.limits is not None:
                u = usage_of(req, replies)
                cost = cost_of(wire_api, body, req.n, u)
                entry["charged"] = cost.tokens + cost.output
                verdict = self.limits.admit(wire_api, req.model, cost)
                headers.update(verdict.headers)
                if not verdict.admitted:
                    return await self.rate_limited(
                        request,
                        entry,
                        wire_api,
                        verdict.retry_after,
                        f"Rate limit reached for {verdict.which}",
                        headers,
                    )
            if self._capacity is not None:
                async with self._capacity:
                    await self._sleep_latency()
            else:
                await self._sleep_latency()
            if cost is not None and self.limits is not None:
                self.limits.settle(wire_api, req.model, cost, u["output"])
            if fault is not None:
                return await send_fault(
                    self, request, entry, wire_api, req, replies, fault, n, headers
                )
            if api == "pooling":
                score = reply.score if reply.score is not None else self.score(req)
                return await self.send(request, entry, 200, pooling_body(req, score, n), headers)
            if req.stream:
                events = frames(req, replies, n, chunks=self.stream_chunks)
                return await self.stream(request, entry, events, headers)
            return await self.send(request, entry, 200, success_body(req, replies, n), headers)
        finally:
            self._write_log(entry)

    def _replies(self, req: FakeRequest) -> list[FakeReply]:
        out = []
        for i in range(req.n):
            reply = self.script(dataclasses.replace(req, choice=i))
            out.append(FakeReply(text=reply) if isinstance(reply, str) else reply)
        return out

    async def stream(
        self,
        request: web.Request,
        entry: dict,
        events: list[bytes],
        headers: dict[str, str],
        *,
        stop_after: int | None = None,
    ) -> web.StreamResponse:
        """Send SSE frames `stream_gap` apart; with `stop_after`, end the body after that many
        (a clean close with the answer unfinished: a proxy or server cutting a stream)."""
        entry["status"] = 200
        resp = web.StreamResponse(
            status=200, headers={**headers, "content-type": "text/event-stream"}
        )
        await resp.prepare(request)
        sent = events if stop_after is None else events[:stop_after]
        for i, frame in enumerate(sent):
            if i and self.stream_gap:
                await asyncio.sleep(self.stream_gap)
            await resp.write(frame)
        entry["events"] = len(sent)
        await resp.write_eof()
        entry["complete"] = stop_after is None
        entry["t_done"] = time.time()
        return resp

    async def _sleep_latency(self) -> None:
        lat = self._latency() if callable(self._latency) else self._latency
        if self._latency_sd:
            lat = max(0.0, random.gauss(lat, self._latency_sd))
        if lat > 0:
            await asyncio.sleep(lat)

    async def rate_limited(
        self,
        request: web.Request,
        entry: dict,
        api: Api,
        wait: float,
        message: str,
        headers: dict[str, str],
    ) -> web.StreamResponse:
        status, err = error_body(api, "rate_limit", message, retry_delay=wait)
        if api == "openai":
            headers["retry-after-ms"] = str(int(wait * 1000) + 1)
        if api in ("openai", "anthropic"):
            headers["retry-after"] = str(max(1, round(wait))) if wait >= 1 else f"{wait:.3f}"
        return await self.send(request, entry, status, err, headers)

    async def send(
        self,
        request: web.Request,
        entry: dict,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
    ) -> web.StreamResponse:
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        entry["status"] = status
        resp = web.Response(
            body=data, status=status, headers=headers, content_type="application/json"
        )
        await resp.prepare(request)
        await resp.write_eof()
        entry["complete"] = True
        entry["t_done"] = time.time()
        return resp

    def _write_log(self, entry: dict[str, Any]) -> None:
        if self._keep_log:
            self.requests.append(entry)
        if self._log is not None:
            self._log.write(orjson.dumps(entry, default=str) + b"\n")
            self._log.flush()
