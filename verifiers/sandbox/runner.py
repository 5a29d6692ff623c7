"""Parent side of one pool slot: its sandboxed zygote, and running one program in it.

A run blocks the calling thread and never raises on anything the program does; a
sandbox that cannot start or dies is reported in `RunResult.error`. The slot lives as
long as its pool: one bubblewrap sandbox (in the slot's cgroup, where there is one)
with a warm zygote inside, replaced whenever it dies or gets out of step.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from verifiers.sandbox.cgroup import SlotGroup, wrap_into
from verifiers.sandbox.layout import (
    CHILD_ENV,
    Level,
    View,
    boot_frame,
    bwrap_argv,
    zygote_argv,
)
from verifiers.sandbox.outcome import Limits, Mode, RunResult, TestOutcome

# Seconds allowed for a sandbox to start, for a run to start, for each test's bookkeeping.
READY_S = 30.0
RESYNC_S = 10.0  # for a finished job's supervisor to go
START_SLACK_S = 10.0
PER_TEST_SLACK_S = 2.0
# Processes of the slot besides the program: bwrap, its PID 1, zygote, supervisor, harness.
SLOT_TASKS = 5
MAX_LINE = 64 << 20


class _Deadline(Exception):
    pass


class _Gone(Exception):
    pass


@dataclass(frozen=True)
class SlotConfig:
    """How a slot's sandbox is built: level, tools, view, identity and limits."""

    level: Level
    view: View
    bwrap: str | None = None  # required unless level is "none"
    uid: int | None = None  # the program's uid (level "root")
    cgroup: SlotGroup | None = None
    seccomp: bytes | None = None


def frame(kind: bytes, payload: bytes) -> bytes:
    return kind + b"%08x" % len(payload) + payload


def _outcome(msg: dict[str, Any]) -> TestOutcome:
    return TestOutcome(
        index=int(msg["i"]),
        status=msg["status"],
        wall_s=float(msg.get("wall", 0.0)),
        stdout=msg.get("stdout"),
        result=msg.get("result"),
        stderr=str(msg.get("stderr", "")),
        detail=str(msg.get("detail", "")),
        limit=msg.get("limit"),
        cpu_s=float(msg.get("cpu", 0.0)),
    )


