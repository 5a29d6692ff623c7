"""The fake OpenAI Batch API: files, batches, output and error files (see fakes/batches.py)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson
from aiohttp import web

from fakes.batch_core import ENDPOINT, BatchCore, FakeBatch

STATES = {"starting": "validating", "running": "in_progress"}
STATES |= {s: s for s in ("cancelled", "failed", "expired", "completed")}


class OpenAIBatches(BatchCore):
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
        if hit[0] == "batch_output":
            await self.slow("download")
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
        await self.slow("create")  # the batch exists; its id is not out yet
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
        status = STATES[self.phase(batch)]
        counts = self._count(batch)
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
