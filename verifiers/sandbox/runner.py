"""Parent side of one sandboxed run: start the harness, feed it the job, read results.

`run_in_sandbox` blocks the calling thread. It never raises on anything the program
does; a sandbox that cannot start or dies is reported in `RunResult.error`.
"""

from __future__ import annotations

import functools
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from verifiers.sandbox.probe import Capabilities, capabilities

HARNESS = Path(__file__).with_name("harness.py")
# Nothing is inherited from our environment: no API keys can leak into a program.
CHILD_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}
# Seconds allowed for the harness to start and for each test's bookkeeping.
START_SLACK_S = 10.0
PER_TEST_SLACK_S = 2.0

Mode = Literal["stdin", "functional"]
Status = Literal["ok", "runtime_error", "timeout", "killed", "output_limit"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-program resource limits; every test of a program gets them afresh."""

    timeout_s: float = 6.0  # wall clock per test; CPU time is capped at the same
    memory_mb: int = 2048  # address space (RLIMIT_AS)
    max_output_bytes: int = 8 << 20
    fsize_bytes: int = 16 << 20
    nofile: int = 64
    nproc: int = 64  # processes + threads of the program's uid
    stop_on_error: bool = True


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """What one test run produced; `stdout`/`result` are set only when status is ok."""

    __test__ = False  # not a pytest class, despite the name

    index: int
    status: Status
    wall_s: float
    stdout: str | None = None
    result: str | None = None  # functional tests: the return value as JSON text
    stderr: str = ""
    detail: str = ""

    def describe(self) -> str:
        """A short human reason for a non-ok status."""
        if self.status == "runtime_error":
            tail = [ln for ln in self.stderr.strip().splitlines() if ln.strip()]
            last = tail[-1].strip() if tail else self.detail
            if last.startswith("MemoryError"):
                return "memory limit exceeded (MemoryError)"
            return f"runtime error: {last[:300]}"
        if self.status == "timeout":
            return f"timeout ({self.detail or f'wall clock {self.wall_s:.1f} s'})"
        if self.status == "output_limit":
            return "output limit exceeded"
        if self.status == "killed":
            return f"killed ({self.detail})"
        return self.status


@dataclass(frozen=True, slots=True)
class RunResult:
    outcomes: tuple[TestOutcome, ...]
    notes: tuple[str, ...] = ()  # isolation that was not available
    error: str | None = None  # the sandbox itself failed: nothing can be concluded
    stopped_early: bool = False
    wall_s: float = 0.0


@functools.cache
def _lib_paths() -> tuple[str, ...]:
    """Where programs import from: the standard library, then site-packages (added
    directly rather than by running `site`, which costs ~10 ms per start)."""
    paths = sysconfig.get_paths()
    stdlib = paths["stdlib"]
    found = [stdlib, paths["platstdlib"], os.path.join(stdlib, "lib-dynload")]
    found += [paths["purelib"], paths["platlib"]]
    return tuple(dict.fromkeys(p for p in found if os.path.isdir(p)))


def _job(
    code: str,
    inputs: Sequence[str],
    mode: Mode,
    func_name: str | None,
    limits: Limits,
    uid: int | None,
    namespaced: bool,
    workdir: str,
) -> bytes:
    return json.dumps(
        {
            "code": code,
            "mode": mode,
            "func_name": func_name,
            "inputs": list(inputs),
            "timeout_s": limits.timeout_s,
            "cpu_s": max(1, int(limits.timeout_s + 0.999)),
            "memory_bytes": limits.memory_mb << 20,
            "max_output": limits.max_output_bytes,
            "fsize_bytes": limits.fsize_bytes,
            "nofile": limits.nofile,
            "nproc": limits.nproc,
            "uid": uid,
            "pid_namespace": namespaced,
            "workdir": workdir,
            "lib_paths": list(_lib_paths()),
            "stop_on_error": limits.stop_on_error,
        }
    ).encode()


def _outcome(msg: dict) -> TestOutcome:
    return TestOutcome(
        index=int(msg["i"]),
        status=msg["status"],
        wall_s=float(msg.get("wall", 0.0)),
        stdout=msg.get("stdout"),
        result=msg.get("result"),
        stderr=msg.get("stderr", ""),
        detail=msg.get("detail", ""),
    )


def run_in_sandbox(
    code: str,
    inputs: Sequence[str],
    *,
    mode: Mode = "stdin",
    func_name: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    uid: int | None = None,
    check: Callable[[TestOutcome], bool] | None = None,
    caps: Capabilities | None = None,
) -> RunResult:
    """Run `code` on each input in one sandbox; stop early when `check` returns False.

    `caps` defaults to what this machine allows (`capabilities()`); passing fewer
    exercises the fallback path.

    Use the pool (`verifiers.sandbox.run_program`) rather than this directly: the pool
    caps parallel programs at the core count and gives each slot its own uid.
    """
    caps = caps or capabilities()
    notes = list(caps.notes)
    started = time.monotonic()
    workdir = "/tmp/work"
    cleanup: str | None = None
    if not caps.namespaces:
        workdir = cleanup = tempfile.mkdtemp(prefix="judgeflow-sandbox-")
    job = _job(
        code,
        inputs,
        mode,
        func_name,
        limits,
        uid if caps.drop_uid else None,
        caps.namespaces,
        workdir,
    )
    cmd = [*caps.namespace_prefix, sys.executable, "-I", "-S", str(HARNESS)]
    outcomes: list[TestOutcome] = []
    error: str | None = None
    stopped = False
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=CHILD_ENV,
            cwd="/",
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)
        return RunResult((), tuple(notes), f"sandbox failed to start: {exc}")
    deadline = started + START_SLACK_S + len(inputs) * (limits.timeout_s + PER_TEST_SLACK_S)
    try:
        try:
            assert proc.stdin is not None
            proc.stdin.write(job)
            proc.stdin.close()
        except BrokenPipeError:
            pass  # the harness died at once; reported below as a missing result
        done = False
        harness_err = bytearray()
        for msg in _messages(proc, deadline, harness_err):
            if msg.get("event") == "ready":
                notes.extend(msg.get("notes", []))
            elif msg.get("event") == "done":
                done = True
                break  # no need to wait for the namespace to wind down: we kill it
            elif "i" in msg:
                outcome = _outcome(msg)
                outcomes.append(outcome)
                if check is not None and not check(outcome):
                    stopped = True
                    break
            elif "error" in msg:
                error = str(msg["error"])
        if not (done or stopped or error):
            error = "sandbox ended without a result" + _tail(harness_err)
    finally:
        _terminate(proc)
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)
    return RunResult(tuple(outcomes), tuple(notes), error, stopped, time.monotonic() - started)


def _messages(
    proc: subprocess.Popen[bytes], deadline: float, err_tail: bytearray
) -> Iterator[dict[str, Any]]:
    """JSON lines from the harness until EOF or the overall deadline (stderr kept in err_tail)."""
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.fileno(), proc.stderr.fileno()
    pending = bytearray()
    fds = [out, err]
    while out in fds:
        left = deadline - time.monotonic()
        if left <= 0:
            yield {"error": "sandbox exceeded its overall deadline"}
            return
        ready, _, _ = select.select(fds, [], [], left)
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                fds.remove(fd)
                continue
            if fd == err:
                err_tail += chunk
                del err_tail[:-2000]
                continue
            pending += chunk
            while (cut := pending.find(b"\n")) >= 0:
                line, pending[:] = bytes(pending[:cut]), pending[cut + 1 :]
                yield json.loads(line)


def _tail(err: bytearray) -> str:
    tail = bytes(err).decode(errors="replace").strip()
    return f": {tail.splitlines()[-1][:300]}" if tail else ""


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    """Kill the harness's whole group; with a PID namespace that ends every process inside."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
