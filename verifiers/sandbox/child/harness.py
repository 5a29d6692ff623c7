"""In-sandbox harness: runs one untrusted program against its test inputs (stdlib only).

Runs as PID 1 of the program's own PID, mount and IPC namespaces (inside the slot's
bubblewrap sandbox), with isolation "none" as a plain child. For every test it forks a
child that drops every privilege, installs the seccomp filter and runs the code with the
input on fd 0 (a memfd), capped pipes on fds 1 and 2 and, for functional tests, a result
pipe on fd 3. Results go to fd 1 as JSON lines; after every test but the last the
harness waits for the parent's go or stop on fd 0.

What keeps the verdict channel out of the program's reach: the program holds none of
the harness's descriptors (they are closed before its code runs), it cannot see or
signal anything outside its PID namespace, and inside it the harness is PID 1, which the
kernel shields from signals of its own namespace; the harness is not dumpable, so the
program (without capabilities, and with ptrace refused by seccomp) can neither trace it
nor open its /proc/1/fd, /mem or /environ. Expected outputs never enter the sandbox.
"""

from __future__ import annotations

# The F401 modules are imported once here so every forked test finds them warm (_PRELUDE).
import bisect  # noqa: F401
import collections  # noqa: F401
import ctypes
import functools  # noqa: F401
import heapq  # noqa: F401
import itertools  # noqa: F401
import json
import math  # noqa: F401
import os
import re  # noqa: F401
import resource
import select
import signal
import string  # noqa: F401
import sys
import time
import typing  # noqa: F401
from typing import Any

Job = dict[str, Any]

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
_PRELUDE_CODE = compile(_PRELUDE, "<prelude>", "exec")  # once, not per test
_STDERR_KEEP = 8192
_STDERR_CAP = 1 << 20
_READ = 65536
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_BIND = 2, 4, 8, 4096
_PR_SET_DUMPABLE, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP = 4, 24, 38, 22
_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, _PR_SET_CHILD_SUBREAPER = 47, 4, 36
_SECCOMP_MODE_FILTER = 2
_CAP_LAST = 63
_libc = ctypes.CDLL(None, use_errno=True)


class SetupError(Exception):
    """The sandbox could not be set up: no program may run (fail closed)."""


def emit(obj: dict[str, Any]) -> None:
    view = memoryview((json.dumps(obj) + "\n").encode())
    while view:
        view = view[os.write(1, view) :]


def _check(result: int, what: str) -> None:
    if result != 0:
        raise SetupError(f"{what}: {os.strerror(ctypes.get_errno())}")


def _mount(src: bytes, target: bytes, fstype: bytes | None, flags: int, data: bytes | None) -> None:
    _check(_libc.mount(src, target, fstype, flags, data), f"mount {target.decode()}")


def _private_filesystem(job: Job) -> None:
    """/tmp and /work from one fresh tmpfs (one size and inode budget), and a /proc of our
    own PID namespace. Everything else is the slot's read-only view."""
    opts = f"size={job['tmpfs_bytes']},nr_inodes={job['tmpfs_inodes']},mode=0755"
    _mount(b"tmpfs", b"/work", b"tmpfs", _MS_NOSUID | _MS_NODEV, opts.encode())
    for name, mode in (("t", 0o1777), ("w", 0o777)):
        os.mkdir(f"/work/{name}")
        os.chmod(f"/work/{name}", mode)  # the program's uid may differ from ours
    _mount(b"/work/t", b"/tmp", None, _MS_BIND, None)
    _mount(b"/work/w", b"/work", None, _MS_BIND, None)  # covers the tmpfs root
    _mount(b"proc", b"/proc", b"proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None)


def _drop_privileges(job: Job) -> None:
    """Identity and privileges of the program's process, before any of its code runs."""
    level = job["level"]
    if level != "none":
        for cap in range(_CAP_LAST + 1):  # the bounding set first: it needs CAP_SETPCAP
            if _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != 22:
                raise SetupError(f"dropping capability {cap}: {os.strerror(ctypes.get_errno())}")
        _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    uid = job.get("uid")
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # from root to another uid: every capability goes
    if level != "none":
        _clear_capabilities()
        # Dumpable again (inherited "no" from us, and reset by setuid): the program may
        # read its own /proc/self; only its own processes share its uid and namespace.
        _libc.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0)
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    if job.get("seccomp"):
        _install_seccomp(bytes.fromhex(job["seccomp"]))


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _clear_capabilities() -> None:
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _install_seccomp(program: bytes) -> None:
    buf = ctypes.create_string_buffer(program, len(program))
    prog = _SockFprog(len(program) // 8, ctypes.addressof(buf))
    _check(_libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0), "seccomp")


