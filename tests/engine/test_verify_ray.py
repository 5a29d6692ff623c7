"""The Ray verification backend against a real local Ray cluster (extra `ray`).

One cluster for the session (`ray start --head`, 2 CPUs, tests/ray_cluster.py). The real
LiveCodeBench sample is verified through it and locally, and the verdicts must be equal;
a Ray worker killed while it runs a check makes Ray run the check again, and the verdict
is the right one; an engine run with `verify: {backend: ray}` writes the same verdicts as
one with the local backend once every check is final (a check that timed out is checked
again on resume, on Ray as locally), and resumes without checking a final verdict again.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import anyio
import pytest

from engine.jobload import load_job
from engine.jobspec import VerifySpec
from engine.run import run_job
from engine.verify_backend import TASK_NAME, LocalBackend, RayBackend
from tests.engine.helpers import read_jsonl
from tests.ray_cluster import descendants, ray_cluster, title
from verifiers import livecodebench as lcb
from verifiers.base import RETRIED_KINDS, Question, Verdict

ray = pytest.importorskip("ray", reason="the `ray` extra is not installed")

SAMPLE = "sources/livecodebench_release_v1_public_tests_sample100.jsonl"
# Problems whose published programs brute-force for seconds per test even on a quiet core
# (tens of seconds under load): the conformance test runs them; here they would only cost.
SLOW = frozenset({"abc319_c", "abc328_e"})
DEMO_LCB = Path(__file__).resolve().parents[2] / "jobs" / "demo_data" / "livecodebench.jsonl"


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """(address, pid of `ray start`); Ray start-up is paid once per session."""
    old = os.environ.get("RAY_AUTH_MODE")
    os.environ["RAY_AUTH_MODE"] = "disabled"  # the cluster's setting; the driver must match
    try:
        with ray_cluster(tmp_path_factory.mktemp("ray")) as (address, proc):
            yield address, proc.pid
    finally:
        if old is None:
            os.environ.pop("RAY_AUTH_MODE", None)
        else:
            os.environ["RAY_AUTH_MODE"] = old


def _backend(address: str, retries: int = 3) -> RayBackend:
    spec = VerifySpec(backend="ray", address=address, retries=retries)
    return RayBackend(spec, "auto", LocalBackend(2))


def _coding_jobs(data: Path) -> list[tuple[Question, str]]:
    """Every JudgeBench coding response to a problem of the sample, with its problem."""
    links = {}
    for line in (data / "sources" / "judgebench_source_links.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["source"] == "livecodebench":
            links[row["pair_id"]] = row["link_value"]
    # A generous per-test limit, as in the conformance test: no verdict near the limit.
    loaded = lcb.load(data / SAMPLE, timeout_s=20)
    questions = {q.meta["question_id"]: q for q in loaded if q.meta["question_id"] not in SLOW}
    jobs = []
    for path in sorted((data / "judgebench").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            p = json.loads(line)
            q = questions.get(links.get(p["pair_id"], ""))
            if p["source"] == "livecodebench" and q is not None:
                # The published responses are bare code; the engine's answers are fenced.
                jobs += [(q, f"```python\n{p[k]}\n```") for k in ("response_A", "response_B")]
    return jobs


async def _all(
    check: Callable[[Question, str], Awaitable[Verdict]], jobs: list[tuple[Question, str]]
) -> list[Verdict]:
    out: list[Verdict | None] = [None] * len(jobs)

    async def one(n: int) -> None:
        out[n] = await check(*jobs[n])

    async with anyio.create_task_group() as tg:
        for n in range(len(jobs)):
            tg.start_soon(one, n)
    return [v for v in out if v is not None]


async def _settled(
    check: Callable[[Question, str], Awaitable[Verdict]],
    verdicts: list[Verdict],
    jobs: list[tuple[Question, str]],
) -> list[Verdict]:
    # A wall-clock timeout, or a sandbox that could not finish, on a loaded machine is not
    # a verdict on the code: such a program is run once more, alone, on the same backend,
    # before it counts (as in the conformance test).
    out = []
    for job, v in zip(jobs, verdicts, strict=True):
        out.append(await check(*job) if "timeout" in v.reason or v.correct is None else v)
    return out


def test_ray_verdicts_equal_the_local_ones_on_the_livecodebench_sample(
    cluster: tuple[str, int], shared_data: Path
) -> None:
    jobs = _coding_jobs(shared_data)
    assert len(jobs) > 100

    async def main() -> tuple[list[Verdict], list[Verdict], int]:
        local = LocalBackend(2)
        backend = _backend(cluster[0])
        await backend.start()
        try:
            remote = await _all(backend.check, jobs)
            sent = sum(backend.by_host.values())
            remote = await _settled(backend.check, remote, jobs)
        finally:
            await backend.close()
        here = await _all(local.check, jobs)
        return await _settled(local.check, here, jobs), remote, sent

    here, there, sent = anyio.run(main)
    assert sent == len(jobs)  # every code check went to the cluster
    assert there == here
    outcomes = {v.correct for v in here}
    assert outcomes == {True, False}  # the sample has passing and failing programs


def _running_check(ray_start_pid: int) -> int | None:
    """The pid of the cluster's worker that is running a check now, if any."""
    for pid in descendants(ray_start_pid):
        if title(pid).startswith(f"ray::{TASK_NAME}"):
            return pid
    return None


SLOW_SUM = (
    "```python\nimport time\ntime.sleep(4)\na, b = map(int, input().split())\nprint(a + b)\n```"
)


def _sum_question() -> Question:
    return next(iter(lcb.load(DEMO_LCB, limit=1, timeout_s=30)))


