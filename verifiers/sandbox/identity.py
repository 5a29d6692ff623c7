"""Every sandbox pool its own identity: a run id, and (as root) a block of uids of its own.

Two engine runs on one host, or a run and the test suite, must never share the uids
their programs run under, their cgroups or their folders; otherwise one run's "kill
every process of this uid" or its cgroup limits hit the other's programs. A pool takes a
random block of uids far above the ranges that `useradd` and container id maps use, and
holds an exclusive `flock` on a lock file named after it for as long as it lives; a
second pool that draws the same block finds the lock taken and draws again. The lock
dies with its process, so a killed run frees its block, and `stale_run` lets cleanup of
leftovers (empty cgroup folders of a killed run) tell a dead run from a live one.
"""

from __future__ import annotations

import fcntl
import os
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

UID_FIRST = 1_500_000_000  # well above useradd (< 60000) and subuid ranges in practice
UID_BLOCKS = 1 << 20
UID_BLOCK = 64  # the most slots one pool may have
_TRIES = 64


def lock_dir() -> Path:
    """Where run locks live: /run/judgeflow where we may write there (root), else a
    folder private to our uid."""
    shared = Path("/run/judgeflow")
    try:
        shared.mkdir(mode=0o755, exist_ok=True)
        if os.access(shared, os.W_OK):
            return shared
    except OSError:
        pass
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    home = Path(runtime) if runtime and os.access(runtime, os.W_OK) else None
    base = (home or Path(tempfile.gettempdir())) / f"judgeflow-{host_uid()}"
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    return base


def host_uid() -> int:
    """Our uid as the host sees it (inside a user namespace, uid 0 may be anyone)."""
    uid = os.geteuid()
    try:
        with open("/proc/self/uid_map") as fh:
            for line in fh:
                inside, outside, count = map(int, line.split())
                if inside <= uid < inside + count:
                    return outside + uid - inside
    except (OSError, ValueError):
        pass
    return uid


@dataclass
class RunIdentity:
    """A pool's identity; `close` frees it. `uid_base` is None where we cannot switch uids."""

    run_id: str
    uid_base: int | None
    _fd: int = field(repr=False)
    _path: Path = field(repr=False)

    def uid(self, slot: int) -> int | None:
        if self.uid_base is None:
            return None
        if not 0 <= slot < UID_BLOCK:
            raise ValueError(f"slot {slot} outside the uid block")
        return self.uid_base + slot

    def close(self) -> None:
        if self._fd >= 0:
            self._path.unlink(missing_ok=True)
            os.close(self._fd)  # releases the lock
            self._fd = -1


def _uids_in_use(first: int, last: int) -> bool:
    """Does any live process run under a uid in [first, last]? (A block must be unused.)"""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", "rb") as fh:
                for line in fh:
                    if line.startswith(b"Uid:"):
                        if any(first <= int(u) <= last for u in line.split()[1:]):
                            return True
                        break
        except OSError:
            continue
    return False


def _try_lock(path: Path) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def acquire(*, switch_uids: bool) -> RunIdentity:
    """A fresh identity. With `switch_uids` (root) it includes a block of unused uids."""
    where = lock_dir()
    rng = random.SystemRandom()
    for _ in range(_TRIES):
        if switch_uids:
            base = UID_FIRST + rng.randrange(UID_BLOCKS) * UID_BLOCK
            run_id = f"u{base}"
        else:
            base, run_id = None, f"p{rng.getrandbits(48):012x}"
        path = where / f"{run_id}.lock"
        fd = _try_lock(path)
        if fd is None:
            continue
        if base is not None and _uids_in_use(base, base + UID_BLOCK - 1):
            os.close(fd)
            continue
        return RunIdentity(run_id, base, fd, path)
    raise RuntimeError(f"could not take a sandbox identity in {where} after {_TRIES} tries")


def stale_run(run_id: str) -> bool:
    """True if no live process holds `run_id` (its lock is free or gone)."""
    path = lock_dir() / f"{run_id}.lock"
    if not path.exists():
        return True
    try:
        fd = _try_lock(path)
    except OSError:
        return False
    if fd is None:
        return False
    os.close(fd)
    return True
