"""The batch collector: a provider whose calls wait in batches instead of going out one by one.

A stage calls `chat` exactly as online; in batch mode the call's body joins the pending
batch of its model, which is sent when it is full (requests or bytes, within the API's own
limits) or its oldest call is `max_age` old. One task per batch sends it, polls it with
backoff, reads its results and hands each waiting call its answer, so the graph keeps
streaming: a question whose answers are in moves on while other batches are still out, and
a multi-turn judge's next turn simply joins the next batch.

Every batch goes through the ledger (engine/batching/ledger.py) before it is sent and after.
A call whose request (key and body) is in a batch already sent, by this run or a killed
one, waits for that batch instead of being sent again, in either mode; so a run can change
modes between resumes and pay for nothing twice. Requests the API never ran (expired,
cancelled, a failed batch) go into a new batch, at most `batch.resubmit` times; a request
that failed inside a batch is answered with its error class, recorded, and sent again on
resume like an online failure.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Awaitable, Mapping
from typing import Any

import anyio
from anyio.abc import TaskGroup, TaskStatus

from engine.batching.calls import Call, Future, Live, Queue
from engine.batching.ledger import BatchInfo, Ledger, Request
from engine.batching.tag import Mode, current
from engine.keys import stable_hash
from providers.accounting import batch_cost
from providers.base import (
    ChatRequest,
    ChatResponse,
    Message,
    Provider,
    ProviderError,
    completed,
)
from providers.batch import batch_api
from providers.batch.base import BatchAPI, BatchEntry, BatchStatus, Outcome
from providers.config import BATCH_TYPES
from providers.errors import EmptyReply
from providers.http import HTTPProvider
from providers.models import Plan
from providers.schema import Unsupported


class BatchingProvider(Provider):
    """Wraps an HTTP provider; `run` must be running (in the run's task group) while the
    graph makes calls."""

    def __init__(self, inner: HTTPProvider, ledger: Ledger, stop: anyio.Event) -> None:
        super().__init__(inner.name)
        self.inner = inner
        self.stats = inner.stats  # one set of counters: the view and stats.json read them
        self.ledger = ledger
        self.stop = stop
        self.settings = inner.config.batch
        self.api: BatchAPI | None = batch_api(inner) if inner.config.type in BATCH_TYPES else None
        cap_n = self.api.max_requests if self.api else 1
        cap_b = self.api.max_bytes if self.api else 1
        self.max_requests = min(self.settings.max_requests, cap_n)
        self.max_bytes = min(self.settings.max_bytes, cap_b)
        self.live: dict[str, Live] = {}
        self._queues: dict[str, Queue] = {}
        self._tg: TaskGroup | None = None
        self.waiting = 0  # calls waiting for a batch (the view's "in flight")

    @property
    def default_mode(self) -> Mode:
        return self.inner.config.mode

    def batch_mode(self) -> bool:
        return (current().mode or self.default_mode) == "batch" and self.api is not None

    # ---- the Provider interface ------------------------------------------------------
    def adjustments(self, request: ChatRequest) -> Mapping[str, Any]:
        return self.inner.adjustments(request)

    def choices_per_call(self, model: str) -> int:
        # One request per sample, so each has its request key as custom_id (and a run whose
        # samples were batched finds them one by one when it resumes online).
        if self.batch_mode() or next(self.ledger.of(self.name), None) is not None:
            return 1
        return self.inner.choices_per_call(model)

    async def chat_many(self, request: ChatRequest, n: int) -> list[ChatResponse]:
        if n == 1:
            return [await self.chat(request)]
        return await self.inner.chat_many(request, n)

    async def score(self, model: str, messages: tuple[Message, ...]) -> float:
        return await self.inner.score(model, messages)

    async def chat(self, request: ChatRequest) -> ChatResponse:
        if self.api is None:
            return await self.inner.chat(request)
        plan = self.inner.plan_for(request)
        if plan.stream:  # batch APIs do not stream; what is sent says so
            plan = dataclasses.replace(plan, stream=False, record={})
        try:
            body = self.inner.chat_body(request, plan, 1)
        except Unsupported as exc:
            raise ProviderError("bad_request", f"{self.name}: {exc}") from None
        body_hash = stable_hash([self.name, request.model, body], 16)
        tag = current().key or f"c{body_hash}"
        batch = self.batch_mode()
        found = self.ledger.find(self.name, tag, body_hash)
        if found is not None:
            info, custom_id = found
            call = self._call(request, body, tag, body_hash, plan, custom_id, batch)
            return await self._claim(info, call)
        if not batch:
            return await self.inner.chat(request)
        first = self.ledger.first.setdefault((self.name, tag), body_hash)
        custom_id = tag if first == body_hash else f"{tag}-{body_hash[:8]}"  # a later turn
        call = self._call(request, body, tag, body_hash, plan, custom_id, batch)
        if call.size > self.max_bytes:
            raise ProviderError("bad_request", f"{self.name}: a request larger than a batch")
        self._enqueue(call)
        return await self._wait(call)

    # ---- collecting ------------------------------------------------------------------
    def _call(
        self,
        request: ChatRequest,
        body: Any,
        tag: str,
        body_hash: str,
        plan: Plan,
        custom_id: str,
        batch: bool,
    ) -> Call:
        assert self.api is not None
        entry = BatchEntry(custom_id, request.model, body)
        return Call(request, entry, tag, body_hash, plan, self.api.size(entry), batch)

    async def _wait(self, call: Call) -> ChatResponse:
        """The call's answer; a request its batch did not run is sent again: in a new batch
        (at most `batch.resubmit` times), or online when the call was made online."""
        self.waiting += 1
        try:
            while True:
                answer = await call.future.wait()
                if answer is not None:
                    return answer
                call.tries += 1
                call.future = Future()
                if not call.batch:
                    return await self.inner.chat(call.request)
                if call.tries > self.settings.resubmit:
                    raise ProviderError(
                        "server", f"{self.name}: batch after batch left the request unrun"
                    )
                self._enqueue(call)
        finally:
            self.waiting -= 1

    def _enqueue(self, call: Call) -> None:
        model = call.entry.model
        queue = self._queues.setdefault(model, Queue())
        full = queue.size + call.size > self.max_bytes
        if queue.calls and (full or call.entry.custom_id in queue.ids):
            self._flush(model)
            queue = self._queues.setdefault(model, Queue())
        if not queue.calls:
            queue.since = time.monotonic()
        queue.calls.append(call)
        queue.ids.add(call.entry.custom_id)
        queue.size += call.size
        if len(queue.calls) >= self.max_requests or self.settings.max_age == 0:
            self._flush(model)

    def _flush(self, model: str) -> None:
        queue = self._queues.pop(model, None)
        if queue is None or not queue.calls or self.stop.is_set():
            return  # stopping: nothing new is sent; the waiting calls are cancelled
        assert self._tg is not None, "BatchingProvider.run is not running"
        self._tg.start_soon(self._submit, model, queue.calls)

    def _flush_old(self) -> None:
        now = time.monotonic()
        for model, queue in list(self._queues.items()):
            if queue.calls and now - queue.since >= self.settings.max_age:
                self._flush(model)

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Follow the batches a killed run left open, and send pending batches when old."""
        tick = min(1.0, max(0.01, self.settings.max_age / 4))
        async with anyio.create_task_group() as tg:
            self._tg = tg
            if self.api is not None:
                for info in list(self.ledger.of(self.name)):
                    if info.open:
                        self._follow(info)
            task_status.started()
            while True:
                await anyio.sleep(tick)
                self._flush_old()

    # ---- one batch ---------------------------------------------------------------------
    def _follow(self, info: BatchInfo) -> Live:
        live = self.live.get(info.local_id)
        if live is None:
            live = self.live[info.local_id] = Live(info)
            assert self._tg is not None, "BatchingProvider.run is not running"
            self._tg.start_soon(self._watch, live)
        return live

    async def _claim(self, info: BatchInfo, call: Call) -> ChatResponse:
        """A request already in a batch: its answer, now or when the batch ends."""
        live = self._follow(info)
        cid = call.entry.custom_id
        if cid in live.answers:
            return self._answer(live.answers.pop(cid), call)
        if live.settled:  # the batch has no answer for it after all
            call.future.set(None)
        else:
            live.waiters.setdefault(cid, []).append(call)
        return await self._wait(call)

    async def _submit(self, model: str, calls: list[Call]) -> None:
        assert self.api is not None
        reqs = [Request(c.entry.custom_id, c.tag, c.body_hash) for c in calls]
        info = BatchInfo(uuid.uuid4().hex[:16], self.name, model, reqs, time.time())
        self.ledger.prepared(info)  # before anything is sent: a crash from here on is found
        live = self.live[info.local_id] = Live(info)
        for c in calls:
            live.waiters.setdefault(c.entry.custom_id, []).append(c)
        self.stats.requests += len(calls)
        try:
            status = await self.api.submit([c.entry for c in calls], info.label)
        except ProviderError as exc:
            found = None
            if exc.status is None and not exc.fatal:  # no answer: it may have been created
                known = {b.remote_id for b in self.ledger.of(self.name) if b.remote_id}
                found = await self._quietly(
                    self.api.find(info.label, info.prepared_at, len(reqs), known)
                )
            if found is None:
                self.ledger.write("abandoned", info, reason=str(exc)[:300])
                self._fail(live, exc)
                return
            status = found
        self.ledger.write("submitted", info, remote_id=status.remote_id, state=status.state)
        await self._finish(live, status)

    async def _watch(self, live: Live) -> None:
        """A batch of the ledger: find it if its submission went unrecorded, then follow it."""
        assert self.api is not None
        info = live.info
        try:
            if info.remote_id is None:
                known = {b.remote_id for b in self.ledger.of(self.name) if b.remote_id}
                status = await self.api.find(
                    info.label, info.prepared_at, len(info.requests), known
                )
                if status is None:
                    self.ledger.write("abandoned", info, reason="the API has no such batch")
                    self._settle(live, status=None, outcomes=[])
                    return
                self.ledger.write("submitted", info, remote_id=status.remote_id, state=status.state)
            else:
                status = await self.api.poll(info.remote_id)
        except ProviderError as exc:
            self._fail(live, exc)
            return
        await self._finish(live, status)

    async def _finish(self, live: Live, status: BatchStatus) -> None:
        """Poll until the batch ends, read its results, answer its calls."""
        assert self.api is not None
        info, wait = live.info, self.settings.poll_initial
        try:
            self._seen(info, status)
            while status.ending is None:
                await anyio.sleep(wait)
                wait = min(wait * 1.5, self.settings.poll_max)
                polled = await self._quietly(self.api.poll(status.remote_id))
                if polled is not None:
                    status = polled
                    self._seen(info, status)
            outcomes = await self.api.results(status, [r.custom_id for r in info.requests])
        except ProviderError as exc:
            self._fail(live, exc)
            return
        self._settle(live, status, outcomes)

    async def _quietly(self, work: Awaitable[BatchStatus | None]) -> BatchStatus | None:
        """A status call whose failure is not the batch's: the next poll tries again."""
        try:
            return await work
        except ProviderError as exc:
            if exc.fatal:
                raise
            self.stats.note(f"{self.name}: a batch status call failed ({exc.error_class})")
            return None

    def _seen(self, info: BatchInfo, status: BatchStatus) -> None:
        if status.state != info.state or dict(status.counts) != info.counts:
            self.ledger.write("state", info, state=status.state, counts=dict(status.counts))

    def _settle(self, live: Live, status: BatchStatus | None, outcomes: list[Outcome]) -> None:
        info = live.info
        by_id = {o.custom_id: o for o in outcomes}
        ids = [r.custom_id for r in info.requests]
        failed = [c for c in ids if c in by_id and by_id[c].error is not None]
        again = [c for c in ids if c not in by_id or by_id[c].again]
        if status is not None and info.ending is None:
            self.ledger.write(
                "ended",
                info,
                state=status.state,
                ending=status.ending,
                counts=dict(status.counts),
                failed=failed,
                again=again,
            )
        live.answers = {c: o.body for c, o in by_id.items() if o.body is not None}
        live.settled = True
        for cid, calls in live.waiters.items():
            got = by_id.get(cid)
            for call in calls:
                if got is not None and got.body is not None:
                    live.answers.pop(cid, None)
                    try:
                        call.future.set(self._answer(got.body, call))
                    except ProviderError as exc:
                        call.future.fail(exc)
                elif got is not None and got.error is not None:
                    self.stats.errors += 1
                    call.future.fail(got.error)
                else:
                    call.future.set(None)  # not run: sent again
        live.waiters.clear()

    def _fail(self, live: Live, exc: ProviderError) -> None:
        """The batch could not be sent, polled or read: its waiting calls fail (recorded,
        sent again on resume); a later call of this run that finds it in the ledger follows
        it anew, so an answer the API still holds is not bought twice."""
        self.live.pop(live.info.local_id, None)
        for calls in live.waiters.values():
            for call in calls:
                self.stats.errors += 1
                call.future.fail(exc)
        live.waiters.clear()

    def _answer(self, body: Any, call: Call) -> ChatResponse:
        model = call.entry.model
        try:
            resp = self.inner.wire.parse(body)
        except EmptyReply as exc:
            raise ProviderError(
                "empty", f"{self.name}: a batch answer with nothing in it ({exc})"
            ) from None
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ProviderError(
                "malformed", f"{self.name}: unreadable batch answer ({type(exc).__name__})"
            ) from None
        cost = batch_cost(self.inner.config, model, resp.usage)
        self.stats.record_usage(model, resp.usage, cost)
        self.stats.completed += 1
        return completed(resp, cost, call.plan.record, None)

    # ---- the view --------------------------------------------------------------------
    def open_batches(self) -> list[BatchInfo]:
        return [b for b in self.ledger.of(self.name) if b.open]
