"""A small seccomp-BPF filter for untrusted programs, assembled here (pure functions).

Why by hand: the filter is a deny list of ~60 system calls plus one flag test on
`clone`, about 75 instructions. The Python bindings for libseccomp on PyPI are either
unmaintained (pyseccomp, 2021) or need the C library's headers at install time, and the
filter is simple enough to read and test directly: `tests/verifiers/test_sandbox_seccomp.py`
checks every number against the kernel headers when they are installed, and the hostile
programs check that each blocked call fails.

What it refuses, and why:

* namespaces, mounts and root changes (`unshare`, `setns`, `mount`, the new mount API,
  `pivot_root`, `chroot`, `clone` with any ``CLONE_NEW*`` flag; `clone3` answers ENOSYS so
  that libc falls back to `clone`, whose flags a filter can read): a program must not build
  itself a tmpfs, a PID namespace or a user namespace of its own;
* kernel interfaces programs have no use for and that widen what they can reach or pin
  (`io_uring`, `userfaultfd`, keyrings);
* looking at or steering other processes (`ptrace`, `process_vm_readv/writev`, `kcmp`,
  `pidfd_getfd`, file handles), and the kernel's own knobs (modules, kexec, swap, reboot,
  clocks, host names, `bpf`, `perf_event_open`, `syslog`, `acct`, `quotactl`);
* with ``single_process=True`` (where no cgroup bounds memory) also every new process
  (`fork`, `vfork`, `clone` without ``CLONE_THREAD``), so that one address space and
  ``RLIMIT_AS`` bound all of a program's anonymous memory, and the memory no
  address-space limit counts (`memfd_create`, `memfd_secret`, System V shared memory,
  message queues and semaphores, POSIX message queues). Threads stay allowed. Under a
  cgroup these are allowed: the cgroup counts them.

A refused call fails with EPERM (ENOSYS for `clone3`), so a program sees an ordinary
OSError; a call from another ABI (x32 on x86-64) or an unexpected architecture kills it.
"""

from __future__ import annotations

import platform
import struct

# BPF opcodes (linux/filter.h) and seccomp return values (linux/seccomp.h).
_LD_W_ABS = 0x20
_JEQ_K, _JGE_K, _JSET_K = 0x15, 0x35, 0x45
_RET_K = 0x06
_ALLOW = 0x7FFF0000
_ERRNO = 0x00050000
_KILL_PROCESS = 0x80000000
_EPERM, _ENOSYS = 1, 38
# struct seccomp_data: int nr; u32 arch; u64 ip; u64 args[6] (low word first: little endian).
_NR, _ARCH, _ARG0_LOW = 0, 4, 16
_X32_BIT = 0x40000000

CLONE_THREAD = 0x00010000
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME.
CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000
CLONE_NAMESPACES |= 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080

# Always refused, on every architecture that has the call.
DENIED = (
    "unshare setns mount umount2 pivot_root chroot move_mount fsopen fsconfig fsmount fspick "
    "open_tree mount_setattr "
    "io_uring_setup io_uring_enter io_uring_register userfaultfd keyctl add_key request_key "
    "ptrace process_vm_readv process_vm_writev kcmp pidfd_getfd open_by_handle_at "
    "name_to_handle_at "
    "bpf perf_event_open syslog acct quotactl swapon swapoff reboot kexec_load kexec_file_load "
    "init_module finit_module delete_module settimeofday clock_settime adjtimex sethostname "
    "setdomainname vhangup iopl ioperm uselib inotify_init inotify_init1 fanotify_init"
).split()
# Refused with single_process=True, where no cgroup counts memory: new processes (x86-64
# has fork and vfork; other architectures fork through clone, tested on its flags), and
# memory that no address-space limit counts.
NEW_PROCESS = ("fork", "vfork")
UNCOUNTED_MEMORY = (
    "memfd_create memfd_secret shmget shmat shmctl shmdt msgget semget mq_open".split()
)


def _table(text: str) -> dict[str, int]:
    return {name: int(nr) for name, _, nr in (item.partition("=") for item in text.split())}


