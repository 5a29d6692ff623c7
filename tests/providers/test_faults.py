"""Every injected fault, on every API: what is retried, what is not, and what stops a provider."""

from __future__ import annotations

import logging

import anyio
import pytest

from fakes.server import FakeServer
from providers.base import ProviderError
from providers.config import RetryPolicy
from tests.providers.conftest import APIS, KEY, ask, make_provider

pytestmark = pytest.mark.anyio

TRANSIENT = ["408", "409", "500", "503", "529", "429", "truncated", "malformed", "reset", "hang"]


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("fault", TRANSIENT)
async def test_transient_fault_is_retried_then_answered(api: str, fault: str) -> None:
    retry = RetryPolicy(
        max_attempts=3,
        initial_backoff=0.01,
        max_backoff=0.02,
        attempt_timeout=0.3,
        total_deadline=10,
    )
    async with FakeServer(lambda r: "fine", faults=[fault]) as srv:
        async with make_provider(api, srv, retry=retry) as p:
            resp = await p.chat(ask())
    assert resp.text == "fine"
    assert len(srv.requests) == 2
    assert srv.requests[0]["fault"] == fault and srv.requests[1]["complete"]
    assert p.stats.retries == 1 and p.stats.completed == 1 and p.stats.errors == 0
    assert p.stats.rate_limited == (1 if fault == "429" else 0)


@pytest.mark.parametrize("api", APIS)
async def test_retries_run_out_with_a_classified_error(api: str) -> None:
    retry = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02)
    async with FakeServer(faults=["503"] * 5) as srv:
        async with make_provider(api, srv, retry=retry) as p:
            with pytest.raises(ProviderError) as info:
                await p.chat(ask())
    assert info.value.error_class == "server" and not info.value.fatal
    assert "gave up after 3 attempts" in str(info.value)
    assert len(srv.requests) == 3
    # Not fatal: the provider keeps working.
    assert p.stats.stopped_reason is None and p.stats.errors == 1


async def test_hang_times_out_per_attempt_and_total_deadline_stops_retrying() -> None:
    retry = RetryPolicy(
        max_attempts=50,
        initial_backoff=0.01,
        max_backoff=0.01,
        attempt_timeout=0.2,
        total_deadline=0.5,
    )
    async with FakeServer(faults=["hang"] * 50) as srv:
        async with make_provider("openai", srv, retry=retry) as p:
            with pytest.raises(ProviderError) as info:
                await p.chat(ask())
    assert info.value.error_class == "timeout"
    assert 2 <= len(srv.requests) <= 4  # ~0.5 s of 0.2 s attempts, far fewer than 50


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("fault", ["bad_request"])
async def test_bad_request_is_never_retried(api: str, fault: str) -> None:
    async with FakeServer(faults=[fault, None]) as srv:
        async with make_provider(api, srv) as p:
            with pytest.raises(ProviderError) as info:
                await p.chat(ask())
            assert info.value.error_class == "bad_request" and info.value.status == 400
            assert len(srv.requests) == 1 and p.stats.retries == 0
            # Not fatal either: the next call goes through.
            assert (await p.chat(ask())).text


async def test_unknown_model_404_is_not_retried() -> None:
    async with FakeServer() as srv:
        cfg_retry = RetryPolicy(max_attempts=5, initial_backoff=0.01)
        async with make_provider("openai", srv, retry=cfg_retry) as p:
            p.base_url += "/nowhere"  # a wrong base URL answers 404 from the router
            with pytest.raises(ProviderError) as info:
                await p.chat(ask())
    assert info.value.status == 404 and info.value.error_class == "bad_request"
    assert p.stats.retries == 0


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize(("fault", "error_class"), [("quota", "quota"), ("auth", "auth")])
async def test_quota_and_auth_stop_the_provider(api: str, fault: str, error_class: str) -> None:
    async with FakeServer(faults=[fault]) as srv:
        async with make_provider(api, srv) as p:
            with pytest.raises(ProviderError) as first:
                await p.chat(ask())
            assert first.value.error_class == error_class and first.value.fatal
            assert "stopped for the rest of this run" in str(first.value)
            assert len(srv.requests) == 1  # not retried
            # Every later call fails at once, without touching the network.
            for _ in range(3):
                with pytest.raises(ProviderError) as later:
                    await p.chat(ask())
                assert later.value.error_class == "stopped"
    assert len(srv.requests) == 1
    assert p.stats.stopped_reason is not None


