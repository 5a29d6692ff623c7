"""Several endpoints per provider over real HTTP: three loopback fake servers (in this process,
or as programs that are killed and started again)."""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import Any

import anyio
import orjson
import pytest

from fakes.limits import ServerLimits
from fakes.process import fake_server_process
from fakes.server import FakeServer
from providers.base import ProviderError
from providers.config import EndpointHealth, ProviderConfig, RetryPolicy
from providers.endpoints import EndpointSpec
from providers.http import HTTPProvider
from providers.openai import OpenAIProvider
from tests.providers.conftest import FAST_RETRY, KEY, ask

pytestmark = pytest.mark.anyio


def _provider(
    urls: list[str],
    *,
    type_: str = "openai_compatible",
    weights: list[float] | None = None,
    **cfg: Any,
) -> HTTPProvider:
    cfg.setdefault("retry", FAST_RETRY)
    config = ProviderConfig(type=type_, **cfg)  # type: ignore[arg-type]
    specs = [EndpointSpec(u, w) for u, w in zip(urls, weights or [1.0] * len(urls), strict=True)]
    return OpenAIProvider("p", config, api_key=KEY, endpoints=specs)


async def _calls(
    p: HTTPProvider, texts: list[str], workers: int, *, failed_ok: bool = False
) -> dict[str, str]:
    """Send every text with `workers` calls in flight; text -> answer (of those that got one,
    with `failed_ok`)."""
    out: dict[str, str] = {}
    todo = iter(texts)

    async def worker() -> None:
        for text in todo:
            try:
                out[text] = (await p.chat(ask(text))).text
            except ProviderError:
                if not failed_ok:
                    raise

    async with anyio.create_task_group() as tg:
        for _ in range(workers):
            tg.start_soon(worker)
    return out


def _served(srv: FakeServer) -> int:
    return sum(1 for e in srv.requests if e["status"] == 200 and e["complete"])


@pytest.mark.parametrize("weights", [[1.0, 1.0, 1.0], [1.0, 1.0, 2.0]])
async def test_load_follows_the_weights_within_10_percent(weights: list[float]) -> None:
    async with AsyncExitStack() as stack:
        servers = [
            await stack.enter_async_context(FakeServer(latency=0.02, latency_sd=0.005))
            for _ in weights
        ]
        urls = [s.base_url_openai for s in servers]
        async with _provider(urls, weights=weights, max_concurrency=16) as p:
            texts = [f"call {i}" for i in range(400)]
            answers = await _calls(p, texts, 16)
    assert answers == {t: f"Echo: {t}" for t in texts}
    for srv, w in zip(servers, weights, strict=True):
        share = 400 * w / sum(weights)
        assert abs(_served(srv) - share) <= 0.1 * share, [_served(s) for s in servers]
    st = p.stats.endpoints
    assert [e.answered for e in st] == [_served(s) for s in servers]
    assert sum(e.sent for e in st) == 400 and all(e.in_flight == 0 for e in st)


async def test_a_slow_endpoint_is_given_less() -> None:
    async with (
        FakeServer(latency=0.01) as fast,
        FakeServer(latency=0.2) as slow,
    ):
        async with _provider([fast.base_url_openai, slow.base_url_openai]) as p:
            await _calls(p, [f"c{i}" for i in range(200)], 8)
    # Least outstanding: the slow one's calls stay in flight, so new ones go to the fast one.
    assert _served(fast) > 4 * _served(slow) > 0


async def test_each_endpoint_caps_its_own_calls_in_flight() -> None:
    async with FakeServer(latency=0.05) as a, FakeServer(latency=0.05) as b:
        config = ProviderConfig(type="openai_compatible", retry=FAST_RETRY)
        specs = [EndpointSpec(a.base_url_openai, 1.0, 2), EndpointSpec(b.base_url_openai, 1.0, 6)]
        async with OpenAIProvider("p", config, api_key=KEY, endpoints=specs) as p:
            assert p.total_concurrency == 8  # no max_concurrency given: the sum of theirs
            await _calls(p, [f"c{i}" for i in range(80)], 30)
    assert a.max_in_flight == 2 and b.max_in_flight == 6


async def test_the_account_limit_holds_across_endpoints() -> None:
    """Three endpoints of one account (one limit the servers share): the client paces all of
    them together; thinking each had its own limit earns 429s."""
    results = {}
    for scope in ("account", "endpoint"):
        account = ServerLimits(rpm=600, tpm=None, burst=1.0)  # 10 requests in any second
        async with AsyncExitStack() as stack:
            servers = [await stack.enter_async_context(FakeServer()) for _ in range(3)]
            for srv in servers:
                srv.limits = account
            urls = [s.base_url_openai for s in servers]
            p = _provider(urls, type_="openai", requests_per_minute=600, rate_limit_scope=scope)
            async with p:
                await _calls(p, [f"c{i}" for i in range(45)], 45, failed_ok=scope == "endpoint")
            results[scope] = Counter(e["status"] for s in servers for e in s.requests)
            assert all(_served(s) > 0 for s in servers)
            if scope == "account":
                assert p.stats.completed == 45
    assert results["account"][429] == 0
    assert results["endpoint"][429] >= 5


