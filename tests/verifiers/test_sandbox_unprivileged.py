"""The sandbox suites again, as an unprivileged user created for the purpose.

As root (CI), this adds a throwaway system user and re-runs the hostile-program,
containment, runner and isolation modules under it, with the same interpreter and
checkout. There `real_root()` is false, so every pool takes the user-namespace level
with no cgroup (v1 needs root), and must still pass every test; a refused pool fails the
run instead of skipping (JUDGEFLOW_REQUIRE_USERNS). Not root: the suite is already
unprivileged, and this file has nothing to add.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from verifiers.sandbox import real_root

MODULES = [
    "tests/verifiers/test_sandbox_hostile.py",
    "tests/verifiers/test_sandbox_containment.py",
    "tests/verifiers/test_sandbox_runner.py",
    "tests/verifiers/test_sandbox_isolation.py",
]


@pytest.fixture
def throwaway_user() -> Iterator[str]:
    if not real_root():
        pytest.skip("not root: this whole run is the unprivileged one")
    useradd, userdel = shutil.which("useradd"), shutil.which("userdel")
    if useradd is None or userdel is None:
        pytest.skip("useradd/userdel are not installed")
    name = f"jfsbx{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [useradd, "--system", "--no-create-home", "--user-group", "--shell", "/bin/false", name],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot create a user here: {done.stderr.strip()}")
    try:
        yield name
    finally:
        subprocess.run([userdel, name], capture_output=True)


def test_the_sandbox_suites_pass_as_an_unprivileged_user(throwaway_user: str) -> None:
    import pwd

    pw = pwd.getpwnam(throwaway_user)
    data = REPO / "data"
    made_data = not data.exists()
    plant = data / f"sandbox-test-{throwaway_user}"
    plant.mkdir(parents=True)
    os.chown(plant, pw.pw_uid, pw.pw_gid)
    needed = [sys.base_prefix, sys.prefix, str(REPO), str(plant)]
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": "/tmp",
        "PYTHONDONTWRITEBYTECODE": "1",
        "JUDGEFLOW_REQUIRE_USERNS": "1",
        "JUDGEFLOW_TEST_DATA_DIR": str(plant),
    }
    command = [
        sys.executable, str(Path(__file__).with_name("as_user.py")), throwaway_user,
        ":".join(needed), "--",
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *MODULES,
    ]  # fmt: skip
    try:
        done = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=1200
        )
    finally:
        shutil.rmtree(plant, ignore_errors=True)
        if made_data:
            shutil.rmtree(data, ignore_errors=True)
    tail = done.stdout[-3000:] + done.stderr[-2000:]
    assert done.returncode == 0, tail
    summary = done.stdout.strip().splitlines()[-1]
    passed = int(re.search(r"(\d+) passed", summary).group(1))  # type: ignore[union-attr]
    assert passed >= 50 and "failed" not in summary and "error" not in summary, summary
