"""Child-side zygote: a warm interpreter that forks one supervisor per program.

Started once per pool slot as ``python -I -S zygote.py`` (stdlib only). Starting a fresh
interpreter per program costs ~20 ms of CPU; forking this one costs ~1 ms. The zygote
itself never runs untrusted code. Protocol, on its stdin: a 16-digit length, then that
many bytes of JSON job. Per job, on its stdout: the harness's JSON lines, then
``{"event": "end", "nonce": ...}`` once every process of the job is gone. It exits when
its stdin closes, i.e. when the parent process dies.

Per job: fork a supervisor; the supervisor enters new network, mount and PID namespaces
(`unshare(2)`), makes every mount private to them, and forks PID 1 of the new PID
namespace, which runs `harness.run_job`. PID 1 dies with the supervisor (PDEATHSIG), and
when PID 1 dies the kernel kills every process left in its namespace. The parent aborts a
program by killing its supervisor.
"""

from __future__ import annotations

import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ctypes
import json

import harness

_CLONE_NEWNS, _CLONE_NEWPID, _CLONE_NEWNET = 0x00020000, 0x20000000, 0x40000000
_CLONE_NEWUTS, _CLONE_NEWIPC = 0x04000000, 0x08000000  # hostname, System V IPC: also private
_MS_REC, _MS_PRIVATE = 16384, 1 << 18
_PR_SET_PDEATHSIG, _PR_SET_CHILD_SUBREAPER = 1, 36
_libc = ctypes.CDLL(None, use_errno=True)


def _enter_namespaces() -> str | None:
    """Own network, mount, IPC and UTS namespaces now, own PID namespace for our next child.

    Returns why not, or None. Nothing is mounted unless propagation is private first,
    so no mount can ever leak into the host's namespace.
    """
    flags = _CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWPID | _CLONE_NEWUTS | _CLONE_NEWIPC
    if _libc.unshare(flags) != 0:
        return f"unshare(2) failed: {os.strerror(ctypes.get_errno())}"
    if _libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        return f"making mounts private failed: {os.strerror(ctypes.get_errno())}"
    return None


def _supervise(job: dict) -> None:
    """The forked supervisor of one program; never returns."""
    try:
        notes: list[str] = []
        if job["pid_namespace"] and (why := _enter_namespaces()) is not None:
            # A half-entered namespace is still safe: we only skip the private mounts.
            notes.append(f"no network or PID isolation: {why}")
            job["pid_namespace"] = False
        if not job["pid_namespace"] and job.get("uid") is not None:
            hidden = [p for p in job["lib_paths"] if not _world_readable(p)]
            if hidden:
                notes.append(
                    f"the sandbox uid cannot read {hidden[0]}: only preloaded modules import"
                )
        supervisor = os.getpid()
        pid1 = os.fork()
        if pid1 == 0:
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() not in (supervisor, 0):  # 0: our parent is outside our PID namespace
                os._exit(1)  # the supervisor died before PDEATHSIG was armed
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)  # the job pipe is the zygote's, not ours
            os.close(null)
            try:
                harness.run_job(job, notes, supervisor)
            except BaseException as exc:
                harness.emit({"error": f"harness failed: {type(exc).__name__}: {exc}"})
            os._exit(0)
        os.waitpid(pid1, 0)
    finally:
        os._exit(0)


def _read_exact(n: int) -> bytes:
    data = bytearray()
    while len(data) < n:
        chunk = os.read(0, n - len(data))
        if not chunk:
            return b""
        data += chunk
    return bytes(data)


def _reap() -> None:
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


# Without a mount namespace the sandbox uid imports straight from the interpreter's own
# folders; where it cannot read them (e.g. Python under /root) programs get only what is
# already imported here, so import what solutions commonly use (~40 ms, once).
_FALLBACK_PRELOAD = (
    "array base64 cmath copy dataclasses datetime decimal enum fnmatch fractions glob "
    "hashlib io numbers operator pprint queue random statistics struct textwrap "
    "threading traceback unicodedata"
).split()


def _world_readable(path: str) -> bool:
    """Can any uid list `path`? Every ancestor must be searchable by others."""
    parts = os.path.abspath(path).split(os.sep)
    for n in range(1, len(parts) + 1):
        mode = os.stat(os.sep.join(parts[:n]) or os.sep).st_mode
        if not mode & 0o001:
            return False
    return bool(os.stat(path).st_mode & 0o004)


def _preload_if_unreadable() -> None:
    stdlib = os.path.dirname(os.__file__)
    if not _world_readable(stdlib):
        for name in _FALLBACK_PRELOAD:
            try:
                __import__(name)
            except ImportError:
                pass


def serve() -> None:
    # Orphans of a program run without namespaces become our children, so we reap them.
    _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    preloaded = False
    while True:
        header = _read_exact(16)
        if not header:
            return  # the parent is gone
        job = json.loads(_read_exact(int(header)))
        namespaced = job["pid_namespace"]
        if not namespaced and job.get("uid") is not None and not preloaded:
            _preload_if_unreadable()  # once, here, so every later fork has them
            preloaded = True
        pid = os.fork()
        if pid == 0:
            _supervise(job)
        os.waitpid(pid, 0)
        if not namespaced and job.get("uid") is not None:
            harness.kill_uid(job["uid"])  # nothing of an aborted program may linger
        _reap()
        harness.emit({"event": "end", "nonce": job["nonce"]})


if __name__ == "__main__":
    serve()
