"""Client limits against a fake that enforces requests/min and tokens/min like the real APIs."""

from __future__ import annotations

import anyio
import pytest

from fakes.server import FakeServer
from providers.http import HTTPProvider
from tests.providers.conftest import ask, make_provider

pytestmark = pytest.mark.anyio


async def _burst(p: HTTPProvider, n: int, **kw: object) -> None:
    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(p.chat, ask(**kw))


def _statuses(srv: FakeServer) -> list[int]:
    return [e["status"] for e in srv.requests]


@pytest.mark.parametrize("api", ["openai", "anthropic", "gemini"])
async def test_configured_rpm_avoids_429s_that_an_unpaced_client_gets(api: str) -> None:
    # 1,200/min held to a 1-second bucket: at most 20 requests in any second.
    async with FakeServer(lambda r: "ok", rpm=1200, burst=1.0) as srv:
        async with make_provider(api, srv, requests_per_minute=1200) as paced:
            await _burst(paced, 30)
        assert 429 not in _statuses(srv) and paced.stats.completed == 30
    async with FakeServer(lambda r: "ok", rpm=1200, burst=1.0) as srv:
        async with make_provider(api, srv) as unpaced:
            await _burst(unpaced, 30)
        # It still finishes (back off, recover), but only after the server said 429.
        assert unpaced.stats.completed == 30
        assert unpaced.stats.rate_limited >= 5 and _statuses(srv).count(429) >= 5


@pytest.mark.parametrize("api", ["openai", "anthropic"])
async def test_limit_headers_are_adopted_before_any_429(api: str) -> None:
    async with FakeServer(lambda r: "ok", rpm=1200, burst=1.0) as srv:
        async with make_provider(api, srv) as p:
            await p.chat(ask())  # learns the limit from the headers
            assert p.stats.requests_per_minute_limit == 1200
            await _burst(p, 40)
    assert p.stats.completed == 41
    assert _statuses(srv).count(429) <= 1


async def test_configured_tpm_budget_avoids_429s() -> None:
    # 30,000 tokens/min in a 1-second bucket = 500 tokens/s; each call is ~16 tokens.
    async with FakeServer(lambda r: "fine", tpm=30_000, burst=1.0) as srv:
        async with make_provider("openai", srv, tokens_per_minute=30_000) as p:
            await _burst(p, 60, max_tokens=20)
    assert p.stats.completed == 60
    assert 429 not in _statuses(srv)
    assert p.stats.tokens_per_minute_limit == 30_000