async def test_each_server_limit_is_kept_per_endpoint() -> None:
    """Self-hosted servers each enforce their own limit (the default for openai_compatible):
    each endpoint is paced to it, with no 429, and none waits for the others' budget."""
    async with AsyncExitStack() as stack:
        servers = [
            await stack.enter_async_context(FakeServer(rpm=600, burst=1.0)) for _ in range(3)
        ]
        p = _provider([s.base_url_openai for s in servers], requests_per_minute=600)
        async with p:
            await _calls(p, [f"c{i}" for i in range(45)], 45)
            limiters = {id(p.limiter("m1", ep)) for ep in p.pool.endpoints}
    assert 429 not in [e["status"] for s in servers for e in s.requests]
    assert len(limiters) == 3 and p.stats.completed == 45
    assert [_served(s) for s in servers] == [15, 15, 15]


@contextmanager
def _fake(log: Path, *args: str) -> Iterator[tuple[Any, str]]:
    with fake_server_process("--latency", "0.05", "--log", str(log), *args) as served:
        yield served


def _log(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in path.read_bytes().splitlines()] if path.exists() else []


async def _until(cond: Any, what: str, timeout: float = 60) -> None:
    with anyio.fail_after(timeout):
        while not cond():
            await anyio.sleep(0.02)
    assert cond(), what


async def test_an_endpoint_killed_mid_run_loses_no_call_and_is_readmitted(tmp_path: Path) -> None:
    logs = [tmp_path / f"{n}.jsonl" for n in ("a", "b", "c", "b2")]
    health = EndpointHealth(eject_after=2, backoff=0.2, max_backoff=0.8)
    retry = RetryPolicy(
        max_attempts=6, initial_backoff=0.05, max_backoff=0.2, attempt_timeout=10, total_deadline=60
    )
    with (
        _fake(logs[0]) as (_, url_a),
        _fake(logs[1]) as (proc_b, url_b),
        _fake(logs[2]) as (
            _,
            url_c,
        ),
    ):
        p = _provider([url_a, url_b, url_c], retry=retry, endpoint_health=health)
        b = p.pool.endpoints[1]
        answers: dict[str, list[str]] = {}
        failures: list[BaseException] = []
        stop = anyio.Event()
        count = iter(range(10**6))

        async def worker() -> None:
            while not stop.is_set():
                text = f"call {next(count)}"
                try:
                    answers.setdefault(text, []).append((await p.chat(ask(text))).text)
                except Exception as exc:  # a lost call: the test fails below
                    failures.append(exc)

        async def chaos() -> None:
            await _until(lambda: b.stats.answered >= 30, "b served")
            proc_b.send_signal(signal.SIGKILL)  # mid-run: it has calls in flight
            proc_b.wait(timeout=10)
            await _until(lambda: b.stats.state == "out", "b ejected")
            ejected_at = sum(e.answered for e in p.stats.endpoints)
            await _until(
                lambda: sum(e.answered for e in p.stats.endpoints) > ejected_at + 60,
                "the others carry on",
            )
            port = url_b.rsplit(":", 1)[1]
            with _fake(logs[3], "--port", port):  # back, at the same address
                await _until(lambda: b.stats.readmissions >= 1, "b readmitted")
                back_at = b.stats.answered
                await _until(lambda: b.stats.answered >= back_at + 30, "b serves again")
                stop.set()
                await _until(lambda: sum(e.in_flight for e in p.stats.endpoints) == 0, "drained")

        async with p:
            async with anyio.create_task_group() as tg:
                for _ in range(12):
                    tg.start_soon(worker)
                tg.start_soon(chaos)
    assert failures == []
    # No call lost, none answered twice: one answer each, and one complete 200 in the servers'
    # logs (the killed server never finished the calls it held; they were sent elsewhere).
    assert answers and all(v == [f"Echo: {t}"] for t, v in answers.items())
    served = Counter(
        e["body"]["messages"][-1]["content"]
        for log in logs
        for e in _log(log)
        if e["status"] == 200 and e["complete"]
    )
    assert served == Counter(answers.keys())
    assert b.stats.ejections >= 1 and b.stats.errors >= 2 and b.stats.state == "up"
    assert len([e for e in _log(logs[3]) if e["status"] == 200]) >= 30
    assert p.stats.errors == 0 and p.stats.retries >= 1
