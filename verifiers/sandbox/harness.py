"""In-child harness: runs one untrusted program against a list of test inputs.

Imported by `zygote.py` (stdlib only: nothing from the project is importable in the
child). `run_job` runs as PID 1 of a program's own PID, mount and network namespaces
where the machine allows them, and writes one JSON line per test to fd 1.

For every test it forks a grandchild that drops to an unprivileged uid, sets its
rlimits, gets the input on fd 0 (a memfd), a capped pipe on fds 1 and 2 and, for
functional tests, a result pipe on fd 3, and then runs the untrusted code. The
grandchild never sees the expected outputs, and results leave it as JSON text, so
comparison happens in the parent on plain values. After each test every process the
program left behind is killed, so nothing outlives its test.
"""

from __future__ import annotations

# The F401 modules are imported once here so every forked test finds them warm (_PRELUDE).
import bisect  # noqa: F401
import collections  # noqa: F401
import functools  # noqa: F401
import heapq  # noqa: F401
import itertools  # noqa: F401
import json
import math  # noqa: F401
import os
import resource
import select
import signal
import string  # noqa: F401
import sys
import time
import typing  # noqa: F401

# Names LeetCode/AtCoder solutions commonly use without importing them.
_PRELUDE = (
    "from typing import *\n"
    "from collections import *\n"
    "from heapq import *\n"
    "from bisect import *\n"
    "from itertools import *\n"
    "from functools import *\n"
    "from math import *\n"
    "import sys, os, math, heapq, bisect, collections, itertools, functools, string, re\n"
    "from builtins import pow\n"  # math's float-only pow must not shadow pow(b, e, mod)
)
_WRITABLE_DIRS = (b"/tmp", b"/var/tmp", b"/run/lock", b"/dev/shm")
_STDERR_CAP = 8192
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_BIND, _MS_REC = 2, 4, 8, 4096, 16384
_READ = 65536


def emit(obj: dict) -> None:
    view = memoryview((json.dumps(obj) + "\n").encode())
    while view:
        view = view[os.write(1, view) :]