class Slot:
    """One sandbox slot. Not thread-safe: the pool hands it to one thread at a time."""

    def __init__(self, config: SlotConfig) -> None:
        self.config = config
        self._proc: subprocess.Popen[bytes] | None = None
        self._buf = bytearray()
        self._baseline = 0  # cgroup memory of the idle sandbox
        # A job that said "done" but whose "end" (its supervisor and PID 1 gone, its
        # namespaces torn down) is not read yet: read before the next job, off the
        # caller's round trip. Every process of the program is already dead by "done".
        self._pending: str | None = None

    @property
    def pid(self) -> int | None:
        """The host pid of the slot's outermost process while it runs."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def close(self) -> None:
        """Kill the sandbox and everything in it (its process group; bwrap's own PID
        namespace ends with it)."""
        if self._proc is not None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self._proc.wait()
            for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
                if stream is not None:
                    stream.close()
        self._proc = None
        self._pending = None
        self._buf.clear()

    def wait_idle(self) -> None:
        """Block until the last job has fully ended (its namespaces gone)."""
        if self._pending is None or self._proc is None:
            return
        try:
            for line in self._lines(time.monotonic() + RESYNC_S):
                msg = json.loads(line)
                if isinstance(msg, dict) and msg == {"n": self._pending, "event": "end"}:
                    self._pending = None
                    return
                raise ValueError("a line after the end of a job")
        except (_Deadline, _Gone, ValueError):
            self.close()

    def _argv(self) -> list[str]:
        cfg = self.config
        if cfg.level == "none":
            return zygote_argv(cfg.view)
        assert cfg.bwrap is not None
        argv = bwrap_argv(cfg.bwrap, cfg.view, cfg.level)
        return wrap_into(cfg.cgroup, argv) if cfg.cgroup is not None else argv

    def start(self) -> str | None:
        """Start the sandbox if it is not running; None, or why it could not start."""
        if self._proc is not None and self._proc.poll() is None:
            return None
        self.close()
        try:
            self._proc = subprocess.Popen(
                self._argv(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=CHILD_ENV,
                cwd="/",
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            return f"cannot start {self._argv()[0]}: {exc.strerror or exc}"
        try:
            self._send(boot_frame())
        except OSError:
            pass  # it died at once: the reason is on its stderr, read below
        try:
            for line in self._lines(time.monotonic() + READY_S):
                if json.loads(line).get("event") == "ready":
                    break
        except (_Deadline, _Gone, ValueError):
            why = self._stderr_text() or "the sandbox did not start"
            self.close()
            return why
        assert self._proc.stderr is not None
        self._proc.stderr.close()  # the zygote sends its fd 2 to /dev/null once ready
        if self.config.cgroup is not None:
            self._baseline = self.config.cgroup.usage()
        return None

    def _stderr_text(self) -> str:
        assert self._proc is not None and self._proc.stderr is not None
        fd = self._proc.stderr.fileno()
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        data = b""
        while select.select([fd], [], [], 0)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            data += chunk
        return data.decode(errors="replace").strip()[-500:]

    def _lines(self, deadline: float) -> Iterator[bytes]:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while True:
            cut = self._buf.find(b"\n")
            if cut >= 0:
                line = bytes(self._buf[:cut])
                del self._buf[: cut + 1]
                yield line
                continue
            if len(self._buf) > MAX_LINE:
                raise ValueError("a line from the sandbox is too long")
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Deadline
            if select.select([fd], [], [], left)[0]:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise _Gone
                self._buf += chunk

    def _send(self, data: bytes) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(data)
        self._proc.stdin.flush()

    def _job(
        self, code: str, inputs: Sequence[str], mode: Mode, func_name: str | None, lim: Limits
    ) -> dict[str, Any]:
        cfg = self.config
        nproc: int | None = lim.nproc
        if cfg.level == "userns":
            nproc = lim.nproc + SLOT_TASKS  # counted per user namespace, the slot's included
        elif cfg.level == "none":
            nproc = None  # it would count every process of the caller's uid
        return {
            "code": code,
            "mode": mode,
            "func_name": func_name,
            "inputs": list(inputs),
            "timeout_s": lim.wall_s if lim.wall_s is not None else lim.timeout_s,
            "cpu_s": max(1, int(lim.timeout_s + 0.999)),
            "memory_bytes": lim.memory_mb << 20,
            "max_output": lim.max_output_bytes,
            "fsize_bytes": lim.fsize_bytes,
            "nofile": lim.nofile,
            "nproc": nproc,
            "tmpfs_bytes": lim.tmpfs_mb << 20,
            "tmpfs_inodes": lim.tmpfs_inodes,
            "level": cfg.level,
            "uid": cfg.uid,
            "seccomp": cfg.seccomp.hex() if cfg.seccomp else None,
            "sys_path": list(cfg.view.sys_path),
            "workdir": "/work",
            "stop_on_error": lim.stop_on_error,
        }

    def run(
        self,
        code: str,
        inputs: Sequence[str],
        *,
        mode: Mode,
        func_name: str | None,
        limits: Limits,
        check: Callable[[TestOutcome], bool] | None,
    ) -> RunResult:
        started = time.monotonic()
        self.wait_idle()
        why = self.start()
        if why is not None:
            return RunResult((), error=f"sandbox failed to start: {why}")
        job = self._job(code, inputs, mode, func_name, limits)
        workdir = None
        if self.config.level == "none":  # no private tmpfs: a host folder, removed after
            workdir = tempfile.mkdtemp(prefix="judgeflow-sandbox-")
            job["workdir"] = workdir
        group = self.config.cgroup
        oom = 0
        if group is not None:
            group.set_limits(self._baseline + job["memory_bytes"], limits.nproc + SLOT_TASKS)
            oom = group.oom_kills()
        nonce = os.urandom(8).hex()
        job["nonce"] = nonce
        per_test = max(job["timeout_s"], job["cpu_s"]) + PER_TEST_SLACK_S
        deadline = started + START_SLACK_S + len(inputs) * per_test
        try:
            return self._exchange(job, nonce, deadline, check, oom, started)
        finally:
            if workdir is not None:
                shutil.rmtree(workdir, ignore_errors=True)

    def _exchange(
        self,
        job: dict[str, Any],
        nonce: str,
        deadline: float,
        check: Callable[[TestOutcome], bool] | None,
        oom: int,
        started: float,
    ) -> RunResult:
        outcomes: list[TestOutcome] = []
        n = len(job["inputs"])
        error: str | None = None
        stopped = False
        group = self.config.cgroup
        try:
            self._send(frame(b"J", json.dumps(job).encode()))
            for line in self._lines(deadline):
                msg = json.loads(line)
                if not isinstance(msg, dict) or msg.get("n") != nonce:
                    raise ValueError("a line that is not the harness's")
                if msg.get("event") == "end":
                    break
                if msg.get("event") == "done":
                    self._pending = nonce
                    break
                if "error" in msg:
                    error = str(msg["error"])
                elif "i" in msg and msg.get("status") == "setup_error":
                    error = f"sandbox setup failed: {msg.get('detail')}"  # fail closed
                elif "i" in msg:
                    out = _outcome(msg)
                    if group is not None and out.status == "killed":
                        if (now := group.oom_kills()) > oom:
                            oom = now
                            out = _memory_kill(out, job["memory_bytes"])
                    outcomes.append(out)
                    go = check(out) if check is not None else True
                    stopped = stopped or not go
                    if out.index + 1 < n:  # the harness waits for our word
                        go = go and (out.status == "ok" or not job["stop_on_error"])
                        self._send(frame(b"C", nonce.encode() + (b"g" if go else b"s")))
        except _Deadline:
            self.close()
            error = "sandbox exceeded its overall deadline"
        except (_Gone, OSError) as exc:
            if group is not None and group.oom_kills() > oom:
                # The kernel's memory cap took the whole job down: the program's fault.
                outcomes.append(TestOutcome(len(outcomes), "memory_limit", 0.0, limit="memory"))
            else:
                error = f"sandbox failed: {type(exc).__name__} {exc}".strip()
            self.close()
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            self.close()
            return RunResult(
                tuple(outcomes),
                error=None,
                stopped_early=True,
                wall_s=time.monotonic() - started,
                tampered=f"the result channel carried something else: {exc}",
            )
        return RunResult(tuple(outcomes), (), error, stopped, time.monotonic() - started)


def _memory_kill(out: TestOutcome, memory_bytes: int) -> TestOutcome:
    return TestOutcome(
        out.index,
        "memory_limit",
        out.wall_s,
        stderr=out.stderr,
        detail=f"{memory_bytes >> 20} MB, killed by the kernel's cgroup limit",
        limit="memory",
        cpu_s=out.cpu_s,
    )
