"""Anthropic Message Batches: `POST /v1/messages/batches` with `requests: [{custom_id,
params}]` (params: a Messages body without `stream`).

A batch is `in_progress`, `canceling`, then `ended`; `request_counts` gives processing,
succeeded, errored, canceled and expired. Results are JSON Lines at `results_url`, one per
request: `{custom_id, result: {type: succeeded, message} | {type: errored, error} |
{type: canceled} | {type: expired}}`. The API keeps no label of ours: a batch lost between
its creation and our record of it is found by its creation time and size. Limits: 100,000
requests and 256 MB; `custom_id` matches `^[a-zA-Z0-9_-]{1,64}$`.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from datetime import datetime
from typing import Any

from providers.base import ErrorClass, ProviderError
from providers.batch.base import BatchAPI, BatchEntry, BatchStatus, Ending, Outcome, read_jsonl

ERROR_CLASS: dict[str, ErrorClass] = {
    "invalid_request_error": "bad_request",
    "not_found_error": "bad_request",
    "request_too_large": "bad_request",
    "authentication_error": "auth",
    "permission_error": "auth",
    "billing_error": "quota",
    "rate_limit_error": "rate_limit",
    "api_error": "server",
    "overloaded_error": "server",
    "timeout_error": "timeout",
}


def _time(value: Any) -> float | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def status_of(data: Any) -> BatchStatus:
    counts = {k: int(v) for k, v in (data.get("request_counts") or {}).items()}
    state = str(data["processing_status"])
    ending: Ending | None = None
    if state == "ended":
        ran = counts.get("succeeded", 0) + counts.get("errored", 0)
        if data.get("cancel_initiated_at"):
            ending = "cancelled"
        elif counts.get("expired") and not ran:
            ending = "expired"
        else:
            ending = "completed"
    return BatchStatus(
        remote_id=str(data["id"]),
        state=state,
        ending=ending,
        counts=counts,
        detail={"results_url": data.get("results_url")},
        created=_time(data.get("created_at")),
    )


class AnthropicBatch(BatchAPI):
    max_requests = 100_000
    max_bytes = 256_000_000

    @property
    def url(self) -> str:
        return f"{self.base}/v1/messages/batches"

    def line(self, entry: BatchEntry) -> dict[str, Any]:
        params = {k: v for k, v in entry.body.items() if k != "stream"}
        return {"custom_id": entry.custom_id, "params": params}

    async def submit(self, entries: Sequence[BatchEntry], label: str) -> BatchStatus:
        created = await self.call_json(
            "POST", self.url, {"requests": [self.line(e) for e in entries]}
        )
        return status_of(created)

    async def poll(self, remote_id: str) -> BatchStatus:
        return status_of(await self.call_json("GET", f"{self.url}/{remote_id}"))

    async def cancel(self, remote_id: str) -> BatchStatus:
        return status_of(await self.call_json("POST", f"{self.url}/{remote_id}/cancel"))

    async def find(
        self, label: str, since: float, count: int, known: Set[str]
    ) -> BatchStatus | None:
        listed = await self.call_json("GET", f"{self.url}?limit=100")
        found = [
            s
            for s in map(status_of, listed.get("data") or [])
            if s.remote_id not in known
            and s.created is not None
            and s.created >= since - 5
            and sum(s.counts.values()) == count
        ]
        return min(found, key=lambda s: s.created or 0.0) if found else None

    async def results(self, status: BatchStatus, ids: Sequence[str]) -> list[Outcome]:
        url = status.detail.get("results_url") or f"{self.url}/{status.remote_id}/results"
        data = await self.call("GET", str(url))
        return [self._outcome(line) for line in read_jsonl(data)]

    def _outcome(self, line: Any) -> Outcome:
        cid = str(line["custom_id"])
        result = line.get("result") or {}
        kind = result.get("type")
        if kind == "succeeded":
            return Outcome(cid, body=result["message"])
        if kind in ("canceled", "expired"):
            return Outcome(cid, again=True)
        err = (result.get("error") or {}).get("error") or result.get("error") or {}
        etype = str(err.get("type") or "")
        message = f"{self.provider.name}: batch request {kind}: {err.get('message', '')} [{etype}]"
        return Outcome(cid, error=ProviderError(ERROR_CLASS.get(etype, "server"), message))
