"""The batch fakes' shared part: a batch, its life (ends `delay` s after creation, or when
cancelled), each request answered by the server's script, and the log."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from fakes.faults import FAULTS
from fakes.rules import refusal
from fakes.wire import Api, FakeReply, error_body, parse_request, success_body

if TYPE_CHECKING:
    from fakes.server import FakeServer

ENDPOINT = "/v1/chat/completions"
GEMINI_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main"
ANTHROPIC_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
# A reply fault that becomes an error line inside a batch, and the error kind it is.
LINE_FAULTS = {
    "500": "server",
    "503": "unavailable",
    "529": "overloaded",
    "429": "rate_limit",
    "bad_request": "bad_request",
    "quota": "quota",
}
Outcomes = Sequence[str | None] | Callable[[int], str | None] | None


@dataclass
class FakeBatch:
    api: Api
    id: str
    model: str
    lines: list[tuple[str, dict[str, Any]]]  # (custom_id, request body)
    created: float
    display_name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    input_file_id: str | None = None
    outcome: str | None = None
    cancelled: bool = False
    ended: float | None = None
    results: list[dict[str, Any]] | None = None  # (custom_id, kind, body|error) as dicts
    output_file_id: str | None = None
    error_file_id: str | None = None
    delay: float = 0.0  # seconds from creation to its end


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class BatchCore:
    """State and helpers the three APIs' routes share."""

    def __init__(
        self,
        server: FakeServer,
        *,
        delay: float | Callable[[int], float] = 0.5,
        outcomes: Outcomes = None,
        create_delay: float = 0.0,
        download_delay: float = 0.0,
    ) -> None:
        self.server = server
        self.delay = delay
        # Seconds the first create (after the batch exists) and the first results download
        # take to answer: a moment to kill a client in; later ones are quick.
        self.create_delay = create_delay
        self.download_delay = download_delay
        self._slowed: set[str] = set()
        self.outcomes = outcomes
        self.batches: dict[str, FakeBatch] = {}
        self.files: dict[str, tuple[str, bytes]] = {}  # id -> (purpose, content)
        self.created = 0

    # ---- shared ------------------------------------------------------------------------
    def _log(self, op: str, api: str, batch: str | None, **more: Any) -> None:
        self.server._write_log(
            {"t": time.time(), "op": op, "api": f"batch:{api}", "batch": batch, **more}
        )

    def _error(self, api: Api, kind: str, message: str) -> web.Response:
        status, body = error_body(api, kind, message)  # type: ignore[arg-type]
        return web.json_response(body, status=status)

    def _new(
        self, api: Api, model: str, lines: list[tuple[str, dict[str, Any]]], **kw: Any
    ) -> FakeBatch:
        n = self.created
        self.created += 1
        outcome = (
            self.outcomes(n)
            if callable(self.outcomes)
            else (
                self.outcomes[n] if self.outcomes is not None and n < len(self.outcomes) else None
            )
        )
        prefix = {"openai": "batch_", "anthropic": "msgbatch_", "gemini": ""}[api]
        batch = FakeBatch(
            api,
            f"{prefix}{uuid.uuid4().hex[:20]}",
            model,
            lines,
            time.time(),
            outcome=outcome or None,
            delay=self.delay(n) if callable(self.delay) else self.delay,
            **kw,
        )
        self.batches[batch.id] = batch
        for cid, body in lines:
            self._log("submit", api, batch.id, custom_id=cid, model=model, body=body)
        return batch

    def _advance(self, batch: FakeBatch) -> None:
        """Run the batch once its time has come (or it was cancelled)."""
        if batch.results is not None:
            return
        if not batch.cancelled and time.time() < batch.created + batch.delay:
            return
        batch.ended = time.time()
        out: list[dict[str, Any]] = []
        half = (len(batch.lines) + 1) // 2
        for i, (cid, body) in enumerate(batch.lines):
            if batch.cancelled:
                out.append({"custom_id": cid, "kind": "cancelled"})
            elif batch.outcome == "fail":
                out.append({"custom_id": cid, "kind": "failed"})
            elif batch.outcome == "expire" and i >= half:
                out.append({"custom_id": cid, "kind": "expired"})
            else:
                out.append(self._answer(batch, cid, body, i))
        batch.results = out

    def _answer(self, batch: FakeBatch, cid: str, body: dict[str, Any], n: int) -> dict[str, Any]:
        api = batch.api
        model = batch.model
        path = f"/models/{model}:generateContent" if api == "gemini" else ENDPOINT
        req = parse_request(api, model, body, path)
        refused = refusal(api, req.model, body)
        if refused is not None:
            status, err = error_body(api, "bad_request", refused)
            return {"custom_id": cid, "kind": "error", "status": status, "error": err}
        reply = self.server.script(req)
        reply = FakeReply(text=reply) if isinstance(reply, str) else reply
        if reply.fault in LINE_FAULTS:
            status, err = error_body(api, LINE_FAULTS[reply.fault], f"fault {reply.fault}")  # type: ignore[arg-type]
            return {"custom_id": cid, "kind": "error", "status": status, "error": err}
        if reply.fault is not None and reply.fault not in FAULTS:
            raise ValueError(f"unknown fault {reply.fault!r}")
        return {"custom_id": cid, "kind": "ok", "body": success_body(req, [reply], n)}

    def phase(self, batch: FakeBatch) -> str:
        """Where the batch is (each API names these its own way): starting, running, then
        cancelled, failed, expired or completed."""
        self._advance(batch)
        if batch.results is None:
            return "starting" if time.time() < batch.created + batch.delay / 10 else "running"
        if batch.cancelled:
            return "cancelled"
        return {"fail": "failed", "expire": "expired"}.get(batch.outcome or "", "completed")

    def _count(self, batch: FakeBatch) -> dict[str, int]:
        kinds = [r["kind"] for r in batch.results or []]
        return {k: kinds.count(k) for k in ("ok", "error", "expired", "cancelled", "failed")}

    async def slow(self, what: str) -> None:
        seconds = self.create_delay if what == "create" else self.download_delay
        if seconds > 0 and what not in self._slowed:
            self._slowed.add(what)
            await asyncio.sleep(seconds)
