"""The fake Gemini Batch Mode API: inline requests, long-running operations (fakes/batches.py)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from fakes.batch_core import GEMINI_TYPE, BatchCore, FakeBatch, iso

STATES = {
    "starting": "BATCH_STATE_PENDING",
    "running": "BATCH_STATE_RUNNING",
    "cancelled": "BATCH_STATE_CANCELLED",
    "failed": "BATCH_STATE_FAILED",
    "expired": "BATCH_STATE_EXPIRED",
    "completed": "BATCH_STATE_SUCCEEDED",
}


class GeminiBatches(BatchCore):
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
        await self.slow("create")  # the batch exists; its id is not out yet
        return web.json_response(self._gemini_op(batch))

    def _gemini_op(self, batch: FakeBatch) -> dict[str, Any]:
        state = STATES[self.phase(batch)]
        counts = self._count(batch)
        done = batch.results is not None
        name = f"batches/{batch.id}"
        meta = {
            "@type": f"{GEMINI_TYPE}.GenerateContentBatch",
            "model": f"models/{batch.model}",
            "displayName": batch.display_name,
            "createTime": iso(batch.created),
            "updateTime": iso(batch.ended or batch.created),
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
        op = self._gemini_op(batch)
        if op["done"]:  # the answers come inline with the finished operation
            self._log("results", "gemini", batch.id)
            await self.slow("download")
        return web.json_response(op)

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
