"""Parent side of sandboxed runs: a handle on one warm zygote child, and `run_in_sandbox`.

A run blocks the calling thread. It never raises on anything the program does; a
sandbox that cannot start or dies is reported in `RunResult.error`.
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
from pathlib import Path
from typing import Any

from verifiers.sandbox.outcome import DEFAULT_LIMITS, Limits, Mode, RunResult, TestOutcome
from verifiers.sandbox.probe import Capabilities, capabilities

ZYGOTE = Path(__file__).with_name("zygote.py")
# Nothing is inherited from our environment: no API keys can leak into a program.
CHILD_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}
# Seconds allowed for a run to start, for each test's bookkeeping, and for a zygote to
# finish an aborted run before it is replaced.
START_SLACK_S = 10.0
PER_TEST_SLACK_S = 2.0
RESYNC_S = 5.0


class _Deadline(Exception):
    pass


class _Gone(Exception):
    pass


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
    code: str, inputs: Sequence[str], mode: Mode, func_name: str | None, limits: Limits
) -> dict[str, Any]:
    return {
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
        "lib_paths": list(_lib_paths()),
        "stop_on_error": limits.stop_on_error,
    }


def _outcome(msg: dict[str, Any]) -> TestOutcome:
    return TestOutcome(
        index=int(msg["i"]),
        status=msg["status"],
        wall_s=float(msg.get("wall", 0.0)),
        stdout=msg.get("stdout"),
        result=msg.get("result"),
        stderr=msg.get("stderr", ""),
        detail=msg.get("detail", ""),
    )


class Zygote:
    """The parent's handle on one zygote child (see zygote.py).

    Not thread-safe: a pool slot owns one and uses it from one thread at a time. The
    child is started on first use and replaced whenever it dies or gets out of step.
    """

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._buf = bytearray()
        self._pending: bytes | None = None  # nonce of a job whose end line is unread

    @property
    def pid(self) -> int | None:
        """The zygote child's pid while one is running."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def close(self) -> None:
        """Kill the zygote and whatever runs under it (its process group)."""
        if self._proc is not None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self._proc.wait()
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream is not None:
                    stream.close()
        self._proc, self._pending = None, None
        self._buf.clear()

    def _started(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self.close()
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-S", str(ZYGOTE)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=CHILD_ENV,
                cwd="/",
                start_new_session=True,
                close_fds=True,
            )
        return self._proc

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
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Deadline
            if select.select([fd], [], [], left)[0]:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise _Gone
                self._buf += chunk

    def _finish_previous(self) -> None:
        """Skip what is left of the previous job, up to its end line (or replace the zygote)."""
        if self._pending is None:
            return
        try:
            for line in self._lines(time.monotonic() + RESYNC_S):
                if self._pending in line and b'"end"' in line:
                    self._pending = None
                    return
        except (_Deadline, _Gone):
            self.close()

    def run(
        self, job: dict[str, Any], deadline: float, check: Callable[[TestOutcome], bool] | None
    ) -> tuple[list[TestOutcome], list[str], str | None, bool]:
        """Run one job; returns (outcomes, notes, error, stopped early)."""
        self._finish_previous()
        proc = self._started()
        nonce = os.urandom(8).hex()
        payload = json.dumps({**job, "nonce": nonce}).encode()
        outcomes: list[TestOutcome] = []
        notes: list[str] = []
        try:
            assert proc.stdin is not None
            proc.stdin.write(b"%016d" % len(payload) + payload)
            proc.stdin.flush()
        except OSError as exc:
            self.close()
            return outcomes, notes, f"sandbox failed to start: {exc}", False
        self._pending = nonce.encode()
        supervisor: int | None = None
        try:
            for line in self._lines(deadline):
                msg = json.loads(line)
                event = msg.get("event")
                if event == "started":
                    supervisor = int(msg["pid"])
                    notes.extend(msg.get("notes", []))
                elif event == "done":
                    return outcomes, notes, None, False
                elif event == "end":
                    self._pending = None
                    return outcomes, notes, "sandbox ended without a result", False
                elif "error" in msg:
                    notes.append(str(msg["error"]))
                elif "i" in msg:
                    outcomes.append(_outcome(msg))
                    if check is not None and not check(outcomes[-1]):
                        self._abort(supervisor)
                        return outcomes, notes, None, True
        except _Deadline:
            self._abort(supervisor)
            return outcomes, notes, "sandbox exceeded its overall deadline", False
        except (_Gone, ValueError, KeyError) as exc:
            self.close()
            return outcomes, notes, f"sandbox failed: {type(exc).__name__} {exc}".strip(), False
        raise AssertionError("unreachable")

    def _abort(self, supervisor: int | None) -> None:
        """Stop the current program: its supervisor's death ends its whole namespace."""
        if supervisor is None:
            self.close()
            return
        try:
            os.kill(supervisor, signal.SIGKILL)
        except OSError:
            pass

    def wait_idle(self) -> None:
        """Block until the last job has fully ended (all its processes gone)."""
        self._finish_previous()


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
    zygote: Zygote | None = None,
) -> RunResult:
    """Run `code` on each input in one sandbox; stop early when `check` returns False.

    `caps` defaults to what this machine allows (`capabilities()`); passing fewer
    exercises the fallback path. Without a `zygote` a temporary one is started.
    Use the pool (`verifiers.sandbox.run_program`) rather than this directly: the pool
    caps parallel programs at the core count, keeps zygotes warm and gives each slot
    its own uid.
    """
    caps = caps or capabilities()
    started = time.monotonic()
    job = _job(code, inputs, mode, func_name, limits)
    job["uid"] = uid if caps.drop_uid else None
    job["pid_namespace"] = caps.namespaces
    # Without namespaces the program works in a host folder we remove afterwards.
    workdir = None if caps.namespaces else tempfile.mkdtemp(prefix="judgeflow-sandbox-")
    job["workdir"] = workdir or "/tmp/work"
    own = zygote is None
    z = zygote or Zygote()
    deadline = started + START_SLACK_S + len(inputs) * (limits.timeout_s + PER_TEST_SLACK_S)
    try:
        outcomes, notes, error, stopped = z.run(job, deadline, check)
        if workdir is not None:
            z.wait_idle()  # nothing may still write there when it is removed
    finally:
        if own:
            z.close()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    return RunResult(
        tuple(outcomes),
        (*caps.notes, *notes),
        error,
        stopped,
        time.monotonic() - started,
    )
