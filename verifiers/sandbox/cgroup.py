"""Kernel-enforced memory and process limits through cgroups, one group per pool slot.

A cgroup's memory limit counts everything a program makes the kernel hold for it:
anonymous memory, page cache, tmpfs and memfd pages, shared memory, and kernel objects
such as inodes and dentries (measured on cgroup v1 here: an inode flood is charged in
full, see docs/sandbox.md). `RLIMIT_AS` alone counts none of the latter.

Layout: ``<our own cgroup>/judgeflow-<run id>/slot-<n>``, in the memory and pids
hierarchies of cgroup v1, or in the unified hierarchy of cgroup v2 (there under the
nearest ancestor of our own group that we may write and that delegates both
controllers, e.g. a systemd user service with ``Delegate=yes``). Nesting under our own
group keeps every limit the machine sets on us in force. The slot's whole sandbox
(bubblewrap, zygote, harness, program) lives in its group; before each program the
limit is set to the group's baseline plus the program's memory, so the program can
never hold more than that.

A run that is killed leaves empty folders behind; `collect_stale` removes those whose
run no longer holds its lock (`identity.stale_run`), never those of a live run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from verifiers.sandbox.identity import stale_run

_PREFIX = "judgeflow-"


def _read(path: Path) -> str:
    return path.read_text().strip()


def _write(path: Path, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


def _mounts() -> list[tuple[str, str, str, str]]:
    """(root, mount point, fs type, super options) of every cgroup mount."""
    found = []
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            pre, _, post = line.partition(" - ")
            fields, tail = pre.split(), post.split()
            if tail and tail[0] in ("cgroup", "cgroup2"):
                found.append((fields[3], fields[4], tail[0], tail[2] if len(tail) > 2 else ""))
    return found


def _own_groups() -> dict[str, str]:
    """Our cgroup path per v1 controller, and under "" the v2 one."""
    groups: dict[str, str] = {}
    with open("/proc/self/cgroup") as fh:
        for line in fh:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for name in controllers.split(",") if controllers else [""]:
                groups[name] = path
    return groups


def _inside(mount_point: str, mount_root: str, path: str) -> Path:
    rel = os.path.relpath(path, mount_root) if mount_root != "/" else path.lstrip("/")
    return Path(mount_point) / ("" if rel == "." else rel)


@dataclass(frozen=True)
class SlotGroup:
    """One slot's cgroup(s): limits before each program, the OOM count after each test."""

    version: int
    memory: Path
    pids: Path

    def procs_files(self) -> list[Path]:
        return list(dict.fromkeys([self.memory / "cgroup.procs", self.pids / "cgroup.procs"]))

    def usage(self) -> int:
        name = "memory.usage_in_bytes" if self.version == 1 else "memory.current"
        return int(_read(self.memory / name))

    def oom_kills(self) -> int:
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        for line in _read(self.memory / name).splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def set_limits(self, memory_bytes: int, pids: int) -> None:
        _write(self.pids / "pids.max", str(pids))
        if self.version == 2:
            _write(self.memory / "memory.max", str(memory_bytes))
            swap = self.memory / "memory.swap.max"
            if swap.exists():
                _write(swap, "0")
            return
        # v1: memory+swap must stay >= memory, so the order depends on the direction.
        limit = self.memory / "memory.limit_in_bytes"
        memsw = self.memory / "memory.memsw.limit_in_bytes"
        if not memsw.exists():
            _write(limit, str(memory_bytes))
            return
        current = int(_read(limit))
        first, second = (memsw, limit) if memory_bytes > current else (limit, memsw)
        _write(first, str(memory_bytes))
        _write(second, str(memory_bytes))

    def pids_inside(self) -> list[int]:
        found: set[int] = set()
        for procs in self.procs_files():
            with contextlib.suppress(OSError):
                found.update(int(p) for p in _read(procs).split())
        return sorted(found)

    def empty(self, wait_s: float = 10.0) -> bool:
        """Kill whatever is still inside (only this slot's own processes can be) and wait
        until the kernel has let them go, so the folders can be removed."""
        deadline = time.monotonic() + wait_s
        while pids := self.pids_inside():
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def remove(self) -> None:
        self.empty()
        for folder in dict.fromkeys([self.memory, self.pids]):
            with contextlib.suppress(OSError):
                folder.rmdir()


