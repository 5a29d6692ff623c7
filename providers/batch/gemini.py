"""Gemini Batch Mode: `POST /models/{model}:batchGenerateContent` with the requests inline,
`{batch: {displayName, inputConfig: {requests: {requests: [{request, metadata: {key}}]}}}}`.

The answer is a long-running operation named `batches/…`, polled at `GET /{name}`; its
`metadata.state` is `BATCH_STATE_PENDING`, `_RUNNING`, then `_SUCCEEDED`, `_FAILED`,
`_CANCELLED` or `_EXPIRED`, and a finished one carries `response.inlinedResponses`: one
`{response}` or `{error}` per request, in the order of the input (the `metadata.key` is
not always echoed back). Cancel is `POST /{name}:cancel`; our label is the display name.
Inline requests are limited to 20 MB a batch (an uploaded file would allow 2 GB; not
used here, so batches stay below the inline limit).
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from datetime import datetime
from typing import Any

from providers.base import ErrorClass, ProviderError
from providers.batch.base import BatchAPI, BatchEntry, BatchStatus, Ending, Outcome
from providers.models import model_id

ENDINGS: dict[str, Ending] = {
    "BATCH_STATE_SUCCEEDED": "completed",
    "BATCH_STATE_FAILED": "failed",
    "BATCH_STATE_CANCELLED": "cancelled",
    "BATCH_STATE_EXPIRED": "expired",
}
ERROR_CLASS: dict[str, ErrorClass] = {
    "INVALID_ARGUMENT": "bad_request",
    "FAILED_PRECONDITION": "bad_request",
    "NOT_FOUND": "bad_request",
    "OUT_OF_RANGE": "bad_request",
    "RESOURCE_EXHAUSTED": "rate_limit",
    "PERMISSION_DENIED": "auth",
    "UNAUTHENTICATED": "auth",
    "DEADLINE_EXCEEDED": "timeout",
}


def _time(value: Any) -> float | None:
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    head, _, frac = text.partition(".")
    if frac:  # nanoseconds are more than fromisoformat reads
        digits = "".join(c for c in frac if c.isdigit())
        text = f"{head}.{digits[:6]}{frac[len(digits) :]}"
    return datetime.fromisoformat(text).timestamp()


def status_of(op: Any) -> BatchStatus:
    meta = op.get("metadata") or {}
    state = str(meta.get("state") or "BATCH_STATE_PENDING")
    stats = meta.get("batchStats") or {}
    return BatchStatus(
        remote_id=str(op.get("name") or meta["name"]),
        state=state,
        ending=ENDINGS.get(state),
        counts={k: int(v) for k, v in stats.items()},
        detail={"response": op.get("response") or meta.get("output")},
        label=meta.get("displayName"),
        created=_time(meta.get("createTime")),
    )


class GeminiBatch(BatchAPI):
    max_requests = 100_000
    max_bytes = 20_000_000

    def line(self, entry: BatchEntry) -> dict[str, Any]:
        return {"request": entry.body, "metadata": {"key": entry.custom_id}}

    async def submit(self, entries: Sequence[BatchEntry], label: str) -> BatchStatus:
        model = model_id(entries[0].model)
        body = {
            "batch": {
                "displayName": label,
                "inputConfig": {"requests": {"requests": [self.line(e) for e in entries]}},
            }
        }
        url = f"{self.base}/models/{model}:batchGenerateContent"
        return status_of(await self.call_json("POST", url, body))

    async def poll(self, remote_id: str) -> BatchStatus:
        return status_of(await self.call_json("GET", f"{self.base}/{remote_id}"))

    async def cancel(self, remote_id: str) -> BatchStatus:
        await self.call("POST", f"{self.base}/{remote_id}:cancel", {})
        return await self.poll(remote_id)

    async def find(
        self, label: str, since: float, count: int, known: Set[str]
    ) -> BatchStatus | None:
        listed = await self.call_json("GET", f"{self.base}/batches?pageSize=100")
        for op in listed.get("operations") or []:
            status = status_of(op)
            if status.label == label:
                return status
        return None

    async def results(self, status: BatchStatus, ids: Sequence[str]) -> list[Outcome]:
        response = status.detail.get("response") or {}
        inlined = response.get("inlinedResponses") or {}
        if isinstance(inlined, dict):
            inlined = inlined.get("inlinedResponses") or []
        out = []
        for i, item in enumerate(inlined):
            key = (item.get("metadata") or {}).get("key")
            cid = str(key) if key is not None else ids[i]
            if "response" in item:
                out.append(Outcome(cid, body=item["response"]))
                continue
            err = item.get("error") or {}
            kind = ERROR_CLASS.get(str(err.get("status") or ""), "server")
            message = f"{self.provider.name}: batch request failed: {err.get('message', '')}"
            out.append(Outcome(cid, error=ProviderError(kind, f"{message} [{err.get('status')}]")))
        return out