def _private_mounts(job: dict, notes: list[str]) -> None:
    """In our own mount namespace: private tmpfs over the host's world-writable folders,
    and the interpreter's library folders bound under /tmp/.lib, since they may sit
    where the sandbox uid cannot reach (e.g. under /root)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    # Hold the library folders open first: one under /tmp (a virtualenv in a CI clone)
    # is hidden by the private tmpfs below, but stays reachable through its descriptor.
    held = [os.open(path, os.O_PATH | os.O_DIRECTORY) for path in job["lib_paths"]]
    # A /proc of our own PID namespace: the host's processes are not even visible.
    if libc.mount(b"proc", b"/proc", b"proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None) != 0:
        notes.append("could not mount a private /proc")
    for d in _WRITABLE_DIRS:
        if os.path.isdir(d) and libc.mount(b"tmpfs", d, b"tmpfs", 0, b"size=64m,mode=1777") != 0:
            notes.append(f"could not mount a private tmpfs on {d.decode()}")
    job["workdir"] = "/tmp/work"
    os.makedirs(job["workdir"], exist_ok=True)
    mapped = []
    for n, (path, fd) in enumerate(zip(job["lib_paths"], held, strict=True)):
        target = f"/tmp/.lib/{n}"
        os.makedirs(target, mode=0o755, exist_ok=True)
        source = f"/proc/self/fd/{fd}".encode()
        if libc.mount(source, target.encode(), None, _MS_BIND | _MS_REC, None) == 0:
            mapped.append(target)
        else:
            notes.append(f"could not bind {path} for the sandbox uid")
            mapped.append(path)
        os.close(fd)
    _remap_packages(dict(zip(job["lib_paths"], mapped, strict=True)))
    job["lib_paths"] = mapped


def _remap_packages(moves: dict[str, str]) -> None:
    """Point packages imported before the move (encodings, collections...) at the new
    folders, so their lazily imported submodules are found there too."""
    for module in list(sys.modules.values()):
        path = getattr(module, "__path__", None)
        if not isinstance(path, list):
            continue
        for n, entry in enumerate(path):
            for old, new in moves.items():
                if entry == old or entry.startswith(old + os.sep):
                    path[n] = new + entry[len(old) :]
                    break


def _limit_self(job: dict) -> None:
    """rlimits and identity of a grandchild, set before any untrusted code runs."""
    cpu = int(job["cpu_s"])
    limits = {
        resource.RLIMIT_CPU: (cpu, cpu + 1),
        resource.RLIMIT_AS: (job["memory_bytes"],) * 2,
        resource.RLIMIT_FSIZE: (job["fsize_bytes"],) * 2,
        resource.RLIMIT_NOFILE: (job["nofile"],) * 2,
        resource.RLIMIT_NPROC: (job["nproc"],) * 2,
        resource.RLIMIT_CORE: (0, 0),
    }
    for which, value in limits.items():
        resource.setrlimit(which, value)
    uid = job.get("uid")
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)


def _grandchild(job: dict, data: bytes, fds: tuple[int, int, int, int]) -> None:
    """Runs in the forked child; never returns (os._exit)."""
    code = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(4, 1 << 16)
        os.setsid()
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        _limit_self(job)
        os.chdir(job["workdir"])
        sys.stdin = open(0, encoding="utf-8", closefd=False)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False, buffering=1)
        sys.argv = ["solution.py"]
        sys.path[:] = [job["workdir"], *job["lib_paths"]]
        sys.path_importer_cache.clear()
        sys.setrecursionlimit(10_000)
        code = _run_code(job, data.decode("utf-8", "replace"))
    except SystemExit as exc:
        code = 0 if exc.code in (None, 0) else 1
    except BaseException:
        try:
            import traceback  # only on failure: it costs ~2 ms to import

            traceback.print_exc()
        except BaseException:
            pass
        code = 1
    finally:
        try:
            sys.stdout.flush()
        except BaseException:
            code = code or 1
        os._exit(code)


def _run_code(job: dict, data: str) -> int:
    ns: dict = {"__name__": "__main__", "__builtins__": __builtins__}
    exec(compile(_PRELUDE, "<prelude>", "exec"), ns)
    compiled = compile(job["code"], "solution.py", "exec")
    if job["mode"] == "stdin":
        exec(compiled, ns)
        return 0
    # Functional: one JSON value per line of input is one positional argument.
    encode = json.JSONEncoder(allow_nan=True).encode
    args = [json.loads(line) for line in data.split("\n") if line.strip()]
    ns["__name__"] = "solution"
    exec(compiled, ns)
    result = getattr(ns["Solution"](), job["func_name"])(*args)
    payload = encode(result).encode()  # rigged objects fail here; plain values travel on
    view = memoryview(payload)
    while view:
        view = view[os.write(3, view) :]
    return 0


def _kill_leftovers(job: dict, pid: int) -> None:
    """Kill everything the test left behind, however it detached itself."""
    targets = [-1] if job["pid_namespace"] else [-pid, pid]  # as PID 1, -1 is the namespace
    for target in targets:
        try:
            os.kill(target, signal.SIGKILL)
        except OSError:
            pass
    if not job["pid_namespace"] and job.get("uid") is not None:
        kill_uid(job["uid"])
    while True:  # reap, or zombies pile up under PID 1
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break


def kill_uid(uid: int) -> None:
    """Without a PID namespace: a helper that becomes `uid` and kills all it can signal."""
    helper = os.fork()
    if helper == 0:
        try:
            os.setuid(uid)
            # One pass suffices (the kernel walks the list under a lock that fork needs,
            # and a process with SIGKILL pending cannot fork); the second is cheap insurance.
            os.kill(-1, signal.SIGKILL)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(helper, 0)


def _run_test(job: dict, index: int, data: bytes) -> dict:
    memfd = os.memfd_create("stdin")
    os.write(memfd, data)
    os.lseek(memfd, 0, os.SEEK_SET)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    res_r, res_w = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _grandchild(job, data, (memfd, out_w, err_w, res_w))
    for fd in (memfd, out_w, err_w, res_w):
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    bufs: dict[int, bytearray] = {out_r: bytearray(), err_r: bytearray(), res_r: bytearray()}
    caps = {out_r: job["max_output"], err_r: 1 << 20, res_r: job["max_output"]}
    open_fds = set(bufs)
    deadline = started + job["timeout_s"]
    status, exited = None, None
    while status is None:
        left = deadline - time.monotonic()
        if left <= 0:
            status = "timeout"
            break
        ready, _, _ = select.select([*open_fds, pidfd], [], [], left)
        for fd in ready:
            if fd == pidfd:
                exited = os.waitpid(pid, 0)[1]
                continue
            chunk = os.read(fd, _READ)
            if not chunk:
                open_fds.discard(fd)
                continue
            bufs[fd] += chunk
            if len(bufs[fd]) > caps[fd]:
                status = "output_limit"
        if status is None and exited is not None:
            # Drain what is already in the pipes, then stop: a leftover process
            # holding a pipe open must not keep the test alive.
            for fd in list(open_fds):
                while select.select([fd], [], [], 0)[0]:
                    chunk = os.read(fd, _READ)
                    if not chunk or len(bufs[fd]) > caps[fd]:
                        break
                    bufs[fd] += chunk
            status = "exited"
    wall = time.monotonic() - started
    _kill_leftovers(job, pid)
    if exited is None:
        try:
            exited = os.waitpid(pid, 0)[1]
        except ChildProcessError:
            exited = 0
    for fd in (out_r, err_r, res_r, pidfd):
        os.close(fd)
    result = {"i": index, "wall": round(wall, 4), "status": status}
    if status == "exited":
        result.update(_exit_status(exited, job))
    err = bytes(bufs[err_r][-_STDERR_CAP:]).decode("utf-8", "replace")
    result["stderr"] = err
    if result["status"] == "ok":
        result["stdout"] = bytes(bufs[out_r]).decode("utf-8", "replace")
        if job["mode"] == "functional":
            result["result"] = bytes(bufs[res_r]).decode("utf-8", "replace") or None
    return result


def _exit_status(wait_status: int, job: dict) -> dict:
    if os.WIFSIGNALED(wait_status):
        sig = os.WTERMSIG(wait_status)
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            # SIGKILL past the hard CPU limit, SIGXCPU at the soft one.
            return {"status": "timeout", "detail": f"CPU limit {job['cpu_s']} s (signal {sig})"}
        return {"status": "killed", "detail": f"signal {signal.Signals(sig).name}"}
    code = os.WEXITSTATUS(wait_status)
    return {"status": "ok"} if code == 0 else {"status": "runtime_error", "detail": f"exit {code}"}


def run_job(job: dict, notes: list[str], supervisor: int) -> None:
    """Run every test of one program; called as PID 1 of the program's namespaces (or as
    a plain child where there are none). Results go to fd 1 as JSON lines."""
    if job["pid_namespace"]:
        _private_mounts(job, notes)
    if job.get("uid") is not None:
        os.chown(job["workdir"], job["uid"], job["uid"])
        os.chmod(job["workdir"], 0o700)
    # The parent kills `supervisor` to abort us; our death then ends every process inside.
    emit({"event": "started", "pid": supervisor, "notes": notes})
    for index, text in enumerate(job["inputs"]):
        result = _run_test(job, index, text.encode())
        emit(result)
        if result["status"] != "ok" and job.get("stop_on_error", True):
            break
    emit({"event": "done"})
