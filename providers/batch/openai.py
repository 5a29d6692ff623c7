"""OpenAI Batch: the input as a JSONL file (`POST /files`, purpose `batch`), then
`POST /batches` for `/v1/chat/completions` with a 24 h window and our label in `metadata`.

A line is `{custom_id, method, url, body}`; the output file has one line per request that
ran, `{custom_id, response: {status_code, body}, error}`, and the error file one per
request that did not (`error.code` `batch_expired` / `batch_cancelled`: never run). A
batch is `validating`, `in_progress`, `finalizing`, `cancelling`, then `completed`,
`failed`, `expired` or `cancelled`. Limits: 50,000 requests and 200 MB per batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence, Set
from typing import Any

import orjson

from providers.base import ProviderError
from providers.batch.base import (
    BatchAPI,
    BatchEntry,
    BatchStatus,
    Ending,
    Outcome,
    error_class,
    jsonl,
    read_jsonl,
)

ENDPOINT = "/v1/chat/completions"
ENDINGS: dict[str, Ending] = {
    "completed": "completed",
    "failed": "failed",
    "expired": "expired",
    "cancelled": "cancelled",
}
NOT_RUN = ("batch_expired", "batch_cancelled")
LABEL = "judgeflow_batch"


def status_of(data: Any) -> BatchStatus:
    counts = data.get("request_counts") or {}
    return BatchStatus(
        remote_id=str(data["id"]),
        state=str(data["status"]),
        ending=ENDINGS.get(str(data["status"])),
        counts={k: int(v) for k, v in counts.items()},
        detail={k: data.get(k) for k in ("output_file_id", "error_file_id")},
        label=(data.get("metadata") or {}).get(LABEL),
        created=float(data["created_at"]) if data.get("created_at") else None,
    )


def multipart(fields: dict[str, str], name: str, content: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with a file part (what `POST /files` takes)."""
    boundary = f"judgeflow-{uuid.uuid4().hex}"
    out = b""
    for key, value in fields.items():
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        ).encode()
    out += (
        f"--{boundary}\r\nContent-Disposition: form-data; "
        f'name="file"; filename="{name}"\r\nContent-Type: application/jsonl\r\n\r\n'
    ).encode()
    out += content + f"\r\n--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


class OpenAIBatch(BatchAPI):
    max_requests = 50_000
    max_bytes = 200_000_000

    def line(self, entry: BatchEntry) -> dict[str, Any]:
        return {"custom_id": entry.custom_id, "method": "POST", "url": ENDPOINT, "body": entry.body}

    async def submit(self, entries: Sequence[BatchEntry], label: str) -> BatchStatus:
        content = jsonl([self.line(e) for e in entries])
        body, ctype = multipart({"purpose": "batch"}, f"{label}.jsonl", content)
        raw = await self.call(
            "POST", f"{self.base}/files", data=body, headers={"content-type": ctype}
        )
        file_id = orjson.loads(raw)["id"]
        created = await self.call_json(
            "POST",
            f"{self.base}/batches",
            {
                "input_file_id": file_id,
                "endpoint": ENDPOINT,
                "completion_window": "24h",
                "metadata": {LABEL: label},
            },
        )
        return status_of(created)

    async def poll(self, remote_id: str) -> BatchStatus:
        return status_of(await self.call_json("GET", f"{self.base}/batches/{remote_id}"))

    async def cancel(self, remote_id: str) -> BatchStatus:
        return status_of(await self.call_json("POST", f"{self.base}/batches/{remote_id}/cancel"))

    async def find(
        self, label: str, since: float, count: int, known: Set[str]
    ) -> BatchStatus | None:
        listed = await self.call_json("GET", f"{self.base}/batches?limit=100")
        for data in listed.get("data") or []:
            status = status_of(data)
            if status.label == label:
                return status
        return None

    async def results(self, status: BatchStatus, ids: Sequence[str]) -> list[Outcome]:
        out: list[Outcome] = []
        for key in ("output_file_id", "error_file_id"):
            file_id = status.detail.get(key)
            if not file_id:
                continue
            data = await self.call("GET", f"{self.base}/files/{file_id}/content")
            out += [self._outcome(line) for line in read_jsonl(data)]
        return out

    def _outcome(self, line: Any) -> Outcome:
        cid = str(line["custom_id"])
        response = line.get("response") or {}
        error = line.get("error") or {}
        status = int(response.get("status_code") or 0)
        if status == 200:
            return Outcome(cid, body=response["body"])
        if error.get("code") in NOT_RUN:
            return Outcome(cid, again=True)
        name = self.provider.name
        if status:
            detail = self.provider.wire.error(status, response.get("body"))
            message = f"{name}: HTTP {status} in batch: {detail.message}"
            return Outcome(cid, error=ProviderError(error_class(status), message, status=status))
        message = f"{name}: batch request failed: {error.get('code')}: {error.get('message')}"
        return Outcome(cid, error=ProviderError("server", message))
