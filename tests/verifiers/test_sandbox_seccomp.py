"""The hand-assembled seccomp filter: numbers checked against the kernel headers, and the
filter run in real processes."""

from __future__ import annotations

import ctypes
import os
import re
import threading
from pathlib import Path

import pytest

from verifiers.sandbox import seccomp

HEADERS = {
    "x86_64": Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"),
    "aarch64": Path("/usr/include/asm-generic/unistd.h"),
}


@pytest.mark.parametrize("arch", sorted(seccomp.SYSCALLS))
def test_every_number_matches_the_kernel_headers(arch: str) -> None:
    header = HEADERS[arch]
    if not header.exists():
        pytest.skip(f"{header} is not installed (linux-libc-dev)")
    text = header.read_text()
    for name, nr in seccomp.SYSCALLS[arch].items():
        found = re.search(rf"#define __NR(?:3264)?_{name}\s+(\d+)\b", text)
        assert found is not None, name
        assert int(found.group(1)) == nr, name
    # Every call the filter names exists in the table of an architecture that has it.
    table = seccomp.SYSCALLS[arch]
    absent = [n for n in (*seccomp.DENIED, *seccomp.UNCOUNTED_MEMORY) if n not in table]
    assert all(not re.search(rf"#define __NR(?:3264)?_{n}\s", text) for n in absent), absent


def test_an_unknown_architecture_has_no_filter() -> None:
    assert not seccomp.supported("mips")
    with pytest.raises(ValueError, match="no seccomp table"):
        seccomp.build_filter(single_process=True, arch="mips")


def _under_filter(single_process: bool) -> list[str]:
    """Fork, install the filter, try the calls, report; the parent is untouched."""
    if not seccomp.supported():
        pytest.skip(f"no seccomp table for {seccomp.machine()}")
    program = seccomp.build_filter(single_process=single_process)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            buf = ctypes.create_string_buffer(program, len(program))

            class Prog(ctypes.Structure):
                _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

            prog = Prog(len(program) // 8, ctypes.addressof(buf))
            assert libc.prctl(38, 1, 0, 0, 0) == 0  # no_new_privs
            assert libc.prctl(22, 2, ctypes.byref(prog), 0, 0) == 0
            seen = []

            def attempt(name: str, call: object) -> None:
                try:
                    result = call()  # type: ignore[operator]
                    seen.append(f"{name}:ok" if result != -1 else f"{name}:{ctypes.get_errno()}")
                except OSError as exc:
                    seen.append(f"{name}:{exc.errno}")

            attempt("memfd", lambda: os.close(os.memfd_create("x")))

            def fork() -> None:
                child = os.fork()
                if child == 0:
                    os._exit(0)
                os.waitpid(child, 0)

            attempt("fork", fork)
            attempt("unshare_user", lambda: libc.unshare(0x10000000))
            attempt("clone3", lambda: libc.syscall(seccomp.SYSCALLS[seccomp.machine()]["clone3"]))
            attempt("ptrace", lambda: libc.ptrace(0, 0, 0, 0))
            box: list[str] = []
            t = threading.Thread(target=lambda: box.append("thread:ok"))
            t.start()
            t.join()
            seen += box
            os.write(w, " ".join(seen).encode())
        finally:
            os._exit(0)
    os.close(w)
    out = b""
    while chunk := os.read(r, 4096):
        out += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return out.decode().split()


def test_the_filter_in_a_real_process() -> None:
    eperm, enosys = "1", "38"
    single = _under_filter(single_process=True)
    assert single == [
        f"memfd:{eperm}", f"fork:{eperm}", f"unshare_user:{eperm}", f"clone3:{enosys}",
        f"ptrace:{eperm}", "thread:ok",
    ]  # fmt: skip
    multi = _under_filter(single_process=False)
    assert multi == [
        "memfd:ok", "fork:ok", f"unshare_user:{eperm}", f"clone3:{enosys}", f"ptrace:{eperm}",
        "thread:ok",
    ]  # fmt: skip
