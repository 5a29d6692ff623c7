"""cgroups for the sandbox: the real hierarchy where we may write it, and the discovery
of a delegated cgroup v2 subtree on a tree laid out as the kernel lays it out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from verifiers.sandbox import cgroup, identity


def test_a_delegated_v2_subtree_is_found_above_our_own_group(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    service = root / "user.slice" / "user-1000.slice" / "user@1000.service"
    leaf = service / "app.slice" / "term.scope"
    leaf.mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpu memory pids io\n")
    delegated = [(root, "memory pids"), (service, "memory pids"), (service / "app.slice", "")]
    for folder, sub in delegated:
        (folder / "cgroup.subtree_control").write_text(sub + "\n")
    mounts = [("/", str(root), "cgroup2", "rw")]
    own = {"": "/user.slice/user-1000.slice/user@1000.service/app.slice/term.scope"}
    assert cgroup._v2_base(mounts, own) == service  # the nearest delegating ancestor
    (service / "cgroup.subtree_control").write_text("cpu\n")
    assert cgroup._v2_base(mounts, own) == root  # only the root still delegates both
    (root / "cgroup.controllers").write_text("cpu io\n")
    assert cgroup._v2_base(mounts, own) is None  # no memory controller on v2 at all


def test_v1_folders_follow_the_mount_root(tmp_path: Path) -> None:
    mounts = [("/", "/sys/fs/cgroup/memory", "cgroup", "rw,memory"),
              ("/", "/sys/fs/cgroup/pids", "cgroup", "rw,pids")]  # fmt: skip
    own = {"memory": "/a/b", "pids": "/"}
    bases = cgroup._v1_bases(mounts, own)
    assert bases == {
        "memory": Path("/sys/fs/cgroup/memory/a/b"),
        "pids": Path("/sys/fs/cgroup/pids"),
    }
    assert cgroup._inside("/mnt/cg", "/a", "/a/b/c") == Path("/mnt/cg/b/c")


@pytest.fixture
def run_groups() -> Iterator[cgroup.RunGroups]:
    ident = identity.acquire(switch_uids=False)
    groups, why = cgroup.create(ident.run_id)
    if groups is None:
        ident.close()
        pytest.skip(f"no writable cgroup here: {why}")
    yield groups
    groups.remove()
    ident.close()


def test_limits_and_cleanup_on_the_real_hierarchy(run_groups: cgroup.RunGroups) -> None:
    slot = run_groups.slot(0)
    slot.set_limits(200 << 20, 40)
    name = "memory.limit_in_bytes" if slot.version == 1 else "memory.max"
    assert int((slot.memory / name).read_text()) == 200 << 20
    assert (slot.pids / "pids.max").read_text().strip() == "40"
    slot.set_limits(100 << 20, 10)  # lowering works too (v1 orders memsw and memory)
    assert int((slot.memory / name).read_text()) == 100 << 20
    assert slot.oom_kills() == 0 and slot.pids_inside() == []
    run_groups.remove()
    assert not run_groups.memory.exists() and not run_groups.pids.exists()


def test_stale_groups_of_dead_runs_go_and_live_ones_stay(run_groups: cgroup.RunGroups) -> None:
    parent = run_groups.memory.parent
    dead = parent / "judgeflow-pdeadbeef0000"
    (dead / "slot-0").mkdir(parents=True)
    try:
        cgroup.collect_stale(parent)
        assert not dead.exists()  # nobody holds its lock
        assert run_groups.memory.exists()  # ours: our lock is held
        assert not identity.stale_run(run_groups.memory.name.removeprefix("judgeflow-"))
    finally:
        if dead.exists():
            for child in dead.iterdir():
                if child.is_dir():
                    child.rmdir()
            dead.rmdir()
