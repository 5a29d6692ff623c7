"""Batch mode around the run: a cancelled batch sent again on resume, the live view's batch
table, --dry-run's two prices, and a job that asks a batch of an API without one."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from rich.console import Console

from engine.batching.collector import BatchingProvider
from engine.batching.commands import cancel_batches
from engine.batching.ledger import BatchInfo, Ledger, Request
from engine.cli import main
from engine.context import RunCounters
from engine.exitcodes import ExitCode
from engine.jobload import JobError, load_job
from engine.progress import ProgressView
from engine.run import run_job
from fakes.server import FakeServer
from providers.config import ProviderConfig
from providers.openai import OpenAIProvider
from tests.batch.helpers import KEY_ENV, batch_job, submitted
from tests.batch.scripts import answer
from tests.engine.helpers import read_jsonl


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "k")


def test_a_cancelled_batch_is_sent_again_on_resume(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs" / "c"

    async def main_() -> list[dict]:
        async with FakeServer(answer, batch_delay=60) as srv:
            job = batch_job(tmp_path, "c", "openai", srv.url)
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: run_job(load_job(job), quiet=True, report=False))
                while not any(
                    e["event"] == "submitted" for e in read_jsonl(run_dir / "batches.jsonl")
                ):
                    await anyio.sleep(0.01)
                tg.cancel_scope.cancel()  # the run stops with its batch out
            lines = await cancel_batches(run_dir)
            assert len(lines) == 1 and "cancelled" in lines[0]
            srv.batch.delay = 0.05
            result = await run_job(load_job(job), quiet=True, report=False)
            assert result.exit_code == ExitCode.OK
            return list(srv.requests)

    log = anyio.run(main_)
    ledger = read_jsonl(run_dir / "batches.jsonl")
    first = ledger[0]["requests"]
    ended = next(e for e in ledger if e["event"] == "ended" and e["batch"] == ledger[0]["batch"])
    assert ended["ending"] == "cancelled" and set(ended["again"]) == {c for c, _, _ in first}
    sent = submitted(log)
    assert {k for k, n in sent.items() if n == 2} == {c for c, _, _ in first}
    assert [e for e in log if e.get("op") == "cancel"]


def test_the_live_view_shows_each_batch(tmp_path: Path) -> None:
    config = ProviderConfig(type="openai", mode="batch")
    inner = OpenAIProvider("p", config, api_key="k", base_url="http://127.0.0.1:9/v1")
    ledger = Ledger(tmp_path)
    info = BatchInfo(
        "b1", "p", "gpt-x", [Request("k1", "k1", "h1"), Request("k2", "k2", "h2")], 0.0
    )
    ledger.prepared(info)
    ledger.write("submitted", info, remote_id="batch_abc", state="validating")
    ledger.write("state", info, state="in_progress", counts={"total": 2, "completed": 1})
    view = ProgressView(
        RunCounters(), {"p": BatchingProvider(inner, ledger, anyio.Event())}, title="t"
    )
    console = Console(record=True, width=200)
    console.print(view.render())
    text = console.export_text()
    assert "batch_abc" in text and "in_progress" in text and "total 2, completed 1" in text
    assert "0 ended; 0 calls waiting" in text
    assert "p: 1 batches out (in_progress), 0 waiting" in view.plain_line()
    ledger.close()


def test_dry_run_shows_the_online_and_the_batch_price(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = batch_job(tmp_path, "d", "openai", "http://127.0.0.1:9", n=4)
    assert main(["run", str(job), "--dry-run"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "cost online $" in out and "cost batch $" in out
    row = next(line for line in out.splitlines() if "p/answerer" in line)
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    assert cells[4] == "batch" and float(cells[6]) == pytest.approx(float(cells[5]) / 2, rel=0.05)
    # The token counts stay upper bounds: every answer at its whole cap (max_tokens: 64).
    assert int(cells[1]) > 0 and int(cells[3]) == 64 * int(cells[1])
    online = float(out.split("all online: $")[1].split(";")[0])
    batch = float(out.split("where the API has them: $")[1].split()[0])
    total = float(out.split("estimated cost at most $")[1].split()[0])
    assert online > 0 and batch == pytest.approx(online / 2, abs=0.01) and total == batch
    assert not (tmp_path / "runs").exists()


def test_batch_mode_needs_an_api_that_has_it(tmp_path: Path) -> None:
    job = batch_job(tmp_path, "v", "openai", "http://127.0.0.1:9", judge_mode="batch")
    job.write_text(
        job.read_text()
        .replace("type: openai", "type: openai_compatible")
        .replace("mode: batch\n", "mode: online\n")
    )
    with pytest.raises(JobError) as err:
        load_job(job)
    assert any(
        "judges.0.mode" in p and "has no batch API" in p and "v.yaml:" in p
        for p in err.value.problems
    )
