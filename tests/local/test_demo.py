"""The offline demo for real: the packaged SmolLM2 model behind llama.cpp's server answers,
is verified, paired, and judges in both orders; the server is gone afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson
import pytest

from tests.local.helpers import marked_env, needs_model, server_pids, wait_gone

pytestmark = [pytest.mark.local_model, needs_model]

REPO = Path(__file__).resolve().parents[2]
JUDGES = 2  # jobs/demo.yaml


def records(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def demo_command(out: Path, *extra: str) -> list[str]:
    """`python -m engine run jobs/demo.yaml --quiet` writing under `out`."""
    run = ["-m", "engine", "run", "jobs/demo.yaml", "--quiet", "--set", f"output_dir={out}"]
    return [sys.executable, *run, *extra]


def run_demo(
    out: Path, *extra: str, timeout: float = 600
) -> tuple[subprocess.CompletedProcess[str], set[int], set[int]]:
    """Run the demo to its end. Also return the llama.cpp servers of this demo seen while it
    ran, and those still running once it has exited. A server is the demo's when it carries
    a marker in the environment it inherited, so servers that other checkouts on the same
    machine run at the same time are not counted."""
    marker = uuid.uuid4().hex
    logs = {name: out / f"demo.{name}" for name in ("stdout", "stderr")}
    seen: set[int] = set()
    with open(logs["stdout"], "w") as stdout, open(logs["stderr"], "w") as stderr:
        proc = subprocess.Popen(
            demo_command(out, *extra),
            cwd=REPO,
            text=True,
            stdout=stdout,
            stderr=stderr,
            env=marked_env(marker),
        )
        deadline = time.monotonic() + timeout
        try:
            while proc.poll() is None:
                assert time.monotonic() < deadline, f"the demo took more than {timeout} s"
                seen |= server_pids(marker)
                time.sleep(0.5)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    left = server_pids(marker)  # right after the demo exited: any is a leak
    texts = {name: path.read_text() for name, path in logs.items()}
    done = subprocess.CompletedProcess(proc.args, proc.returncode, texts["stdout"], texts["stderr"])
    return done, seen, left


@pytest.mark.slow  # about 2 minutes on an idle 2-core machine
# The demo's own subprocess limit (600 s) decides, not pytest-timeout's 300 s default:
# on a loaded machine the real model is slower, and that is not a failure of the demo.
@pytest.mark.timeout(700)
def test_demo_job_runs_for_real(tmp_path: Path) -> None:
    # Four samples of two questions per source: enough for some right/wrong pairs.
    done, seen, left = run_demo(tmp_path, "--limit", "2", "--set", "response_model.samples=4")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # The demo's server was seen while it ran (so the marker reaches it and the next check
    # can fail), and none of the demo's servers outlives it.
    assert seen, "no llama.cpp server of this demo was seen running"
    assert not left, "the demo left a llama.cpp server running"
    run = tmp_path / "demo"

    responses = records(run / "responses.jsonl")
    assert len(responses) == 4 * 2 * 4  # sources x --limit x samples
    assert all(r["error"] is None and r["text"] for r in responses)
    assert len({r["request_key"] for r in responses}) == len(responses)

    # Grammars make every answer parse: each verdict extracted an answer, right or wrong.
    verdicts = records(run / "verdicts.jsonl")
    assert len(verdicts) == len(responses)
    unparsed = [v for v in verdicts if v["task"] != "livecodebench" and v["extracted"] is None]
    assert not unparsed, unparsed
    assert any(v["correct"] is False for v in verdicts)

    pairs = records(run / "pairs.jsonl")
    assert pairs, "no question got both a right and a wrong answer"
    for p in pairs:
        assert p["label"] in ("A>B", "B>A") and p["response_A"] != p["response_B"]

    judgments = records(run / "judgments.jsonl")
    assert len(judgments) == len(pairs) * JUDGES * 2
    assert {j["order"] for j in judgments} == {"AB", "BA"}
    # The verdict grammars make every judgment a decision.
    assert all(j["error"] is None and j["decision"] is not None for j in judgments)
    scores = records(run / "scores.jsonl")
    assert len(scores) == len(pairs) * JUDGES
    assert {s["outcome"] for s in scores} <= {"correct", "incorrect", "tie"}

    report = (run / "report.md").read_text()
    assert "smollm2-vanilla" in report and "smollm2-arena-hard" in report


def test_demo_interrupted_stops_its_server(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        demo_command(tmp_path),
        cwd=REPO,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        # Wait until the engine's server child is up and answering calls.
        responses = tmp_path / "demo" / "responses.jsonl"
        deadline = time.monotonic() + 120
        while not (responses.exists() and responses.stat().st_size) and proc.poll() is None:
            assert time.monotonic() < deadline, "the demo wrote no answer in 120 s"
            time.sleep(0.2)
        children = {pid for pid in server_pids() if _parent(pid) == proc.pid}
        assert len(children) == 1
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, out[-2000:]
    assert all(wait_gone(pid, 1.0) for pid in children)


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])
