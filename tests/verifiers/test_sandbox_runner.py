"""The sandbox runner and pool on real child processes: modes, limits, cleanup, parallelism."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.verifiers.sandbox_levels import isolated_levels, leftovers, pool_for, uids_alive
from verifiers.sandbox import Limits, SandboxPool, TestOutcome, interpreter_view, run_program
from verifiers.sandbox.layout import SITE

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
    # Inside its own tmpfs: the host's folder of that name holds no scratch file.
    assert not os.path.exists(os.path.join(workdir, "scratch.txt"))


def test_environment_is_minimal() -> None:
    out = run_program("import os\nprint(sorted(os.environ))", ["\n"]).outcomes[0]
    assert out.stdout.strip() == str(
        sorted(["PATH", "LANG", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"])
    )


@pytest.mark.parametrize("level", isolated_levels())
def test_program_runs_as_an_unprivileged_uid(level: str) -> None:
    pool = pool_for(level)
    out = pool.run("import os\nprint(os.getuid(), os.getgid())", ["\n"]).outcomes[0]
    uid, gid = map(int, out.stdout.split())
    if level == "root":
        assert uid == gid
        assert pool.uid_base is not None and uid in range(pool.uid_base, pool.uid_base + 64)
    else:
        assert (uid, gid) == (os.getuid(), os.getgid())  # a user namespace maps only ours


def test_pool_caps_parallel_programs_at_its_size() -> None:
    pool = SandboxPool(size=2)
    try:
        sleeper = "import time\ntime.sleep(0.5)\nprint(1)"
        pool.run("print(1)", ["\n"])  # both slots warm before the clock starts
        pool.run("print(1)", ["\n"])
        started = time.monotonic()
        with ThreadPoolExecutor(6) as ex:
            results = list(ex.map(lambda _: pool.run(sleeper, ["\n"]), range(6)))
        elapsed = time.monotonic() - started
    finally:
        pool.close()
    assert all(r.outcomes[0].stdout == "1\n" for r in results)
    # Six half-second programs two at a time take at least three rounds...
    assert elapsed >= 1.45
    # ...and the two slots really do run side by side.
    assert elapsed < 2.9


@pytest.mark.parametrize("level", isolated_levels())
def test_a_slot_is_reused_and_stays_in_step_after_an_aborted_program(level: str) -> None:
    pool = SandboxPool(1, level=level)  # type: ignore[arg-type]
    try:
        slow_after_first = "import time\nx = input()\nif x == 'b':\n    time.sleep(30)\nprint(x)"
        first = pool.run(slow_after_first, ["a", "b"], check=lambda o: False)
        (pid,) = pool.slot_pids()
        assert first.stopped_early and len(first.outcomes) == 1
        started = time.monotonic()
        second = pool.run("print(input())", ["next"])
        assert second.outcomes[0].stdout == "next\n"
        assert time.monotonic() - started < 5  # did not wait for the aborted sleeper
        assert pool.slot_pids() == [pid]  # same warm sandbox
    finally:
        pool.close()


@pytest.mark.parametrize("level", isolated_levels())
def test_a_dead_sandbox_is_replaced(level: str) -> None:
    pool = SandboxPool(1, level=level)  # type: ignore[arg-type]
    try:
        assert pool.run("print(1)", ["\n"]).outcomes[0].stdout == "1\n"
        (old,) = pool.slot_pids()
        os.kill(old, signal.SIGKILL)
        os.waitpid(old, 0)
        result = pool.run("print(2)", ["\n"])
        assert result.outcomes[0].stdout == "2\n" and pool.slot_pids() not in ([], [old])
    finally:
        pool.close()


@pytest.mark.parametrize("level", isolated_levels())
def test_a_fork_bomb_is_contained_and_nothing_is_left(level: str) -> None:
    pool = pool_for(level)
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    result = pool.run(code, ["\n"], limits=FAST)
    assert result.outcomes[0].status == "timeout"
    assert leftovers(pool) == []
    if pool.uid_base is not None:
        assert uids_alive(pool.uid_base, pool.size) == []


def test_only_the_allowed_packages_are_importable() -> None:
    code = (
        "import importlib\nfor name in ('sortedcontainers', 'judgeflow', 'verifiers', 'pytest', "
        "'orjson'):\n    try:\n        importlib.import_module(name)\n        print(name, 'yes')\n"
        "    except ImportError:\n        print(name, 'no')"
    )
    out = run_program(code, ["\n"]).outcomes[0]
    assert out.stdout == (
        "sortedcontainers yes\njudgeflow no\nverifiers no\npytest no\norjson no\n"
    )
    assert any(dest.startswith(SITE) for dest in interpreter_view().visible())
