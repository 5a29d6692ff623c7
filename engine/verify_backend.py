"""Where the verify stage's checks run: this process, or the workers of a Ray cluster.

`LocalBackend` runs every verifier in this process's worker threads (the code sandbox and
sympy start their own children underneath), at most `workers` at once. `RayBackend` sends
the CPU-bound checks (`verifiers.registry.HEAVY_TASKS`: code in the sandbox, sympy) to a
Ray cluster as tasks; each worker runs `verifiers.remote.check`, the same verifier with the
same sandbox and limits, so a verdict does not depend on where it was reached. The light
verifiers stay local. Ray is the distributed engine here (extra `ray`); we only send it
tasks:

* back-pressure: at most `max_in_flight` tasks are out at once; the verify stage waits
  for a free place, and so the stages before it wait on the verify stage's streams;
* a lost worker: Ray sends the task again (`retries` times); only when every attempt was
  lost does the check fail, and a failed check is an unverifiable answer (the stage's
  "verifier error"), never a wrong one;
* at start, one task per node reports what it runs: a node with other verifiers' source
  (`verifiers.remote.fingerprint`) or without a sandbox is refused, with its name.

A question is put in Ray's object store once for its k answers (a LiveCodeBench question
with private tests can be megabytes); the last few hundred are kept.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

import anyio

from engine.jobspec import Job, VerifySpec
from verifiers import remote
from verifiers.base import Question, Verdict
from verifiers.registry import HEAVY_TASKS, verifier_for
from verifiers.sandbox import Isolation

QUESTIONS_KEPT = 256
PROBE_TIMEOUT_S = 180.0
TASK_NAME = "judgeflow.verify"  # the worker's process title while it runs one: ray::<name>


class BackendError(Exception):
    """The backend cannot start (no cluster, no `ray` extra, a mismatched worker)."""


class Backend(Protocol):
    workers: int  # verify-stage workers that keep this backend busy

    async def check(self, question: Question, answer: str) -> Verdict: ...

    def describe(self) -> str: ...


class LocalBackend:
    """Every check in this process's worker threads, `workers` at a time."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._limiter = anyio.CapacityLimiter(workers)

    async def check(self, question: Question, answer: str) -> Verdict:
        verify = verifier_for(question.task)
        return await anyio.to_thread.run_sync(verify, question, answer, limiter=self._limiter)

    def describe(self) -> str:
        return f"local, {self.workers} at a time"


class _Put:
    """A question on its way into the object store (its k answers wait for one put)."""

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.ref: Any = None
        self.error: BaseException | None = None


