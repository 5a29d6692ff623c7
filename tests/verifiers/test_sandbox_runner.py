"""The sandbox runner and pool on real child processes: modes, limits, cleanup, parallelism."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from verifiers.sandbox import (
    Capabilities,
    Limits,
    SandboxPool,
    TestOutcome,
    Zygote,
    capabilities,
    run_in_sandbox,
    run_program,
    runner,
)

FAST = Limits(timeout_s=1.0, memory_mb=256)


def test_stdin_program_gets_each_input_and_its_output_comes_back() -> None:
    result = run_program("print(int(input()) * 2)", ["21\n", "5\n", "-1"])
    assert result.error is None
    assert [o.stdout for o in result.outcomes] == ["42\n", "10\n", "-2\n"]
    assert all(o.status == "ok" for o in result.outcomes)


def test_stdin_buffer_and_large_input_are_supported() -> None:
    data = "\n".join(str(n) for n in range(200_000)) + "\n"  # larger than a pipe buffer
    code = "import sys\nprint(sum(map(int, sys.stdin.buffer.read().split())))"
    result = run_program(code, [data])
    assert result.outcomes[0].stdout == f"{sum(range(200_000))}\n"


def test_functional_program_returns_json_of_its_value() -> None:
    code = (
        "class Solution:\n    def add(self, a: List[int], b: int) -> List[int]:\n"
        "        return [x + b for x in a]"
    )
    result = run_program(code, ["[1, 2]\n3", "[]\n0"], mode="functional", func_name="add")
    assert [o.result for o in result.outcomes] == ["[4, 5]", "[]"]


def test_tuples_and_sets_do_not_smuggle_objects() -> None:
    code = "class Solution:\n    def f(self, x):\n        return {1, 2}"
    out = run_program(code, ["1"], mode="functional", func_name="f").outcomes[0]
    assert out.status == "runtime_error"
    assert "not JSON serializable" in out.stderr


def test_common_names_are_predefined_without_shadowing_builtins() -> None:
    code = "print(pow(3, 200, 1000), gcd(12, 18), len(Counter('aab')), deque([1]).pop())"
    assert run_program(code, ["\n"]).outcomes[0].stdout == f"{pow(3, 200, 1000)} 6 2 1\n"


def test_runtime_error_keeps_the_traceback_tail() -> None:
    out = run_program("x = 1 // 0", ["\n"]).outcomes[0]
    assert out.status == "runtime_error"
    assert out.describe() == "runtime error: ZeroDivisionError: integer division or modulo by zero"


def test_sys_exit_zero_is_a_normal_end_and_nonzero_is_an_error() -> None:
    ok, bad = (
        run_program(f"print(1)\nimport sys\nsys.exit({c})", ["\n"]).outcomes[0] for c in (0, 3)
    )
    assert (ok.status, ok.stdout) == ("ok", "1\n")
    assert bad.status == "runtime_error"


def test_check_callback_stops_at_the_first_failure() -> None:
    seen: list[TestOutcome] = []

    def check(out: TestOutcome) -> bool:
        seen.append(out)
        return out.stdout == "ok\n"

    code = "x = input()\nprint('ok' if x == 'a' else 'no')"
    result = run_program(code, ["a", "b", "a", "a"], check=check)
    assert result.stopped_early
    assert [o.index for o in result.outcomes] == [0, 1]


def test_runtime_error_stops_the_remaining_tests() -> None:
    result = run_program("print(1 // int(input()))", ["1", "0", "1"], limits=FAST)
    assert [o.status for o in result.outcomes] == ["ok", "runtime_error"]


def test_cpu_limit_ends_a_busy_loop_and_wall_limit_ends_a_sleeper() -> None:
    busy, sleeper = (
        run_program(code, ["\n"], limits=FAST).outcomes[0]
        for code in ("while True:\n    pass", "import time\ntime.sleep(30)")
    )
    assert busy.status == sleeper.status == "timeout"
    assert sleeper.wall_s < 2.0


def test_working_folder_is_private_and_gone_afterwards() -> None:
    code = "import os\nopen('scratch.txt', 'w').write('x')\nprint(os.getcwd())"
    out = run_program(code, ["\n"]).outcomes[0]
    assert out.status == "ok"
    workdir = out.stdout.strip()
    if capabilities().namespaces:
        # Inside its own tmpfs: the host's folder of that name holds no scratch file.
        assert not os.path.exists(os.path.join(workdir, "scratch.txt"))
    else:
        assert not os.path.exists(workdir)


def test_environment_is_minimal() -> None:
    out = run_program("import os\nprint(sorted(os.environ))", ["\n"]).outcomes[0]
    assert out.stdout.strip() == str(
        sorted(["PATH", "LANG", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"])
    )


def test_program_runs_as_an_unprivileged_uid() -> None:
    if not capabilities().drop_uid:
        pytest.skip("needs root to switch uid")
    out = run_program("import os\nprint(os.getuid(), os.getgid())", ["\n"]).outcomes[0]
    uid, gid = map(int, out.stdout.split())
    assert uid != 0 and uid == gid


def test_pool_caps_parallel_programs_at_its_size() -> None:
    pool = SandboxPool(size=2)
    sleeper = "import time\ntime.sleep(0.5)\nprint(1)"
    started = time.monotonic()
    with ThreadPoolExecutor(6) as ex:
        results = list(ex.map(lambda _: pool.run(sleeper, ["\n"]), range(6)))
    elapsed = time.monotonic() - started
    assert all(r.outcomes[0].stdout == "1\n" for r in results)
    # Six half-second programs two at a time take at least three rounds...
    assert elapsed >= 1.45
    # ...and the two slots really do run side by side.
    assert elapsed < 2.9


def test_zygote_is_reused_and_stays_in_step_after_an_aborted_program() -> None:
    zygote = Zygote()
    try:
        slow_after_first = "import time\nx = input()\nif x == 'b':\n    time.sleep(30)\nprint(x)"
        first = run_in_sandbox(
            slow_after_first, ["a", "b"], uid=61992, zygote=zygote, check=lambda o: False
        )
        pid = zygote.pid
        assert first.stopped_early and len(first.outcomes) == 1
        started = time.monotonic()
        second = run_in_sandbox("print(input())", ["next"], uid=61992, zygote=zygote)
        assert second.outcomes[0].stdout == "next\n"
        assert time.monotonic() - started < 5  # did not wait for the aborted sleeper
        assert zygote.pid == pid  # same warm zygote
    finally:
        zygote.close()


def test_a_dead_zygote_is_replaced() -> None:
    zygote = Zygote()
    try:
        assert run_in_sandbox("print(1)", ["\n"], zygote=zygote).outcomes[0].stdout == "1\n"
        old = zygote.pid
        assert old is not None
        os.kill(old, signal.SIGKILL)
        os.waitpid(old, 0)
        result = run_in_sandbox("print(2)", ["\n"], zygote=zygote)
        assert result.outcomes[0].stdout == "2\n" and zygote.pid not in (None, old)
    finally:
        zygote.close()


def test_fallback_without_namespaces_still_isolates_and_says_so() -> None:
    if not capabilities().drop_uid:
        pytest.skip("the fallback relies on a per-slot uid, which needs root")
    degraded = Capabilities(False, True, ("no network or PID isolation: test",))
    code = (
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n"
        "print(os.getcwd())"
    )
    result = run_in_sandbox(code, ["\n"], uid=61990, caps=degraded)
    assert result.notes[0] == "no network or PID isolation: test"
    workdir = result.outcomes[0].stdout.strip()
    assert workdir.startswith("/tmp/") and not os.path.exists(workdir)
    deadline = time.monotonic() + 2
    while _live_pids_of(61990) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _live_pids_of(61990) == []


def test_fallback_contains_a_fork_bomb() -> None:
    if not capabilities().drop_uid:
        pytest.skip("the fallback relies on a per-slot uid, which needs root")
    degraded = Capabilities(False, True, ("no network or PID isolation: test",))
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    result = run_in_sandbox(code, ["\n"], uid=61991, limits=FAST, caps=degraded)
    assert result.outcomes[0].status == "timeout"
    deadline = time.monotonic() + 2
    while _live_pids_of(61991) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _live_pids_of(61991) == []


def _live_pids_of(uid: int) -> list[str]:
    """Processes of `uid` that are not already dead (zombies wait only for a reaper)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
        except OSError:
            continue
        if int(fields["Uid"].split()[0]) == uid and not fields["State"].strip().startswith("Z"):
            found.append(pid)
    return found


def test_packages_installed_under_tmp_are_importable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A virtualenv under /tmp (a CI clone) must stay importable although the sandbox
    mounts a private tmpfs over /tmp."""
    lib = tmp_path / "site-packages"
    lib.mkdir()
    (lib / "judgeflow_probe_mod.py").write_text("VALUE = 42\n")
    lib.chmod(0o755)
    for parent in lib.parents:
        if str(parent) == "/":
            break
        parent.chmod(parent.stat().st_mode | 0o055)
    original = runner._lib_paths()
    monkeypatch.setattr(runner, "_lib_paths", lambda: (*original, str(lib)))
    out = run_program("import judgeflow_probe_mod\nprint(judgeflow_probe_mod.VALUE)", ["\n"])
    assert out.outcomes[0].status == "ok", out.outcomes[0]
    assert out.outcomes[0].stdout == "42\n"