def _limit_self(job: Job) -> None:
    cpu = int(job["cpu_s"])
    limits: dict[int, tuple[int | None, int | None]] = {
        resource.RLIMIT_CPU: (cpu, cpu + 1),
        resource.RLIMIT_AS: (job["memory_bytes"],) * 2,
        resource.RLIMIT_FSIZE: (job["fsize_bytes"],) * 2,
        resource.RLIMIT_NOFILE: (job["nofile"],) * 2,
        resource.RLIMIT_NPROC: (job["nproc"],) * 2,
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_MEMLOCK: (0, 0),
        resource.RLIMIT_MSGQUEUE: (0, 0),
    }
    for which, (soft, hard) in limits.items():
        if soft is not None and hard is not None:
            resource.setrlimit(which, (soft, hard))


def _child(job: Job, data: bytes, fds: tuple[int, ...]) -> None:
    """The program's process; never returns (os._exit).

    fds: stdin, stdout, stderr, result, setup status. The status pipe says "ok" once every
    limit and drop is in place and is closed before the program's code runs, so nothing
    the program writes can pass for a sandbox failure.
    """
    code = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(len(fds), os.sysconf("SC_OPEN_MAX"))
        os.setsid()
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            with open("/proc/self/oom_score_adj", "w") as fh:
                fh.write("1000")  # under a memory cap, the program is the one the kernel kills
        except OSError:
            pass
        try:
            _limit_self(job)
            _drop_privileges(job)
        except BaseException as exc:
            os.write(4, f"{type(exc).__name__}: {exc}".encode())
            os._exit(125)
        os.write(4, b"ok")
        os.close(4)
        os.chdir(job["workdir"])
        sys.stdin = open(0, encoding="utf-8", closefd=False)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False, buffering=1)
        sys.argv = ["solution.py"]
        sys.path[:] = [job["workdir"], *job["sys_path"]]
        sys.path_importer_cache.clear()
        sys.setrecursionlimit(10_000)
        code = _run_code(job, data.decode("utf-8", "replace"))
    except SystemExit as exc:
        code = 0 if exc.code in (None, 0) else 1
    except MemoryError:
        # Its memory is still held (the traceback keeps it): say so without allocating.
        os.write(2, b"\nMemoryError: the program ran out of memory\n")
        code = 1
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


def _run_code(job: Job, data: str) -> int:
    ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    exec(_PRELUDE_CODE, ns)
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


def _descendants(root: int) -> list[int]:
    """Children of `root` (isolation none: orphans are reparented to us, a subreaper)."""
    try:  # one small file where the kernel offers it (we are single-threaded)
        with open(f"/proc/{root}/task/{root}/children") as fh:
            return [int(pid) for pid in fh.read().split()]
    except OSError:
        pass
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        if int(stat[stat.rindex(b")") + 2 :].split()[1]) == root:
            found.append(int(entry))
    return found


def kill_leftovers(job: Job) -> None:
    """Kill every process the test left behind, however it detached itself, and reap it."""
    if job["level"] == "none":
        _kill_descendants()
        return
    while True:  # as PID 1, kill(-1) reaches everything else in our namespace
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _kill_descendants() -> None:
    """Without namespaces: orphans are reparented to us (a subreaper), so repeat until
    we have no children left."""
    me = os.getpid()
    while True:
        kids = _descendants(me)
        if not kids:
            return
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in kids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def _run_test(job: Job, index: int, data: bytes) -> dict[str, Any]:
    memfd = os.memfd_create("stdin")
    os.write(memfd, data)
    os.lseek(memfd, 0, os.SEEK_SET)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    res_r, res_w = os.pipe()
    setup_r, setup_w = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(job, data, (memfd, out_w, err_w, res_w, setup_w))
    for fd in (memfd, out_w, err_w, res_w, setup_w):
        os.close(fd)
    setup = read_exact(setup_r, 4096)  # "ok", or why not, before any of its code runs
    os.close(setup_r)
    if setup != b"ok":
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        kill_leftovers(job)
        for fd in (out_r, err_r, res_r):
            os.close(fd)
        why = setup.decode("utf-8", "replace") or "the program's process died during set-up"
        return {"i": index, "status": "setup_error", "detail": why, "wall": 0.0}
    pidfd = os.pidfd_open(pid)
    bufs: dict[int, bytearray] = {out_r: bytearray(), err_r: bytearray(), res_r: bytearray()}
    caps = {out_r: job["max_output"], err_r: _STDERR_CAP, res_r: job["max_output"]}
    open_fds = set(bufs)
    deadline = started + job["timeout_s"]
    stopped: str | None = None  # why we killed it: wall or output
    exited = False
    while not exited and stopped is None:
        left = deadline - time.monotonic()
        if left <= 0:
            stopped = "wall"
            break
        ready, _, _ = select.select([*open_fds, pidfd], [], [], left)
        for fd in ready:
            if fd == pidfd:
                exited = True
                continue
            chunk = os.read(fd, _READ)
            if not chunk:
                open_fds.discard(fd)
                continue
            bufs[fd] += chunk
            if len(bufs[fd]) > caps[fd]:
                stopped = "output"
    if stopped is not None:
        os.kill(pid, signal.SIGKILL)
    _, wait_status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - started
    if stopped is None:
        # Drain what is already in the pipes, then stop: a leftover process holding a
        # pipe open must not keep the test alive.
        for fd in list(open_fds):
            while select.select([fd], [], [], 0)[0]:
                chunk = os.read(fd, _READ)
                if not chunk:
                    break
                bufs[fd] += chunk
                if len(bufs[fd]) > caps[fd]:
                    stopped = "output"
                    break
    kill_leftovers(job)
    for fd in (out_r, err_r, res_r, pidfd):
        os.close(fd)
    result: dict[str, Any] = {"i": index, "wall": round(wall, 4)}
    cpu = usage.ru_utime + usage.ru_stime
    result.update(_classify(job, stopped, wait_status, cpu, bytes(bufs[err_r])))
    result["cpu"] = round(cpu, 4)
    result["stderr"] = bytes(bufs[err_r][-_STDERR_KEEP:]).decode("utf-8", "replace")
    if result["status"] == "ok":
        result["stdout"] = bytes(bufs[out_r]).decode("utf-8", "replace")
        if job["mode"] == "functional":
            result["result"] = bytes(bufs[res_r]).decode("utf-8", "replace") or None
    return result