class RayBackend:
    """Heavy checks as Ray tasks; everything else through `local`."""

    def __init__(
        self,
        spec: VerifySpec,
        isolation: Isolation,
        local: LocalBackend,
        workers: int | None = None,
    ) -> None:
        self.spec, self.isolation, self.local = spec, isolation, local
        self._workers = workers  # the job's `concurrency.verify`, if it set one
        self.workers = workers or local.workers
        self.in_flight = 0
        self.by_host: Counter[str] = Counter()  # checks answered, per worker host
        self.last_worker: tuple[str, int] | None = None  # (host, pid) of the latest answer
        self.nodes: list[remote.WorkerInfo] = []
        self._ray: Any = None
        self._task: Any = None
        self._owns_ray = False
        self._slots: anyio.CapacityLimiter | None = None
        self._questions: OrderedDict[str, _Put] = OrderedDict()
        self._life: threading.Thread | None = None
        self._ready, self._stop = threading.Event(), threading.Event()
        self._error: BaseException | None = None

    # ------------------------------------------------------------------ start / stop

    async def start(self) -> None:
        # Ray is started and stopped by a thread of its own that lives as long as the
        # backend: the processes a driver starts die with the thread that started them
        # (PR_SET_PDEATHSIG), and anyio's worker threads end when idle.
        self._life = threading.Thread(target=self._run, name="ray-driver", daemon=True)
        self._life.start()
        await anyio.to_thread.run_sync(self._ready.wait)
        if self._error is not None:
            raise self._error
        cpus = int(self._ray.cluster_resources().get("CPU", 1))
        limit = self.spec.max_in_flight or 2 * max(1, cpus)
        self._slots = anyio.CapacityLimiter(limit)
        # Enough questions in the stage to keep every place in flight taken.
        self.workers = self._workers or max(self.local.workers, limit)

    def _run(self) -> None:
        try:
            self._connect()
        except BaseException as exc:
            self._error = exc if isinstance(exc, BackendError) else BackendError(str(exc))
        self._ready.set()
        self._stop.wait()
        if self._owns_ray:
            self._ray.shutdown()
            self._owns_ray = False

    def _connect(self) -> None:
        try:
            import ray
        except ImportError:
            raise BackendError(
                "verify: {backend: ray} needs the `ray` extra: pip install 'judgeflow[ray]'"
            ) from None
        self._ray = ray
        if not ray.is_initialized():
            address = None if self.spec.address == "local" else self.spec.address
            try:
                ray.init(
                    address=address,
                    namespace="judgeflow",
                    include_dashboard=False if address is None else None,
                    log_to_driver=False,
                    logging_level=logging.WARNING,
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise BackendError(
                    f"verify: no Ray cluster at {self.spec.address!r}: {exc}. Start one "
                    "with `ray start --head`, or set verify.address (local starts one "
                    "for this run)"
                ) from None
            self._owns_ray = True
        self._task = ray.remote(num_cpus=1, max_retries=self.spec.retries, retry_exceptions=False)(
            remote.check
        ).options(name=TASK_NAME)
        self.nodes = self._probe()

    def _probe(self) -> list[remote.WorkerInfo]:
        """One task on every node with CPUs: same verifiers, a working sandbox."""
        ray = self._ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        describe = ray.remote(num_cpus=1)(remote.describe)
        nodes = [n for n in ray.nodes() if n.get("Alive") and n["Resources"].get("CPU", 0) > 0]
        refs = [
            describe.options(
                name="judgeflow.probe",
                scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False),
            ).remote(self.isolation)
            for n in nodes
        ]
        try:
            infos: list[remote.WorkerInfo] = ray.get(refs, timeout=PROBE_TIMEOUT_S)
        except Exception as exc:
            raise BackendError(f"verify: Ray workers did not answer: {exc}") from None
        ours = remote.fingerprint()
        for info in infos:
            if info.fingerprint != ours:
                raise BackendError(
                    f"verify: Ray worker on {info.host} runs other verifiers (source "
                    f"{info.fingerprint}, ours {ours}): install this judgeflow there"
                )
            if info.refused:
                raise BackendError(f"verify: Ray worker on {info.host}: {info.sandbox}")
        return infos

    async def close(self) -> None:
        self._questions.clear()
        self._stop.set()
        if self._life is not None:
            await anyio.to_thread.run_sync(self._life.join)

    def describe(self) -> str:
        hosts = sorted({n.host for n in self.nodes})
        sandbox = self.nodes[0].sandbox if self.nodes else "?"
        return (
            f"ray at {self.spec.address}: {len(self.nodes)} node(s) ({', '.join(hosts)}), "
            f"at most {self._slots.total_tokens if self._slots else '?'} tasks in flight; "
            f"workers: {sandbox}"
        )

    # ------------------------------------------------------------------ checks

    async def check(self, question: Question, answer: str) -> Verdict:
        if question.task not in HEAVY_TASKS:
            return await self.local.check(question, answer)
        assert self._slots is not None, "start() first"
        async with self._slots:
            ref = await self._question_ref(question)
            task = self._task.remote(ref, answer, self.isolation)
            self.in_flight += 1
            try:
                checked: remote.Checked = await asyncio.wrap_future(task.future())
            except anyio.get_cancelled_exc_class():
                self._ray.cancel(task)
                raise
            finally:
                self.in_flight -= 1
        self.by_host[checked.host] += 1
        self.last_worker = (checked.host, checked.pid)
        return checked.verdict

    async def _question_ref(self, question: Question) -> Any:
        put = self._questions.get(question.id)
        if put is None:
            put = self._questions[question.id] = _Put()
            while len(self._questions) > QUESTIONS_KEPT:
                self._questions.popitem(last=False)
            try:
                put.ref = await anyio.to_thread.run_sync(self._ray.put, question)
            except BaseException as exc:
                put.error = exc
                self._questions.pop(question.id, None)
                raise
            finally:
                put.done.set()
        else:
            self._questions.move_to_end(question.id)
            await put.done.wait()
        if put.error is not None:
            raise put.error
        return put.ref


@asynccontextmanager
async def open_backend(job: Job, default_workers: int) -> AsyncIterator[Backend]:
    """The job's backend, started; stopped (its cluster left as found) at the end."""
    local = LocalBackend(job.concurrency.verify or default_workers)
    if job.verify.backend == "local":
        yield local
        return
    ray_backend = RayBackend(job.verify, job.sandbox.isolation, local, job.concurrency.verify)
    try:
        await ray_backend.start()
        yield ray_backend
    finally:
        with anyio.CancelScope(shield=True):
            await ray_backend.close()
