"""The fake server as a separate program: READY line, JSONL log, clean SIGTERM exit."""

from __future__ import annotations

import signal
from pathlib import Path

import anyio
import orjson
import pytest

from fakes.process import fake_server_process
from fakes.wire import FakeRequest
from providers.openai import OpenAIProvider
from tests.providers.conftest import KEY, ask

pytestmark = pytest.mark.anyio


def shout(req: FakeRequest) -> str:
    """Script used by the program below (imported by MODULE:FUNC)."""
    return req.last_user.upper()


async def test_program_serves_logs_and_exits_on_sigterm(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    script = "tests.providers.test_server_program:shout"
    with fake_server_process("--script", script, "--faults", ",503", "--log", str(log)) as (
        proc,
        url,
    ):
        assert url.startswith("http://127.0.0.1:")  # from its READY line
        from providers.config import ProviderConfig
        from tests.providers.conftest import FAST_RETRY

        cfg = ProviderConfig(type="openai_compatible", retry=FAST_RETRY)
        async with OpenAIProvider("p", cfg, api_key=KEY, base_url=url) as p:  # root URL works
            first = await p.chat(ask("abc"))
            second = await p.chat(ask("def"))
        assert (first.text, second.text) == ("ABC", "DEF")
        # The server writes a line once the answer is out, so the last one may trail our read.
        with anyio.fail_after(5):
            while len(log.read_bytes().splitlines()) < 3:
                await anyio.sleep(0.01)
        entries = [orjson.loads(x) for x in log.read_bytes().splitlines()]
        assert [e["status"] for e in entries] == [200, 503, 200]
        assert all(e["complete"] for e in entries)
        assert entries[0]["body"]["messages"][-1]["content"] == "abc"
        assert KEY not in log.read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