@dataclass(frozen=True)
class RunGroups:
    """The run's folder in each hierarchy; `slot(n)` creates slot n's groups."""

    version: int
    memory: Path
    pids: Path

    def slot(self, n: int) -> SlotGroup:
        memory, pids = self.memory / f"slot-{n}", self.pids / f"slot-{n}"
        for folder in dict.fromkeys([memory, pids]):
            folder.mkdir(exist_ok=True)
        return SlotGroup(self.version, memory, pids)

    def remove(self) -> None:
        slots = set()
        for parent in (self.memory, self.pids):
            if parent.exists():
                slots |= {child.name for child in parent.iterdir() if child.is_dir()}
        for name in sorted(slots):
            SlotGroup(self.version, self.memory / name, self.pids / name).remove()
        for parent in dict.fromkeys([self.memory, self.pids]):
            with contextlib.suppress(OSError):
                parent.rmdir()


def _v1_bases(mounts: list[tuple[str, str, str, str]], own: dict[str, str]) -> dict[str, Path]:
    bases: dict[str, Path] = {}
    for root, point, fstype, opts in mounts:
        if fstype != "cgroup":
            continue
        for controller in ("memory", "pids"):
            if controller in opts.split(",") and controller in own:
                bases[controller] = _inside(point, root, own[controller])
    return bases


def _v2_base(mounts: list[tuple[str, str, str, str]], own: dict[str, str]) -> Path | None:
    """The nearest group at or above our parent that we may write and that delegates
    memory and pids to its children (v2 keeps processes out of inner groups)."""
    for root, point, fstype, _ in mounts:
        if fstype != "cgroup2" or "" not in own:
            continue
        top = Path(point)
        controllers = top / "cgroup.controllers"
        if not controllers.exists() or not {"memory", "pids"} <= set(_read(controllers).split()):
            continue
        here = _inside(point, root, own[""])
        for group in [here.parent, *here.parent.parents]:
            if not str(group).startswith(str(top)):
                break
            sub = group / "cgroup.subtree_control"
            if (
                sub.exists()
                and {"memory", "pids"} <= set(_read(sub).split())
                and os.access(group, os.W_OK)
            ):
                return group
    return None


def create(run_id: str) -> tuple[RunGroups | None, str]:
    """The run's cgroups, or None and why not (the sandbox then bounds memory otherwise)."""
    mounts, own = _mounts(), _own_groups()
    v1 = _v1_bases(mounts, own)
    try:
        if "memory" in v1 and "pids" in v1:
            memory, pids = v1["memory"] / f"{_PREFIX}{run_id}", v1["pids"] / f"{_PREFIX}{run_id}"
            collect_stale(v1["memory"])
            collect_stale(v1["pids"])
            memory.mkdir(exist_ok=True)
            pids.mkdir(exist_ok=True)
            groups = RunGroups(1, memory, pids)
        elif (base := _v2_base(mounts, own)) is not None:
            collect_stale(base)
            folder = base / f"{_PREFIX}{run_id}"
            folder.mkdir(exist_ok=True)
            _write(folder / "cgroup.subtree_control", "+memory +pids")
            groups = RunGroups(2, folder, folder)
        else:
            return None, "no cgroup with memory and pids controllers that we may write"
    except OSError as exc:
        return None, f"cannot create a cgroup: {exc}"
    why = _can_move_into(groups)
    if why is not None:
        groups.remove()
        return None, why
    return groups, ""


def _can_move_into(groups: RunGroups) -> str | None:
    """Moving a process in needs write access above both groups; try it once."""
    probe = groups.slot(999)
    try:
        done = subprocess.run(
            wrap_into(probe, ["/bin/sh", "-c", "exit 0"]), capture_output=True, timeout=10
        )
    finally:
        probe.remove()
    if done.returncode != 0:
        return f"cannot move a process into a cgroup: {done.stderr.decode(errors='replace')}"
    return None


def wrap_into(slot: SlotGroup, argv: list[str]) -> list[str]:
    """`argv` run through /bin/sh, which first moves itself into the slot's groups.

    Done by the child itself, before `exec`, so nothing it starts is ever outside the
    group; `preexec_fn` would do the same but is unsafe in a threaded parent.
    """
    script = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 97; shift; done; shift; exec "$@"'
    return ["/bin/sh", "-c", script, "sh", *map(str, slot.procs_files()), "--", *argv]


def collect_stale(parent: Path, is_stale: Callable[[str], bool] = stale_run) -> None:
    """Remove empty groups left by runs that were killed (never those of a live run)."""
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for folder in entries:
        if not (folder.is_dir() and folder.name.startswith(_PREFIX)):
            continue
        if not is_stale(folder.name[len(_PREFIX) :]):
            continue
        for child in folder.iterdir():
            if child.is_dir():
                with contextlib.suppress(OSError):
                    child.rmdir()  # fails while a process is still inside: then it stays
        with contextlib.suppress(OSError):
            folder.rmdir()