def _kill_while_running(ray_start_pid: int) -> int:
    deadline = time.monotonic() + 60
    while (pid := _running_check(ray_start_pid)) is None:
        assert time.monotonic() < deadline, "no worker ran the check"
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return pid


def test_a_killed_ray_worker_gives_a_retried_check_not_a_wrong_verdict(
    cluster: tuple[str, int],
) -> None:
    q = _sum_question()
    assert q.meta["question_id"] == "demo_001"
    expected = lcb.verify(q, SLOW_SUM)
    for _ in range(2):  # a failed check is no verdict: checked again, as a resume would
        if expected.final:
            break
        expected = lcb.verify(q, SLOW_SUM)
    assert expected.correct is True

    async def main(retries: int) -> tuple[Verdict | BaseException, int, tuple[str, int] | None]:
        backend = _backend(cluster[0], retries)
        await backend.start()
        try:
            result: list[Verdict | BaseException] = []

            async def check() -> None:
                try:
                    result.append(await backend.check(q, SLOW_SUM))
                except Exception as exc:
                    result.append(exc)

            async with anyio.create_task_group() as tg:
                tg.start_soon(check)
                killed = await anyio.to_thread.run_sync(_kill_while_running, cluster[1])
            return result[0], killed, backend.last_worker
        finally:
            await backend.close()

    verdict, killed, worker = anyio.run(main, 2)
    assert verdict == expected  # the same verdict as if nothing had happened
    assert worker is not None and worker[1] != killed  # ...reached by another worker
    assert (
        not Path(f"/proc/{killed}").exists()
        or "zombie" in Path(f"/proc/{killed}/status").read_text().lower()
    )

    # With no retries left, a lost worker is a failed check (the verify stage records it
    # as a verifier error: no verdict), never a verdict on the answer.
    lost, _, _ = anyio.run(main, 0)
    assert isinstance(lost, ray.exceptions.RayError)


def test_checks_in_flight_never_pass_max_in_flight(cluster: tuple[str, int]) -> None:
    """Back-pressure: with one place in flight, four checks sent at once go one by one."""
    q = _sum_question()
    answer = SLOW_SUM.replace("time.sleep(4)", "time.sleep(0.5)")

    async def main() -> tuple[list[Verdict], int]:
        spec = VerifySpec(backend="ray", address=cluster[0], max_in_flight=1)
        backend = RayBackend(spec, "auto", LocalBackend(2))
        await backend.start()
        peak = 0
        try:
            async with anyio.create_task_group() as tg:

                async def watch() -> None:
                    nonlocal peak
                    while True:
                        peak = max(peak, backend.in_flight)
                        await anyio.sleep(0.005)

                tg.start_soon(watch)
                verdicts = await _all(backend.check, [(q, answer)] * 4)
                tg.cancel_scope.cancel()
        finally:
            await backend.close()
        return verdicts, peak

    verdicts, peak = anyio.run(main)
    assert peak == 1
    assert [v.correct for v in verdicts] == [True] * 4


JOB = """
name: {name}
output_dir: {out}
seed: 5
providers:
  fake: {{type: openai_compatible, base_url: "{url}", max_concurrency: 8}}
sources:
  - {{format: livecodebench, path: {src}, options: {{timeout_s: 1}}}}
response_model: {{provider: fake, model: coder, samples: 4, temperature: 0.7}}
verify: {verify}
"""


def test_an_engine_run_on_ray_writes_the_local_verdicts_and_resumes(
    cluster: tuple[str, int], tmp_path: Path
) -> None:
    from fakes.process import fake_server_process

    def run(name: str, verify: str) -> list[dict]:
        job = tmp_path / f"{name}.yaml"
        job.write_text(JOB.format(name=name, out=tmp_path, url=url, src=DEMO_LCB, verify=verify))
        loaded = load_job(job, env={})
        result = anyio.run(lambda: run_job(loaded, quiet=True, report=False))
        assert result.exit_code == 0
        return read_jsonl(tmp_path / name / "verdicts.jsonl")

    def settled(name: str, verify: str) -> dict[str, dict]:
        # A check that hit the wall-clock backstop or failed is no verdict (main's
        # RETRIED_KINDS): a resume checks it again, on the same backend, until it is final.
        rows = run(name, verify)
        for _ in range(3):
            last = {v["response_key"]: v for v in rows}  # a later line wins
            retried = [v for v in last.values() if v["kind"] in RETRIED_KINDS]
            if not retried:
                break
            rows = run(name, verify)
            stats = json.loads((tmp_path / name / "stats.json").read_text())
            assert stats["stages"]["verify"]["reused"] == len(last) - len(retried)
        return {v["response_key"]: v for v in rows}

    ray_verify = f"{{backend: ray, address: '{cluster[0]}'}}"
    script = "tests.engine.scripts:code_answers"
    with fake_server_process("--script", script, "--log", str(tmp_path / "log")) as (_, url):
        here = settled("local", "{backend: local}")
        there = settled("ray", ray_verify)
        lines = len(read_jsonl(tmp_path / "ray" / "verdicts.jsonl"))
        again = run("ray", ray_verify)  # a resume
    assert len(here) == 6 * 4
    assert there == here
    assert {v["correct"] for v in here.values()} == {True, False}
    assert not any(v["kind"] in RETRIED_KINDS for v in there.values())
    assert len(again) == lines  # nothing final was checked twice
    stats = json.loads((tmp_path / "ray" / "stats.json").read_text())
    assert stats["stages"]["verify"]["reused"] == len(there)
