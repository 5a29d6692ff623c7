"""The one small interface every batch API implements, and what it says about a batch.

A batch API takes many chat bodies at once, each with a `custom_id` (Gemini: `key`), runs
them within a day at about half price, and hands back one result per id. A module per API
(openai, anthropic, gemini) speaks its endpoints through the provider's session (auth,
base URL, error bodies: `HTTPProvider.api_call`); the engine's collector
(engine/batching/) decides what goes in a batch and when, and records it.
"""

from __future__ import annotations

import random
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import anyio
import orjson

from providers.base import ErrorClass, ProviderError
from providers.errors import RetryableError, is_retry_status
from providers.http import HTTPProvider

# How a batch ended at the API.
Ending = Literal["completed", "failed", "expired", "cancelled"]


@dataclass(frozen=True, slots=True)
class BatchEntry:
    """One request of a batch: its id in the batch, the model, and the API's chat body."""

    custom_id: str
    model: str
    body: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class BatchStatus:
    """A batch as the API reports it. `state` is the API's own word; `ending` is set once
    the batch is over (results, if any, can then be read)."""

    remote_id: str
    state: str
    ending: Ending | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    # What `results` needs: an output file id, a results URL, inline responses...
    detail: Mapping[str, Any] = field(default_factory=dict)
    label: str | None = None  # our id of the batch, where the API keeps one
    created: float | None = None  # time.time() of creation at the API


@dataclass(frozen=True, slots=True)
class Outcome:
    """One request's result: the chat body the API returned, or an error; `again` marks a
    request the API never ran (expired, cancelled, its batch failed): send it again."""

    custom_id: str
    body: Any = None
    error: ProviderError | None = None
    again: bool = False


def error_class(status: int) -> ErrorClass:
    if status == 429:
        return "rate_limit"
    if status in (401, 403):
        return "auth"
    if status == 408:
        return "timeout"
    return "server" if is_retry_status(status) else "bad_request"


class BatchAPI(ABC):
    """The batch endpoints of one API, used through `provider`'s session."""

    # The API's own limits on one batch.
    max_requests: ClassVar[int]
    max_bytes: ClassVar[int]

    def __init__(self, provider: HTTPProvider) -> None:
        self.provider = provider

    @property
    def base(self) -> str:
        # Batch calls go to the provider's first endpoint: a batch, its files and its
        # results live with the account that made them, and these calls are few, so they
        # are not spread over `endpoints` as chat calls are.
        return self.provider.base_url

    @abstractmethod
    def line(self, entry: BatchEntry) -> dict[str, Any]:
        """The entry as the API takes it in a batch (a JSONL line, or an inline request)."""

    def size(self, entry: BatchEntry) -> int:
        """Bytes the entry adds to its batch."""
        return len(orjson.dumps(self.line(entry))) + 1

    @abstractmethod
    async def submit(self, entries: Sequence[BatchEntry], label: str) -> BatchStatus:
        """Create the batch (uploading its input first where the API wants a file)."""

    @abstractmethod
    async def poll(self, remote_id: str) -> BatchStatus: ...

    @abstractmethod
    async def results(self, status: BatchStatus, ids: Sequence[str]) -> list[Outcome]:
        """Outcomes of an ended batch whose requests had `ids`, in that order (the collector
        sends again any id the output leaves out)."""

    @abstractmethod
    async def cancel(self, remote_id: str) -> BatchStatus: ...

    @abstractmethod
    async def find(
        self, label: str, since: float, count: int, known: Set[str]
    ) -> BatchStatus | None:
        """The batch we created with `label` at `since` or later, holding `count` requests and
        not among the `known` ids (a crash may have come between the API's answer and our
        record of it); None when the API has none."""

    # ---- HTTP --------------------------------------------------------------------------
    async def call(
        self,
        method: str,
        url: str,
        payload: Any = None,
        *,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> bytes:
        """`HTTPProvider.api_call` with the provider's retry policy (backoff with jitter)."""
        policy = self.provider.config.retry
        body = orjson.dumps(payload) if payload is not None else data
        deadline = time.monotonic() + policy.total_deadline
        for attempt in range(policy.max_attempts):
            try:
                return await self.provider.api_call(method, url, body, headers)
            except RetryableError as exc:
                wait = exc.retry_after
                if wait is None:
                    wait = min(policy.max_backoff, policy.initial_backoff * 2**attempt)
                    wait *= random.uniform(0.5, 1.0)
                last = attempt == policy.max_attempts - 1
                if last or time.monotonic() + wait > deadline:
                    raise ProviderError(exc.error_class, str(exc), status=exc.status) from None
                self.provider.stats.retries += 1
                await anyio.sleep(min(wait, policy.retry_after_cap))
        raise AssertionError("unreachable")

    async def call_json(self, method: str, url: str, payload: Any = None) -> Any:
        return orjson.loads(await self.call(method, url, payload))


def jsonl(lines: Sequence[Mapping[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def read_jsonl(data: bytes) -> list[Any]:
    return [orjson.loads(line) for line in data.splitlines() if line.strip()]
