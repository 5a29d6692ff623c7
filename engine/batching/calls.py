"""What the collector keeps per call and per batch (engine/batching/collector.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio

from engine.batching.ledger import BatchInfo
from providers.base import ChatRequest, ChatResponse, ProviderError
from providers.batch.base import BatchEntry
from providers.models import Plan


class Future:
    """What a waiting call gets, once: an answer, an error, or (None) "not run: send again"."""

    def __init__(self) -> None:
        self._done = anyio.Event()
        self._value: ChatResponse | None = None
        self._error: ProviderError | None = None

    def set(self, value: ChatResponse | None) -> None:
        self._value = value
        self._done.set()

    def fail(self, error: ProviderError) -> None:
        self._error = error
        self._done.set()

    async def wait(self) -> ChatResponse | None:
        await self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value


@dataclass
class Call:
    request: ChatRequest
    entry: BatchEntry
    tag: str
    body_hash: str
    plan: Plan
    size: int
    batch: bool  # made in batch mode: sent again in a batch (else online) when not run
    future: Future = field(default_factory=Future)
    tries: int = 0


@dataclass
class Live:
    """A batch this process follows: who waits for which request, and answers not yet asked
    for (a resume reads a batch before its stages reach every question in it)."""

    info: BatchInfo
    waiters: dict[str, list[Call]] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    settled: bool = False


@dataclass
class Queue:
    calls: list[Call] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)  # a custom_id may be in a batch once
    size: int = 0
    since: float = 0.0
