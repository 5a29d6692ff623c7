"""Batch mode over real HTTP against the fake batch APIs: the same records as online."""

from __future__ import annotations

from pathlib import Path

import anyio
import orjson
import pytest

from engine.exitcodes import ExitCode
from engine.jobload import load_job
from engine.run import run_job
from fakes.server import FakeServer
from tests.batch.helpers import ALL, KEY_ENV, PAID, batch_job, costless, records, submitted
from tests.batch.scripts import answer
from tests.engine.helpers import read_jsonl

APIS = ("openai", "anthropic", "gemini")


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "k")


def _run(job: Path, **server: object) -> tuple[int, list[dict]]:
    async def main() -> tuple[int, list[dict]]:
        async with FakeServer(answer, batch_delay=0.1, **server) as srv:  # type: ignore[arg-type]
            text = job.read_text().replace("URL", srv.url)
            job.write_text(text)
            result = await run_job(load_job(job), quiet=True, report=False)
            return result.exit_code, list(srv.requests)

    return anyio.run(main)


@pytest.mark.parametrize("api", APIS)
def test_batch_run_gives_the_online_records(tmp_path: Path, api: str) -> None:
    online = batch_job(tmp_path, "online", api, "URL", mode="online")
    batch = batch_job(tmp_path, "batch", api, "URL", mode="batch")
    code, online_log = _run(online)
    assert code == ExitCode.OK
    code, batch_log = _run(batch)
    assert code == ExitCode.OK
    runs = tmp_path / "runs"
    # Every record equal by key and content; batch answers cost half the online price.
    for name in ALL:
        if name in PAID:
            assert costless(runs / "batch", name) == costless(runs / "online", name), name
        else:
            assert records(runs / "batch", name) == records(runs / "online", name), name
    online_cost, batch_cost = (
        sum(r["usage"]["cost"] for name in PAID for r in read_jsonl(runs / run / name))
        for run in ("online", "batch")
    )
    assert online_cost > 0 and batch_cost == pytest.approx(online_cost / 2)
    # stats.json sums those records (engine/usage.py): the batch price, on the real provider.
    stats = orjson.loads((runs / "batch" / "stats.json").read_bytes())
    assert stats["usage"]["cost"] == pytest.approx(batch_cost)
    assert stats["providers"]["p"]["cost"] == pytest.approx(batch_cost)
    # Online calls went to the chat endpoint, batch ones only through the batch API, each
    # request once, with its request key as custom_id.
    assert online_log and all(e.get("op") is None for e in online_log)
    assert not [e for e in batch_log if e.get("op") is None]
    sent = submitted(batch_log)
    keys = {r["request_key"] for name in PAID for r in read_jsonl(runs / "batch" / name)}
    assert set(sent) == keys and set(sent.values()) == {1}
    ledger = read_jsonl(runs / "batch" / "batches.jsonl")
    events = {e["event"] for e in ledger}
    assert {"prepared", "submitted", "ended"} <= events
    assert read_jsonl(runs / "batch" / "judgments.jsonl")  # the judge stage batched too
