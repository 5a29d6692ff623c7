"""Server-sent events on all three APIs: a slow but alive answer is never cut and paid twice,
a broken stream is retried at most once, usage comes from the stream's last event."""

from __future__ import annotations

import time

import pytest

from fakes.server import FakeServer
from fakes.wire import FakeReply
from providers.base import ProviderError
from providers.config import RetryPolicy
from tests.providers.conftest import APIS, ask, make_provider

pytestmark = pytest.mark.anyio
TEXT = "one two three four five six seven eight nine ten eleven twelve"
# An idle timeout of 0.4 s: far shorter than the slow answers below take in all.
SHORT = RetryPolicy(
    max_attempts=6, initial_backoff=0.01, max_backoff=0.02, attempt_timeout=0.4, total_deadline=30
)


def slow_server(**kw: object) -> FakeServer:
    # 12 pieces 0.15 s apart: about 1.8 s of streaming, each gap well under the idle timeout.
    return FakeServer(lambda r: FakeReply(text=TEXT), stream_gap=0.15, stream_chunks=12, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("api", APIS)
async def test_a_slow_streamed_answer_completes_with_one_request(api: str) -> None:
    async with slow_server() as srv:
        async with make_provider(api, srv, retry=SHORT, stream=True) as p:
            t0 = time.monotonic()
            resp = await p.chat(ask(max_tokens=64))
            took = time.monotonic() - t0
    assert took > 3 * SHORT.attempt_timeout  # longer than an attempt timeout, and not cut
    assert resp.text == TEXT and resp.finish_reason == "stop"
    assert len(srv.requests) == 1 and srv.requests[0]["stream"]
    assert p.stats.retries == 0 and resp.sent["stream"] is True
    # Usage from the stream's last event equals what a plain call reports.
    async with FakeServer(lambda r: FakeReply(text=TEXT)) as plain_srv:
        async with make_provider(api, plain_srv, stream=False) as plain:
            whole = await plain.chat(ask(max_tokens=64))
    assert resp.usage == whole.usage and resp.usage.output_tokens > 0


@pytest.mark.parametrize("api", APIS)
async def test_the_same_answer_unstreamed_is_cut_and_paid_again(api: str) -> None:
    """What the old client did with a slow answer: time out, send again, pay again."""
    retry = SHORT.model_copy(update={"max_attempts": 2})
    async with FakeServer(lambda r: TEXT, latency=0.8) as srv:
        async with make_provider(api, srv, retry=retry, stream=False) as p:
            with pytest.raises(ProviderError) as info:
                await p.chat(ask(max_tokens=64))
    assert info.value.error_class == "timeout" and len(srv.requests) == 2


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("fault", ["cut", "garbled"])
async def test_a_broken_stream_is_retried_once(api: str, fault: str) -> None:
    async with FakeServer(lambda r: TEXT, faults=[fault]) as srv:
        async with make_provider(api, srv, retry=SHORT, stream=True) as p:
            resp = await p.chat(ask())
    assert resp.text == TEXT and len(srv.requests) == 2 and p.stats.retries == 1
    assert srv.requests[0]["fault"] == fault


@pytest.mark.parametrize("api", APIS)
async def test_a_stream_broken_twice_is_recorded_not_paid_a_third_time(api: str) -> None:
    async with FakeServer(lambda r: TEXT, faults=["cut", "garbled", "cut"]) as srv:
        async with make_provider(api, srv, retry=SHORT, stream=True) as p:
            with pytest.raises(ProviderError) as info:
                await p.chat(ask())
    assert info.value.error_class == "truncated"
    assert "retried once" in str(info.value)
    assert len(srv.requests) == 2  # max_attempts is 6: the class caps it


@pytest.mark.parametrize("api", APIS)
async def test_an_unreadable_200_is_not_sent_again_and_again(api: str) -> None:
    async with FakeServer(lambda r: TEXT, faults=["malformed"] * 5) as srv:
        async with make_provider(api, srv, retry=SHORT, stream=False) as p:
            with pytest.raises(ProviderError) as info:
                await p.chat(ask())
    assert info.value.error_class == "malformed" and len(srv.requests) == 2


async def test_a_stream_that_goes_silent_is_cut_by_the_idle_timeout() -> None:
    retry = SHORT.model_copy(update={"attempt_timeout": 0.2})
    async with FakeServer(lambda r: TEXT, stream_gap=0.6, stream_chunks=3) as srv:
        async with make_provider("anthropic", srv, retry=retry, stream=True) as p:
            t0 = time.monotonic()
            with pytest.raises(ProviderError) as info:
                await p.chat(ask())
    assert info.value.error_class == "truncated" and "silent" in str(info.value)
    assert len(srv.requests) == 2 and time.monotonic() - t0 < 5


@pytest.mark.parametrize("api", ["openai", "anthropic"])
async def test_stream_true_in_extra_is_read_as_a_stream(api: str) -> None:
    """It used to make the client read an SSE body as JSON, fail and pay again 6 times."""
    async with FakeServer(lambda r: TEXT) as srv:
        async with make_provider(api, srv, retry=SHORT) as p:
            resp = await p.chat(ask(extra={"stream": True}))
    assert resp.text == TEXT and len(srv.requests) == 1 and srv.requests[0]["stream"]


@pytest.mark.parametrize(
    ("api", "model"),
    [("openai", "o3"), ("anthropic", "claude-opus-4-7"), ("gemini", "gemini-2.5-pro")],
)
async def test_reasoning_models_stream_by_default(api: str, model: str) -> None:
    async with FakeServer(lambda r: FakeReply(text="B", thought="hmm")) as srv:
        async with make_provider(api, srv) as p:
            resp = await p.chat(ask(model=model, max_tokens=64))
    assert srv.requests[0]["stream"] and resp.text == "B"
    if api != "openai":  # OpenAI's chat stream carries no reasoning text, only its count
        assert resp.usage.reasoning_tokens > 0


async def test_a_short_answer_from_a_plain_model_is_not_streamed() -> None:
    async with FakeServer() as srv:
        async with make_provider("openai", srv) as p:
            resp = await p.chat(ask(model="gpt-4o", max_tokens=64))
            long = await p.chat(ask(model="gpt-4o", max_tokens=16000))
    assert not srv.requests[0]["stream"] and resp.sent["stream"] is False
    assert srv.requests[1]["stream"] and long.sent["stream"] is True  # may run long