@pytest.mark.parametrize("api", APIS)
async def test_wrong_key_never_leaks(api: str, caplog: pytest.LogCaptureFixture) -> None:
    """The fake echoes a wrong key back in its error body; it must not reach our messages."""
    caplog.set_level(logging.DEBUG)
    async with FakeServer(api_key="the-right-key") as srv:
        async with make_provider(api, srv, key=KEY) as p:
            with pytest.raises(ProviderError) as info:
                await p.chat(ask())
            with pytest.raises(ProviderError) as later:
                await p.chat(ask())
    assert info.value.error_class == "auth" and info.value.fatal
    for text in (str(info.value), str(later.value), str(p.stats), caplog.text, repr(srv.requests)):
        assert KEY not in text
    assert "***" in str(info.value)  # the echo was there, redacted


async def test_rate_limit_429_waits_for_retry_after_then_recovers() -> None:
    async with FakeServer(faults=["429", "429"], fault_retry_after=0.2) as srv:
        async with make_provider("anthropic", srv) as p:
            resp = await p.chat(ask())
    assert resp.text
    t = [e["t"] for e in srv.requests]
    assert len(t) == 3
    assert t[1] - t[0] >= 0.2 and t[2] - t[1] >= 0.2  # Retry-After honoured, not our 10 ms
    assert p.stats.rate_limited == 2


async def test_gemini_retry_delay_from_body_is_honoured() -> None:
    async with FakeServer(faults=["429"], fault_retry_after=0.3) as srv:
        async with make_provider("gemini", srv) as p:
            await p.chat(ask())
    # Gemini sends no Retry-After header: only the body's RetryInfo can make us wait 0.3 s.
    assert srv.requests[1]["t"] - srv.requests[0]["t"] >= 0.3
    assert p.stats.rate_limited == 1 and p.stats.retries == 1


async def test_retry_after_beyond_the_deadline_gives_up_at_once() -> None:
    retry = RetryPolicy(max_attempts=5, initial_backoff=0.01, total_deadline=1.0)
    async with FakeServer(faults=["429"] * 5, fault_retry_after=30) as srv:
        async with make_provider("openai", srv, retry=retry) as p:
            with anyio.fail_after(5):  # did not sit out a 30 s Retry-After
                with pytest.raises(ProviderError) as info:
                    await p.chat(ask())
    assert info.value.error_class == "rate_limit" and not info.value.fatal
    assert len(srv.requests) == 1


async def test_connection_cap_bounds_requests_in_flight() -> None:
    async with FakeServer(latency=0.02) as srv:
        async with make_provider("gemini", srv, max_concurrency=3) as p:
            async with anyio.create_task_group() as tg:
                for _ in range(20):
                    tg.start_soon(p.chat, ask())
    assert srv.max_in_flight == 3 and p.stats.completed == 20 and p.stats.in_flight == 0


async def test_waiting_for_a_slot_does_not_count_against_the_attempt_timeout() -> None:
    """A one-at-a-time server (the local llama.cpp) with a queue longer than one timeout."""
    retry = RetryPolicy(max_attempts=1, attempt_timeout=0.5, total_deadline=30)
    async with FakeServer(latency=0.2) as srv:
        async with make_provider("openai", srv, max_concurrency=1, retry=retry) as p:
            async with anyio.create_task_group() as tg:
                for _ in range(5):  # ~1 s of queue, twice the attempt timeout
                    tg.start_soon(p.chat, ask())
    assert p.stats.completed == 5 and p.stats.errors == 0 and srv.max_in_flight == 1