# System call numbers, from asm/unistd_64.h and asm-generic/unistd.h.
SYSCALLS: dict[str, dict[str, int]] = {
    "x86_64": _table(
        "fork=57 vfork=58 clone=56 clone3=435 unshare=272 setns=308 mount=165 umount2=166 "
        "pivot_root=155 chroot=161 move_mount=429 fsopen=430 fsconfig=431 fsmount=432 "
        "fspick=433 open_tree=428 mount_setattr=442 memfd_create=319 memfd_secret=447 "
        "shmget=29 shmat=30 shmctl=31 shmdt=67 msgget=68 semget=64 mq_open=240 "
        "io_uring_setup=425 io_uring_enter=426 io_uring_register=427 userfaultfd=323 "
        "keyctl=250 add_key=248 request_key=249 ptrace=101 process_vm_readv=310 "
        "process_vm_writev=311 kcmp=312 pidfd_getfd=438 open_by_handle_at=304 "
        "name_to_handle_at=303 bpf=321 perf_event_open=298 syslog=103 acct=163 quotactl=179 "
        "swapon=167 swapoff=168 reboot=169 kexec_load=246 kexec_file_load=320 "
        "init_module=175 finit_module=313 delete_module=176 settimeofday=164 "
        "clock_settime=227 adjtimex=159 sethostname=170 setdomainname=171 vhangup=153 "
        "iopl=172 ioperm=173 uselib=134 inotify_init=253 inotify_init1=294 fanotify_init=300 "
    ),
    "aarch64": _table(
        "clone=220 clone3=435 unshare=97 setns=268 mount=40 umount2=39 pivot_root=41 "
        "chroot=51 move_mount=429 fsopen=430 fsconfig=431 fsmount=432 fspick=433 "
        "open_tree=428 mount_setattr=442 memfd_create=279 memfd_secret=447 shmget=194 "
        "shmat=196 shmctl=195 shmdt=197 msgget=186 semget=190 mq_open=180 io_uring_setup=425 "
        "io_uring_enter=426 io_uring_register=427 userfaultfd=282 keyctl=219 add_key=217 "
        "request_key=218 ptrace=117 process_vm_readv=270 process_vm_writev=271 kcmp=272 "
        "pidfd_getfd=438 open_by_handle_at=265 name_to_handle_at=264 bpf=280 "
        "perf_event_open=241 syslog=116 acct=89 quotactl=60 swapon=224 swapoff=225 "
        "reboot=142 kexec_load=104 kexec_file_load=294 init_module=105 finit_module=273 "
        "delete_module=106 settimeofday=170 clock_settime=112 adjtimex=171 sethostname=161 "
        "setdomainname=162 vhangup=58 inotify_init1=26 fanotify_init=262 "
    ),
}
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def machine() -> str:
    return platform.machine()


def supported(arch: str | None = None) -> bool:
    return (arch or machine()) in SYSCALLS


def build_filter(*, single_process: bool, arch: str | None = None) -> bytes:
    """The filter as `struct sock_filter` bytes for ``prctl(PR_SET_SECCOMP, ...)``.

    Raises ValueError on an architecture without a table (see `supported`).
    """
    arch = arch or machine()
    if arch not in SYSCALLS:
        raise ValueError(f"no seccomp table for {arch}")
    table = SYSCALLS[arch]
    denied = [table[n] for n in DENIED if n in table]
    if single_process:
        denied += [table[n] for n in (*NEW_PROCESS, *UNCOUNTED_MEMORY) if n in table]
    denied = sorted(set(denied))
    # Layout: header; clone test; clone3; one JEQ per denied call; ALLOW; EPERM; the clone
    # flag block. Every jump goes forward, and the deny list is short enough for 8-bit jumps.
    prog: list[bytes] = []
    prog.append(_insn(_LD_W_ABS, _ARCH))
    prog.append(_insn(_JEQ_K, AUDIT_ARCH[arch], 1, 0))
    prog.append(_insn(_RET_K, _KILL_PROCESS))
    prog.append(_insn(_LD_W_ABS, _NR))
    if arch == "x86_64":
        prog.append(_insn(_JGE_K, _X32_BIT, 0, 1))
        prog.append(_insn(_RET_K, _KILL_PROCESS))
    n = len(denied)
    # Offsets below count from the instruction after the jump.
    #   clone JEQ -> clone block (after the list, ALLOW and EPERM)
    prog.append(_insn(_JEQ_K, table["clone"], n + 4, 0))
    prog.append(_insn(_JEQ_K, table["clone3"], 0, 1))
    prog.append(_insn(_RET_K, _ERRNO | _ENOSYS))
    for i, nr in enumerate(denied):
        prog.append(_insn(_JEQ_K, nr, n - i, 0))  # -> EPERM
    prog.append(_insn(_RET_K, _ALLOW))
    prog.append(_insn(_RET_K, _ERRNO | _EPERM))
    # clone(flags, ...): namespaces never; a new process only where allowed.
    prog.append(_insn(_LD_W_ABS, _ARG0_LOW))
    prog.append(_insn(_JSET_K, CLONE_NAMESPACES, 1, 0))  # -> EPERM
    if single_process:
        prog.append(_insn(_JSET_K, CLONE_THREAD, 1, 0))  # a thread -> ALLOW, else EPERM
    else:
        prog.append(_insn(_JEQ_K, 0, 1, 1))  # always -> ALLOW (keeps both layouts alike)
    prog.append(_insn(_RET_K, _ERRNO | _EPERM))
    prog.append(_insn(_RET_K, _ALLOW))
    return b"".join(prog)
