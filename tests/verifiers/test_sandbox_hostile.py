"""Hostile programs against the real sandbox: the host stays unharmed, the verdict is fail.

Each program is written so that the attack, if it worked, would make it print the
expected answer ("42"); a failing verdict therefore also proves the attack failed.
Every run goes through the LiveCodeBench verifier, exactly as the engine calls it, once
per isolation level this machine allows: as root both the root level and the
unprivileged (user namespace) level; as an unprivileged user (test_sandbox_unprivileged
re-runs this module so) the user-namespace level.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import verifiers.sandbox.pool as pool_module
from tests.verifiers.sandbox_levels import isolated_levels, leftovers, pool_for, uids_alive
from verifiers import livecodebench
from verifiers.base import Question, Verdict
from verifiers.sandbox import SandboxPool

TIMEOUT_S = 1.0


def _question(functional: bool = False, output: str = "42", given: str = "1\n") -> Question:
    test = {"input": "[40]\n2" if functional else given, "output": output, "testtype": "stdin"}
    if functional:
        test["testtype"] = "functional"
    return Question(
        id="livecodebench:hostile",
        source="livecodebench",
        task="livecodebench",
        prompt="",
        question="print 42",
        ground_truth=[test],
        meta={"func_name": "f", "n_public": 1, "timeout_s": TIMEOUT_S, "memory_mb": 256},
    )


def verify(code: str, functional: bool = False, **question: str) -> Verdict:
    return livecodebench.verify(_question(functional, **question), f"```python\n{code}\n```")


def assert_fails(verdict: Verdict, *words: str) -> None:
    assert verdict.correct is False, verdict
    for word in words:
        assert word in verdict.reason, verdict.reason


@pytest.fixture(autouse=True, params=isolated_levels())
def pool(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> SandboxPool:
    """The pool `livecodebench.verify` uses, at each isolation level under test."""
    chosen = pool_for(request.param)
    monkeypatch.setattr(pool_module, "_default", chosen)
    return chosen


@pytest.fixture(autouse=True)
def host_unharmed(pool: SandboxPool) -> Iterator[None]:
    """After every hostile program: nothing of it is left running, and a good one passes."""
    yield
    if pool.uid_base is not None:  # the program's own processes: dead when run() returns
        assert uids_alive(pool.uid_base, pool.size) == []
    assert leftovers(pool) == []
    assert verify("print(42)").correct is True


def test_fork_bomb() -> None:
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    assert_fails(verify(code), "timeout")


def test_memory_hog() -> None:
    code = "chunks = []\nwhile True:\n    chunks.append(bytearray(64 << 20))\nprint(42)"
    assert_fails(verify(code), "memory")


def test_infinite_loop() -> None:
    started = time.monotonic()
    assert_fails(verify("while True:\n    pass\nprint(42)"), "timeout")
    assert time.monotonic() - started < TIMEOUT_S + 3


def test_sleep_past_the_limit() -> None:
    started = time.monotonic()
    assert_fails(verify("import time\ntime.sleep(60)\nprint(42)"), "timeout")
    assert time.monotonic() - started < TIMEOUT_S + 3


def test_huge_output() -> None:
    code = "import sys\nwhile True:\n    sys.stdout.write('42\\n' * 50000)"
    started = time.monotonic()
    assert_fails(verify(code), "output limit")
    assert time.monotonic() - started < TIMEOUT_S + 3


def test_writing_outside_its_folder(tmp_path: Path) -> None:
    targets = [tmp_path / "pwned", Path("/var/tmp") / f"judgeflow-pwned-{os.getpid()}"]
    tmp_path.chmod(0o777)  # even a folder anyone may write to stays out of reach
    code = (
        f"import os\nok = 0\nfor p in {[str(t) for t in targets]!r}:\n"
        "    try:\n        open(p, 'w').write('x')\n        ok += 1\n    except OSError:\n"
        "        pass\nprint(42 if ok == 2 and all(os.path.exists(p) for p in "
        f"{[str(t) for t in targets]!r}) else 0)"
    )
    verdict = verify(code)
    assert not any(t.exists() for t in targets)
    assert_fails(verdict, "wrong answer")


def test_reading_the_environment_for_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-judgeflow-test-secret"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    code = (
        "import os, glob\nseen = ' '.join(os.environ.values())\n"
        "for f in glob.glob('/proc/*/environ'):\n"
        "    try:\n        seen += open(f, 'rb').read().decode(errors='replace')\n"
        "    except OSError:\n        pass\n"
        f"print(42 if {secret!r} in seen else 0)"
    )
    assert_fails(verify(code), "wrong answer")


def test_opening_a_socket() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        code = (
            "import socket\ntry:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=0.5)\n"
            "    print(42)\nexcept OSError:\n    print(0)"
        )
        verdict = verify(code)
        server.settimeout(0.2)
        with pytest.raises(TimeoutError):
            server.accept()  # nothing ever connected
        assert_fails(verdict, "wrong answer")


def test_killing_its_parent() -> None:
    code = (
        "import os, signal, time\nparent = os.getppid()\nfor pid in (parent, 1):\n"
        "    for sig in (signal.SIGKILL, signal.SIGINT, signal.SIGTERM, signal.SIGSTOP):\n"
        "        try:\n            os.kill(pid, sig)\n        except OSError:\n"
        "            pass\ntime.sleep(0.2)\n"
        "print(42 if os.getppid() != parent or not os.path.exists('/proc/1') else 0)"
    )
    # A dead harness would give "cannot verify" (None); a verdict of False means it lived
    # (as PID 1 of the program's namespace it is shielded from the program's signals).
    assert_fails(verify(code), "wrong answer")


def test_signal_alarm_zero_does_not_lift_the_limit() -> None:
    code = (
        "import signal, time\nsignal.alarm(0)\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        "signal.setitimer(signal.ITIMER_REAL, 0)\ntime.sleep(60)\nprint(42)"
    )
    started = time.monotonic()
    assert_fails(verify(code), "timeout")
    assert time.monotonic() - started < TIMEOUT_S + 3


def test_rigged_eq_object() -> None:
    code = (
        "class Yes:\n    def __eq__(self, other):\n        return True\n"
        "class Solution:\n    def f(self, nums, k):\n        return Yes()"
    )
    assert_fails(verify(code, functional=True), "runtime error")


def test_rigged_eq_int_subclass() -> None:
    code = (
        "class Yes(int):\n    def __eq__(self, other):\n        return True\n"
        "    __hash__ = int.__hash__\n"
        "class Solution:\n    def f(self, nums, k):\n        return Yes(7)"
    )
    assert_fails(verify(code, functional=True), "wrong answer")


@pytest.mark.parametrize("close", ["os.close(1)", "sys.stdout.close()"])
def test_closing_stdout_early(close: str) -> None:
    assert_fails(verify(f"import os, sys\n{close}\nprint(42)"))


def test_os_exit_before_printing() -> None:
    assert_fails(verify("import os\nos._exit(0)\nprint(42)"), "wrong answer")


def test_os_exit_before_returning() -> None:
    code = "import os\nclass Solution:\n    def f(self, nums, k):\n        os._exit(0)"
    assert_fails(verify(code, functional=True), "no return value")


def test_detached_child_does_not_outlive_the_program(pool: SandboxPool) -> None:
    code = (
        "import os, time\ntry:\n    if os.fork() == 0:\n        os.setsid()\n"
        "        if os.fork() == 0:\n            time.sleep(60)\n        os._exit(0)\n"
        "except OSError:\n    pass  # no new processes where no cgroup bounds memory\n"
        "print(42)"
    )
    # A correct answer that leaves a daemon behind: it passes, and the fixture checks
    # that the daemon is gone.
    assert verify(code).correct is True


def test_deep_return_value_is_a_failure_with_a_reason() -> None:
    deep = "class Solution:\n    def f(self, nums, k):\n        x = []\n"
    deep += "        for _ in range(200000):\n            x = [x]\n        return x"
    assert_fails(verify(deep, functional=True), "runtime error")
    # Written straight to the result pipe, past the encoder: bounded when decoded.
    raw = (
        "import os\nclass Solution:\n    def f(self, nums, k):\n"
        "        os.write(3, b'[' * 200000 + b']' * 200000)\n        os._exit(0)"
    )
    assert_fails(verify(raw, functional=True), "nested deeper")
    garbage = (
        "import os\nclass Solution:\n    def f(self, nums, k):\n"
        "        os.write(3, b'\\xff{not json')\n        os._exit(0)"
    )
    assert_fails(verify(garbage, functional=True), "not JSON")
