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


async def _saturate(p: HTTPProvider, calls: int, workers: int, **kw: object) -> None:
    """`workers` tasks share `calls` calls, back to back: the limit binds the whole time."""
    left = calls

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await p.chat(ask(**kw))

    async with anyio.create_task_group() as tg:
        for _ in range(workers):
            tg.start_soon(worker)


async def test_openai_max_tokens_charged_up_front_meets_no_429() -> None:
    """OpenAI counts prompt + max_tokens x n when a request arrives, whatever the answer uses.
    With the limits given, a saturated run against a one-second bucket meets no 429, and the
    server charged every call its cap (a client that settled with the ~17 tokens used instead
    of the ~116 charged sends 6x too fast and meets 429s at once)."""
    tpm = 60_000  # 1,000 tokens/s, the bucket holds 1,000
    async with FakeServer(lambda r: "fine", tpm=tpm, rpm=6000, burst=1.0) as srv:
        async with make_provider(
            "openai", srv, tokens_per_minute=tpm, requests_per_minute=6000
        ) as p:
            t0 = anyio.current_time()
            await _saturate(p, 45, 16, max_tokens=100)
            wall = anyio.current_time() - t0
    assert p.stats.completed == 45
    assert 429 not in _statuses(srv)
    charged = sum(e["charged"] for e in srv.requests)
    assert all(e["charged"] > 100 for e in srv.requests)  # prompt + max_tokens
    assert charged <= 1000 + wall * 1000  # the bucket plus the rate: no more was allowed


async def test_openai_n_choices_are_charged_max_tokens_each() -> None:
    tpm = 60_000
    async with FakeServer(lambda r: "fine", tpm=tpm, burst=1.0) as srv:
        async with make_provider("openai", srv, tokens_per_minute=tpm, sampling="batched") as p:

            async def worker() -> None:
                for _ in range(3):
                    await p.chat_many(ask(model="gpt-4o", max_tokens=60), 3)

            async with anyio.create_task_group() as tg:
                for _ in range(6):
                    tg.start_soon(worker)
    assert 429 not in _statuses(srv)
    assert all(e["charged"] > 180 for e in srv.requests)  # prompt + 60 x 3


async def test_anthropic_input_and_output_limits_apart_meet_no_429() -> None:
    """Anthropic: input tokens/min count the prompt; output tokens/min take max_tokens at the
    start and are settled to the real output at the end. Output binds here: 16 calls in flight
    would hold 800 output tokens, the bucket holds 200."""
    async with FakeServer(
        lambda r: "fine", tpm=600_000, otpm=12_000, burst=1.0, latency=0.05
    ) as srv:
        async with make_provider(
            "anthropic", srv, tokens_per_minute=600_000, output_tokens_per_minute=12_000
        ) as p:
            await _saturate(p, 30, 16, max_tokens=50)
            assert p.limiter("m1").output_budget is not None
    assert p.stats.completed == 30
    assert 429 not in _statuses(srv)
    async with FakeServer(
        lambda r: "fine", tpm=600_000, otpm=12_000, burst=1.0, latency=0.05
    ) as srv:
        async with make_provider("anthropic", srv, tokens_per_minute=600_000) as unpaced:
            await _saturate(unpaced, 30, 16, max_tokens=50)
    # Without the output limit given, the same run is refused (before the headers teach it).
    assert _statuses(srv).count(429) >= 1


async def test_gemini_limits_per_model_meet_no_429() -> None:
    """Gemini states its limits per model: the job gives them per model glob."""
    from providers.config import RateLimits

    async with FakeServer(lambda r: "fine", rpm=600, burst=1.0) as srv:
        limits = {"gemini-*-flash": RateLimits(requests_per_minute=600)}
        async with make_provider("gemini", srv, rate_limits=limits) as p:
            await _saturate(p, 25, 16, model="gemini-2.0-flash")
            assert p.limiter("gemini-2.0-flash").rpm == 600
            assert p.limiter("other").rpm is None
    assert p.stats.completed == 25
    assert 429 not in _statuses(srv)
