"""In-sandbox zygote: a warm interpreter that forks one supervisor per program (stdlib only).

Started once per pool slot, inside the slot's bubblewrap sandbox (or, with isolation
"none", as a plain child), as ``python -I -S -c BOOT``; the runner hands this file and
harness.py over as text, so nothing of the project's folders is visible inside. Starting
an interpreter per program costs ~20 ms of CPU; forking this one costs ~1 ms.

Protocol on fd 0: frames (kind byte, 8 hex digits of length, payload); kind ``J`` is a
job (JSON), kind ``C`` a go/stop for the harness of the running job, which reads it
itself (a stale one is skipped). On fd 1: the harness's JSON lines, then
``{"n": nonce, "event": "end"}`` once every process of the job is gone. The zygote exits
when fd 0 reaches end of file, i.e. when the parent closes it or dies.

Per job: fork a supervisor; the supervisor enters new mount, PID and IPC namespaces and
makes its mounts private, then forks PID 1 of the new PID namespace, which runs
`harness.run_job`. PID 1 dies with the supervisor (PDEATHSIG), and when PID 1 dies the
kernel kills every process left in its namespace and the mount namespace (with its
tmpfs) goes away.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
from typing import Any

import harness  # type: ignore[import-not-found]  # loaded by the runner's bootstrap

_CLONE_NEWNS, _CLONE_NEWPID, _CLONE_NEWIPC = 0x00020000, 0x20000000, 0x08000000
_MS_REC, _MS_PRIVATE = 16384, 1 << 18
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE = 1, 4
_libc = ctypes.CDLL(None, use_errno=True)


def _enter_namespaces() -> None:
    if _libc.unshare(_CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWIPC) != 0:
        raise OSError(ctypes.get_errno(), "unshare(2)")
    if _libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "making mounts private")


def _supervise(job: dict[str, Any]) -> None:
    """The forked supervisor of one program; never returns."""
    try:
        if job["level"] != "none":
            try:
                _enter_namespaces()
            except OSError as exc:
                harness.emit({"n": job["nonce"], "error": f"sandbox setup failed: {exc}"})
                return
        supervisor = os.getpid()
        pid1 = os.fork()
        if pid1 == 0:
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() not in (supervisor, 0):  # 0: our parent is outside our namespace
                os._exit(1)  # the supervisor died before PDEATHSIG was armed
            try:
                harness.run_job(job)
            except BaseException as exc:
                harness.emit({"n": job["nonce"], "error": f"harness failed: {exc!r}"})
            os._exit(0)
        os.waitpid(pid1, 0)
    finally:
        os._exit(0)


def _reap() -> None:
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


def serve() -> None:
    _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    os.environ.pop("PWD", None)  # bwrap's --chdir sets it; programs get CHILD_ENV only
    harness.emit({"event": "ready"})
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)  # nobody reads our stderr once we are up; a full pipe must not block us
    os.close(null)
    while True:
        frame = harness.read_frame(0)
        if frame is None:
            return  # the parent is gone
        kind, payload = frame
        if kind != b"J":
            continue  # a go/stop that arrived after its job ended
        job = json.loads(payload)
        pid = os.fork()
        if pid == 0:
            _supervise(job)
        os.waitpid(pid, 0)
        _reap()
        harness.emit({"n": job["nonce"], "event": "end"})