def _classify(
    job: Job, stopped: str | None, wait_status: int, cpu: float, stderr: bytes
) -> dict[str, Any]:
    """The real reason a test ended: limit (cpu, wall, memory, output), signal, or exit."""
    if stopped == "wall":
        return {"status": "timeout", "limit": "wall", "detail": f"wall clock {job['timeout_s']} s"}
    if stopped == "output":
        return {"status": "output_limit", "limit": "output"}
    if os.WIFSIGNALED(wait_status):
        sig = os.WTERMSIG(wait_status)
        # SIGXCPU at the soft CPU limit, SIGKILL at the hard one (1 s later).
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= job["cpu_s"] - 0.05):
            return {"status": "timeout", "limit": "cpu", "detail": f"CPU time {job['cpu_s']} s"}
        name = signal.Signals(sig).name
        return {"status": "killed", "signal": name, "detail": f"signal {name}"}
    code = os.WEXITSTATUS(wait_status)
    if code == 0:
        return {"status": "ok"}
    tail = [ln for ln in stderr[-_STDERR_KEEP:].decode("utf-8", "replace").splitlines() if ln]
    if tail and tail[-1].startswith("MemoryError"):
        return {"status": "memory_limit", "limit": "memory", "detail": "MemoryError"}
    return {"status": "runtime_error", "detail": f"exit {code}"}


def _await_control(nonce: str) -> bool:
    """Block until the parent says go (True) or stop (False) for this job."""
    while True:
        frame = read_frame(0)
        if frame is None:
            return False  # the parent is gone
        kind, payload = frame
        if kind == b"C" and payload[:-1].decode() == nonce:
            return payload[-1:] == b"g"
        # Anything else is a stale frame of an earlier job: skip it.


def read_frame(fd: int) -> tuple[bytes, bytes] | None:
    """One frame: a kind byte, 8 hex digits of length, the payload. None at end of file."""
    head = read_exact(fd, 9)
    if len(head) < 9:
        return None
    body = read_exact(fd, int(head[1:], 16))
    return head[:1], body


def read_exact(fd: int, n: int) -> bytes:
    data = bytearray()
    while len(data) < n:
        chunk = os.read(fd, n - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def run_job(job: Job) -> None:
    """Run every test of one program (as PID 1 of its namespaces, or as a plain child)."""
    nonce = job["nonce"]
    _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)  # nobody traces us or opens our /proc entries
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the program may share our uid
    try:
        if job["level"] != "none":
            _private_filesystem(job)
        else:
            _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (SetupError, OSError) as exc:
        emit({"n": nonce, "error": f"sandbox setup failed: {exc}"})
        return
    emit({"n": nonce, "event": "started"})
    inputs = job["inputs"]
    for index, text in enumerate(inputs):
        result = _run_test(job, index, text.encode())
        result["n"] = nonce
        emit(result)
        if result["status"] == "setup_error":
            break
        if index + 1 < len(inputs) and not _await_control(nonce):
            break
    emit({"n": nonce, "event": "done"})
