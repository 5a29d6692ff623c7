"""The fake Anthropic Message Batches API (see fakes/batches.py)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from fakes.batch_core import ANTHROPIC_ID, BatchCore, FakeBatch, iso


class AnthropicBatches(BatchCore):
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
        await self.slow("create")  # the batch exists; its id is not out yet
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
            "ended_at": iso(batch.ended) if batch.ended else None,
            "created_at": iso(batch.created),
            "expires_at": iso(batch.created + 86400),
            "archived_at": None,
            "cancel_initiated_at": iso(batch.ended) if batch.cancelled and batch.ended else None,
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
        await self.slow("download")
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
