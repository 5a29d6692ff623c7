"""Sandbox pools at every isolation level this machine (and this user) allows, for tests.

`isolated_levels()` is ["root", "userns"] as root, ["userns"] as an unprivileged user
(where user namespaces work); the hostile-program tests run once per level. Pools are
made once per test session and closed at its end.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from verifiers.sandbox import Level, SandboxPool, real_root

_pools: dict[str, SandboxPool] = {}


def isolated_levels() -> list[str]:
    return ["root", "userns"] if real_root() else ["userns"]


def pool_for(level: str) -> SandboxPool:
    """The session's pool at `level`; skips the test if this machine cannot offer it."""
    if level == "root" and not real_root():
        pytest.skip("the root level needs root")
    if level not in _pools:
        lvl: Level = level  # type: ignore[assignment]
        _pools[level] = SandboxPool(2, level=lvl)
    pool = _pools[level]
    if pool.refused:
        if level == "userns" and os.environ.get("JUDGEFLOW_REQUIRE_USERNS"):
            pytest.fail(pool.refused)  # the unprivileged re-run must not skip its point
        pytest.skip(pool.refused)
    return pool


def close_pools() -> None:
    for pool in _pools.values():
        pool.close()
    _pools.clear()


def children(pid: int) -> list[int]:
    """Direct children of `pid`, from /proc (any uid)."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        if int(stat[stat.rindex(b")") + 2 :].split()[1]) == pid:
            found.append(int(entry))
    return found


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            out.append(child)
            todo.append(child)
    return out


def leftovers(pool: SandboxPool) -> list[int]:
    """Processes under the pool's slots beyond the idle sandbox itself (bwrap's PID 1 and
    the zygote; with isolation none, the zygote alone), once the pool has finished its
    own bookkeeping (a job's supervisor and PID 1 go just after its result)."""
    pool.wait_idle()
    idle = 0 if pool.level == "none" else 2
    extra: list[int] = []
    for pid in pool.slot_pids():
        below = descendants(pid)
        if len(below) > idle:
            extra += below
    return extra


def live(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return state[state.rindex(b")") + 2 : state.rindex(b")") + 3] != b"Z"


def uids_alive(first: int, count: int) -> list[int]:
    """Live processes under uids [first, first + count)."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = int(fields["Uid"].split()[0])
        if first <= uid < first + count and not fields["State"].strip().startswith("Z"):
            found.append(int(entry))
    return found
