"""Loopback fakes of the three batch APIs, served by `fakes.server.FakeServer`.

* OpenAI Batch under `/v1`: `POST /files` (multipart, purpose `batch`), `GET /files/{id}`,
  `GET /files/{id}/content`, `POST /batches`, `GET /batches[?limit]`, `GET /batches/{id}`,
  `POST /batches/{id}/cancel`; output and error files in the API's JSONL shapes.
* Anthropic Message Batches: `POST /v1/messages/batches`, `GET …[?limit]`, `GET …/{id}`,
  `POST …/{id}/cancel`, `GET …/{id}/results` (JSONL).
* Gemini Batch Mode under `/v1beta`: `POST /models/{model}:batchGenerateContent` (inline
  requests), `GET /batches[?pageSize]`, `GET /batches/{id}`, `POST /batches/{id}:cancel`;
  a finished operation carries `response.inlinedResponses`.

A batch ends `batch_delay` seconds after it was created (its state moves on when polled,
as a real one does between polls). Each request is answered by the server's script when the
batch ends; a reply whose `fault` is an HTTP fault ("500", "429", "bad_request", …) or that
the API's rules refuse becomes that request's error line (a partial failure). `outcomes`
says, per batch in creation order, "expire" (the first half of the requests run, the rest
expire), "fail" (the batch fails: OpenAI validation, Gemini BATCH_STATE_FAILED, Anthropic
every request errored) or None. A cancel ends the batch at once with no request run. Every
submitted request is logged (`op: "submit"`, with `custom_id` and `body`), as is every
other batch call (`op`: create, poll, list, cancel, results), so a test can prove nothing
was submitted twice. What the APIs refuse is refused: a duplicate or malformed custom_id,
mixed models, a line for another endpoint, `stream` in a batch, an empty batch.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
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


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class BatchFakes:
    def __init__(
        self, server: FakeServer, *, delay: float = 0.5, outcomes: Outcomes = None
    ) -> None:
        self.server = server
        self.delay = delay
        self.outcomes = outcomes
        self.batches: dict[str, FakeBatch] = {}
        self.files: dict[str, tuple[str, bytes]] = {}  # id -> (purpose, content)
        self.created = 0

    # ---- routes ------------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/v1/files", self._openai_upload)
        r.add_get("/v1/files/{id}", self._openai_file)
        r.add_get("/v1/files/{id}/content", self._openai_content)
        r.add_post("/v1/batches", self._openai_create)
        r.add_get("/v1/batches", self._openai_list)
        r.add_get("/v1/batches/{id}", self._openai_get)
        r.add_post("/v1/batches/{id}/cancel", self._openai_cancel)
        r.add_post("/v1/messages/batches", self._anthropic_create)
        r.add_get("/v1/messages/batches", self._anthropic_list)
        r.add_get("/v1/messages/batches/{id}", self._anthropic_get)
        r.add_post("/v1/messages/batches/{id}/cancel", self._anthropic_cancel)
        r.add_get("/v1/messages/batches/{id}/results", self._anthropic_results)
        r.add_post("/v1beta/models/{model}:batchGenerateContent", self._gemini_create)
        r.add_get("/v1beta/batches", self._gemini_list)
        r.add_get("/v1beta/batches/{id}", self._gemini_get)
        r.add_post("/v1beta/batches/{id}:cancel", self._gemini_cancel)

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
        if not batch.cancelled and time.time() < batch.created + self.delay:
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

    def _count(self, batch: FakeBatch) -> dict[str, int]:
        kinds = [r["kind"] for r in batch.results or []]
        return {k: kinds.count(k) for k in ("ok", "error", "expired", "cancelled", "failed")}

    # ---- OpenAI ------------------------------------------------------------------------
    async def _openai_upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        purpose, upload = form.get("purpose"), form.get("file")
        if purpose != "batch" or not isinstance(upload, web.FileField):
            return self._error("openai", "bad_request", "purpose must be 'batch' with a file")
        content = upload.file.read()
        file_id = f"file-{uuid.uuid4().hex[:24]}"
        self.files[file_id] = ("batch", content)
        self._log("upload", "openai", None, file=file_id, bytes=len(content))
        return web.json_response(self._file_object(file_id, upload.filename, "batch", content))

    def _file_object(self, file_id: str, name: str, purpose: str, content: bytes) -> dict[str, Any]:
        return {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": name,
            "purpose": purpose,
        }

    async def _openai_file(self, request: web.Request) -> web.Response:
        hit = self.files.get(request.match_info["id"])
        if hit is None:
            return self._error("openai", "not_found", "No such File object")
        return web.json_response(
            self._file_object(request.match_info["id"], "file.jsonl", hit[0], hit[1])
        )

    async def _openai_content(self, request: web.Request) -> web.Response:
        file_id = request.match_info["id"]
        hit = self.files.get(file_id)
        self._log("results", "openai", None, file=file_id)
        if hit is None:
            return self._error("openai", "not_found", "No such File object")
        return web.Response(body=hit[1], content_type="application/octet-stream")

    async def _openai_create(self, request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        file_id = body.get("input_file_id")
        if body.get("endpoint") != ENDPOINT or body.get("completion_window") != "24h":
            return self._error(
                "openai", "bad_request", "endpoint must be /v1/chat/completions, window 24h"
            )
        if file_id not in self.files:
            return self._error("openai", "bad_request", f"No such file {file_id}")
        lines, problem = self._openai_lines(self.files[file_id][1])
        model = lines[0][1].get("model", "") if lines else ""
        if problem is None and not lines:
            problem = "the input file holds no requests"
        if problem is not None:
            batch = self._new(
                "openai", model, [], input_file_id=file_id, metadata=body.get("metadata") or {}
            )
            batch.outcome, batch.results, batch.ended = "fail", [], time.time()
            batch.metadata["_errors"] = problem
        else:
            batch = self._new(
                "openai", model, lines, input_file_id=file_id, metadata=body.get("metadata") or {}
            )
        self._log("create", "openai", batch.id)
        return web.json_response(self._openai_object(batch))

    def _openai_lines(self, content: bytes) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        lines: list[tuple[str, dict[str, Any]]] = []
        seen: set[str] = set()
        for i, raw in enumerate(content.splitlines(), 1):
            if not raw.strip():
                continue
            try:
                line = orjson.loads(raw)
                cid, body = str(line["custom_id"]), line["body"]
            except (orjson.JSONDecodeError, KeyError, TypeError):
                return [], f"line {i}: not a batch request"
            if line.get("method") != "POST" or line.get("url") != ENDPOINT:
                return [], f"line {i}: the url must be the batch's endpoint {ENDPOINT}"
            if cid in seen:
                return [], f"line {i}: duplicate custom_id {cid!r}"
            if body.get("stream"):
                return [], f"line {i}: streaming is not supported in batches"
            if lines and body.get("model") != lines[0][1].get("model"):
                return [], f"line {i}: all requests of a batch must use one model"
            seen.add(cid)
            lines.append((cid, body))
        return lines, None

    def _openai_object(self, batch: FakeBatch) -> dict[str, Any]:
        self._advance(batch)
        now = time.time()
        counts = self._count(batch)
        if batch.results is None:
            status = "validating" if now < batch.created + self.delay / 10 else "in_progress"
        elif batch.cancelled:
            status = "cancelled"
        elif batch.outcome == "fail":
            status = "failed"
        elif batch.outcome == "expire":
            status = "expired"
        else:
            status = "completed"
        if batch.results is not None and batch.output_file_id is None and status != "failed":
            self._openai_files(batch)
        total = len(batch.lines)
        errors = batch.metadata.get("_errors")
        return {
            "id": batch.id,
            "object": "batch",
            "endpoint": ENDPOINT,
            "errors": {"object": "list", "data": [{"code": "invalid_request", "message": errors}]}
            if errors
            else None,
            "input_file_id": batch.input_file_id,
            "completion_window": "24h",
            "status": status,
            "output_file_id": batch.output_file_id,
            "error_file_id": batch.error_file_id,
            "created_at": int(batch.created),
            "completed_at": int(batch.ended) if batch.ended and status == "completed" else None,
            "request_counts": {
                "total": total,
                "completed": counts["ok"] if batch.results is not None else 0,
                "failed": total - counts["ok"] if batch.results is not None else 0,
            },
            "metadata": {k: v for k, v in batch.metadata.items() if not k.startswith("_")},
        }

    def _openai_files(self, batch: FakeBatch) -> None:
        ok, bad = [], []
        for i, r in enumerate(batch.results or []):
            rid = f"batch_req_{batch.id}_{i}"
            if r["kind"] == "ok":
                ok.append(
                    {
                        "id": rid,
                        "custom_id": r["custom_id"],
                        "response": {"status_code": 200, "request_id": rid, "body": r["body"]},
                        "error": None,
                    }
                )
            elif r["kind"] == "error":
                bad.append(
                    {
                        "id": rid,
                        "custom_id": r["custom_id"],
                        "response": {
                            "status_code": r["status"],
                            "request_id": rid,
                            "body": r["error"],
                        },
                        "error": None,
                    }
                )
            else:
                code = "batch_cancelled" if r["kind"] == "cancelled" else "batch_expired"
                bad.append(
                    {
                        "id": rid,
                        "custom_id": r["custom_id"],
                        "response": None,
                        "error": {
                            "code": code,
                            "message": f"This request was not run ({r['kind']}).",
                        },
                    }
                )
        for lines, attr in ((ok, "output_file_id"), (bad, "error_file_id")):
            if lines:
                fid = f"file-{uuid.uuid4().hex[:24]}"
                self.files[fid] = ("batch_output", b"".join(orjson.dumps(x) + b"\n" for x in lines))
                setattr(batch, attr, fid)

    async def _openai_get(self, request: web.Request) -> web.Response:
        batch = self.batches.get(request.match_info["id"])
        self._log("poll", "openai", request.match_info["id"])
        if batch is None or batch.api != "openai":
            return self._error("openai", "not_found", "No such batch")
        return web.json_response(self._openai_object(batch))

    async def _openai_list(self, request: web.Request) -> web.Response:
        self._log("list", "openai", None)
        mine = [b for b in self.batches.values() if b.api == "openai"][::-1]
        limit = int(request.query.get("limit", 20))
        data = [self._openai_object(b) for b in mine[:limit]]
        return web.json_response({"object": "list", "data": data, "has_more": len(mine) > limit})

    async def _openai_cancel(self, request: web.Request) -> web.Response:
        batch = self.batches.get(request.match_info["id"])
        self._log("cancel", "openai", request.match_info["id"])
        if batch is None or batch.api != "openai":
            return self._error("openai", "not_found", "No such batch")
        if batch.results is None:
            batch.cancelled = True
        obj = self._openai_object(batch)
        return web.json_response(obj)

    # ---- Anthropic ---------------------------------------------------------------------
    async def _anthropic_create(self, request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            return self._error(
                "anthropic", "bad_request", "requests: at least one request is required"
            )
        lines: list[tuple[str, dict[str, Any]]] = []
        for i, item in enumerate(requests):
            cid, params = item.get("custom_id"), item.get("params")
            if not isinstance(cid, str) or not ANTHROPIC_ID.match(cid):
                return self._error(
                    "anthropic",
                    "bad_request",
                    f"requests.{i}.custom_id: must match ^[a-zA-Z0-9_-]{{1,64}}$",
                )
            if any(cid == c for c, _ in lines):
                return self._error(
                    "anthropic", "bad_request", f"requests.{i}.custom_id: duplicate {cid!r}"
                )
            if not isinstance(params, dict) or "model" not in params or "max_tokens" not in params:
                return self._error(
                    "anthropic",
                    "bad_request",
                    f"requests.{i}.params: model and max_tokens are required",
                )
            if params.get("stream"):
                return self._error(
                    "anthropic",
                    "bad_request",
                    f"requests.{i}.params.stream: not supported in batches",
                )
            lines.append((cid, params))
        batch = self._new("anthropic", str(lines[0][1]["model"]), lines)
        self._log("create", "anthropic", batch.id)
        return web.json_response(self._anthropic_object(batch, request))

    def _anthropic_object(self, batch: FakeBatch, request: web.Request) -> dict[str, Any]:
        self._advance(batch)
        counts = self._count(batch)
        ended = batch.results is not None
        host = f"{request.scheme}://{request.host}"
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": {
                "processing": 0 if ended else len(batch.lines),
                "succeeded": counts["ok"],
                "errored": counts["error"] + counts["failed"],
                "canceled": counts["cancelled"],
                "expired": counts["expired"],
            },
            "ended_at": _iso(batch.ended) if batch.ended else None,
            "created_at": _iso(batch.created),
            "expires_at": _iso(batch.created + 86400),
            "archived_at": None,
            "cancel_initiated_at": _iso(batch.ended) if batch.cancelled and batch.ended else None,
            "results_url": f"{host}/v1/messages/batches/{batch.id}/results" if ended else None,
        }

    def _anthropic_batch(self, request: web.Request, op: str) -> FakeBatch | None:
        bid = request.match_info["id"]
        self._log(op, "anthropic", bid)
        batch = self.batches.get(bid)
        return batch if batch is not None and batch.api == "anthropic" else None

    async def _anthropic_get(self, request: web.Request) -> web.Response:
        batch = self._anthropic_batch(request, "poll")
        if batch is None:
            return self._error("anthropic", "not_found", "batch not found")
        return web.json_response(self._anthropic_object(batch, request))

    async def _anthropic_list(self, request: web.Request) -> web.Response:
        self._log("list", "anthropic", None)
        mine = [b for b in self.batches.values() if b.api == "anthropic"][::-1]
        limit = int(request.query.get("limit", 20))
        data = [self._anthropic_object(b, request) for b in mine[:limit]]
        return web.json_response(
            {
                "data": data,
                "has_more": len(mine) > limit,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            }
        )

    async def _anthropic_cancel(self, request: web.Request) -> web.Response:
        batch = self._anthropic_batch(request, "cancel")
        if batch is None:
            return self._error("anthropic", "not_found", "batch not found")
        if batch.results is None:
            batch.cancelled = True
        return web.json_response(self._anthropic_object(batch, request))

    async def _anthropic_results(self, request: web.Request) -> web.Response:
        batch = self._anthropic_batch(request, "results")
        if batch is None:
            return self._error("anthropic", "not_found", "batch not found")
        self._advance(batch)
        if batch.results is None:
            return self._error(
                "anthropic", "bad_request", "results are not available until the batch has ended"
            )
        out = []
        for r in batch.results:
            kind = r["kind"]
            if kind == "ok":
                result: dict[str, Any] = {"type": "succeeded", "message": r["body"]}
            elif kind == "error":
                result = {"type": "errored", "error": r["error"]}
            elif kind == "failed":
                result = {
                    "type": "errored",
                    "error": {
                        "type": "error",
                        "error": {"type": "api_error", "message": "Internal server error"},
                    },
                }
            else:
                result = {"type": "canceled" if kind == "cancelled" else "expired"}
            out.append(orjson.dumps({"custom_id": r["custom_id"], "result": result}) + b"\n")
        return web.Response(body=b"".join(out), content_type="application/binary")

    # ---- Gemini ------------------------------------------------------------------------
    async def _gemini_create(self, request: web.Request) -> web.Response:
        model = request.match_info["model"].removeprefix("models/")
        body = orjson.loads(await request.read())
        batch_spec = body.get("batch") or {}
        items = (
            ((batch_spec.get("inputConfig") or {}).get("requests") or {}).get("requests")
        ) or []
        if not batch_spec.get("displayName") or not items:
            return self._error(
                "gemini", "bad_request", "batch.displayName and inline requests are required"
            )
        lines: list[tuple[str, dict[str, Any]]] = []
        for i, item in enumerate(items):
            req = item.get("request")
            if not isinstance(req, dict) or "contents" not in req:
                return self._error(
                    "gemini", "bad_request", f"requests[{i}].request: contents required"
                )
            lines.append((str((item.get("metadata") or {}).get("key", i)), req))
        batch = self._new("gemini", model, lines, display_name=str(batch_spec["displayName"]))
        self._log("create", "gemini", batch.id)
        return web.json_response(self._gemini_op(batch))

    def _gemini_op(self, batch: FakeBatch) -> dict[str, Any]:
        self._advance(batch)
        counts = self._count(batch)
        done = batch.results is not None
        if not done:
            state = (
                "BATCH_STATE_PENDING"
                if time.time() < batch.created + self.delay / 10
                else "BATCH_STATE_RUNNING"
            )
        elif batch.cancelled:
            state = "BATCH_STATE_CANCELLED"
        elif batch.outcome == "fail":
            state = "BATCH_STATE_FAILED"
        elif batch.outcome == "expire":
            state = "BATCH_STATE_EXPIRED"
        else:
            state = "BATCH_STATE_SUCCEEDED"
        name = f"batches/{batch.id}"
        meta = {
            "@type": f"{GEMINI_TYPE}.GenerateContentBatch",
            "model": f"models/{batch.model}",
            "displayName": batch.display_name,
            "createTime": _iso(batch.created),
            "updateTime": _iso(batch.ended or batch.created),
            "batchStats": {
                "requestCount": str(len(batch.lines)),
                "successfulRequestCount": str(counts["ok"]),
                "failedRequestCount": str(counts["error"]),
                "pendingRequestCount": str(0 if done else len(batch.lines)),
            },
            "state": state,
            "name": name,
        }
        op: dict[str, Any] = {"name": name, "metadata": meta, "done": done}
        if state in ("BATCH_STATE_SUCCEEDED", "BATCH_STATE_EXPIRED"):
            inlined = []
            for r in batch.results or []:
                if r["kind"] == "ok":
                    inlined.append({"response": r["body"], "metadata": {"key": r["custom_id"]}})
                elif r["kind"] == "error":
                    inlined.append(
                        {"error": r["error"]["error"], "metadata": {"key": r["custom_id"]}}
                    )
            op["response"] = {
                "@type": f"{GEMINI_TYPE}.GenerateContentBatchOutput",
                "inlinedResponses": {"inlinedResponses": inlined},
            }
        elif state == "BATCH_STATE_FAILED":
            op["error"] = {"code": 13, "message": "batch failed"}
        return op

    def _gemini_batch(self, request: web.Request, op: str) -> FakeBatch | None:
        bid = request.match_info["id"]
        self._log(op, "gemini", bid)
        batch = self.batches.get(bid)
        return batch if batch is not None and batch.api == "gemini" else None

    async def _gemini_get(self, request: web.Request) -> web.Response:
        batch = self._gemini_batch(request, "poll")
        if batch is None:
            return self._error("gemini", "not_found", "batch not found")
        return web.json_response(self._gemini_op(batch))

    async def _gemini_list(self, request: web.Request) -> web.Response:
        self._log("list", "gemini", None)
        mine = [b for b in self.batches.values() if b.api == "gemini"][::-1]
        size = int(request.query.get("pageSize", 50))
        return web.json_response({"operations": [self._gemini_op(b) for b in mine[:size]]})

    async def _gemini_cancel(self, request: web.Request) -> web.Response:
        batch = self._gemini_batch(request, "cancel")
        if batch is None:
            return self._error("gemini", "not_found", "batch not found")
        if batch.results is None:
            batch.cancelled = True
        return web.json_response({})
