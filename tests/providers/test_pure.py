"""Pure parts: header parsers, token budget and estimator, cost, key and URL resolution."""

from __future__ import annotations

import anyio
import pytest

from providers.accounting import cost_of, price_for
from providers.base import Usage
from providers.config import Price, ProviderConfig
from providers.headers import (
    anthropic_limits,
    gemini_retry_delay,
    openai_limits,
    parse_duration,
    parse_reset,
    parse_retry_after,
)
from providers.limits import ModelLimiter, TokenBudget, TokenEstimator
from providers.registry import MissingKeyError, create_provider, missing_key_env


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("20ms", 0.02),
        ("1h2m3.5s", 3723.5),
        ("2.5", 2.5),
        ("", None),
        ("soon", None),
        ("5x", None),
    ],
)
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


def test_reset_as_rfc3339_and_retry_after_forms() -> None:
    now = 1_700_000_000.0
    assert parse_reset("2023-11-14T22:13:30Z", now) == pytest.approx(10.0)
    assert parse_retry_after({"retry-after-ms": "250"}, now) == 0.25
    assert parse_retry_after({"retry-after": "3"}, now) == 3.0
    assert parse_retry_after({"retry-after": "Tue, 14 Nov 2023 22:13:25 GMT"}, now) == 5.0
    assert parse_retry_after({}, now) is None


def test_gemini_retry_delay() -> None:
    body = {
        "error": {
            "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure"},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "28s"},
            ]
        }
    }
    assert gemini_retry_delay(body) == 28.0
    assert gemini_retry_delay({"error": {"message": "x"}}) is None


def test_limit_headers_of_both_apis() -> None:
    o = openai_limits(
        {
            "x-ratelimit-limit-requests": "60",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "1s",
            "x-ratelimit-limit-tokens": "1000",
        },
        0,
    )
    assert (o.requests.limit, o.requests.remaining, o.requests.reset) == (60, 0, 1.0)
    assert o.tokens.limit == 1000 and o.tokens.remaining is None
    a = anthropic_limits({"anthropic-ratelimit-tokens-remaining": "5"}, 0)
    assert a.tokens.remaining == 5 and a.requests.limit is None and not a.empty


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_budget_refills_and_settles() -> None:
    clock = Clock()
    budget = TokenBudget(6000, burst_seconds=1.0, clock=clock)  # 100 tokens/s, holds 100
    assert budget.level == 100
    budget.settle(reserved=0, actual=150)  # a call that used more than it reserved
    assert budget.level == -50
    clock.now += 1.0
    assert budget.level == pytest.approx(50)
    clock.now += 10
    assert budget.level == 100  # never above capacity
    budget.settle(reserved=500, actual=0)
    assert budget.level == 100


def test_estimator_learns_from_usage() -> None:
    est = TokenEstimator()
    first = est.estimate(400, max_tokens=None)
    assert first > 1000  # unknown output: a cautious guess
    for _ in range(50):
        est.learn(400, Usage(input_tokens=50, output_tokens=20))
    later = est.estimate(400, max_tokens=None)
    assert 70 <= later <= 90  # ~50 in + ~20 out, with a margin
    assert est.estimate(400, max_tokens=5) < later


def test_limiter_adopts_lower_server_limits_and_pauses_on_empty() -> None:
    clock = Clock()
    lim = ModelLimiter(1000, None, clock=clock)
    info = openai_limits(
        {
            "x-ratelimit-limit-requests": "120",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-limit-tokens": "60000",
            "x-ratelimit-remaining-tokens": "500",
            "x-ratelimit-reset-tokens": "30s",
        },
        0,
    )
    lim.observe(info, next_tokens=100)
    assert lim.rpm == 120 and lim.tpm == 60000
    assert lim.pause_until == pytest.approx(clock.now + 0.5)  # one request at 2/s
    lim.observe(info, next_tokens=1500)
    assert lim.pause_until == pytest.approx(clock.now + 1.0)  # 1000 tokens at 1000/s


def test_cost_and_price_lookup() -> None:
    prices = {"m": Price(input=2.0, output=8.0, cached_input=0.5), "*": Price(input=1.0)}
    usage = Usage(input_tokens=1_000_000, output_tokens=500_000, cached_tokens=200_000)
    assert cost_of(price_for(prices, "m"), usage) == pytest.approx(1.6 + 0.1 + 4.0)
    assert cost_of(price_for(prices, "other"), usage) == pytest.approx(1.0)
    assert cost_of(price_for({}, "m"), usage) == 0.0


def test_missing_key_names_the_variable_never_a_value() -> None:
    cfg = ProviderConfig(type="gemini")
    assert missing_key_env(cfg, {}) == "GEMINI_API_KEY"
    assert missing_key_env(cfg, {"GOOGLE_API_KEY": "g-secret"}) is None
    with pytest.raises(MissingKeyError, match="export MY_KEY"):
        create_provider("x", ProviderConfig(type="openai", api_key_env="MY_KEY"), {})
    local_server = ProviderConfig(type="openai_compatible", base_url="http://h")
    assert missing_key_env(local_server, {}) is None


def test_base_url_from_job_then_env_then_default() -> None:
    env = {"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": "http://proxy"}
    p = create_provider("a", ProviderConfig(type="openai"), env)
    assert p.base_url == "https://api.openai.com/v1"  # type: ignore[attr-defined]
    p = create_provider("b", ProviderConfig(type="anthropic"), env)
    assert p.base_url == "http://proxy"  # type: ignore[attr-defined]
    p = create_provider("c", ProviderConfig(type="anthropic", base_url="http://job/"), env)
    assert p.base_url == "http://job"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="base_url"):
        create_provider("d", ProviderConfig(type="openai_compatible"), {})


def test_pooling_score_shapes() -> None:
    from providers.openai import parse_pooling

    assert parse_pooling({"data": [{"data": [0.3]}]}) == 0.3  # sequence classifier
    assert parse_pooling({"data": [{"data": [[0.1], [0.7]]}]}) == 0.7  # per token: the last
    assert parse_pooling({"data": [{"data": 1.5}]}) == 1.5


def test_openai_tool_call_answer_without_content() -> None:
    from providers.openai import parse_response

    resp = parse_response(
        {
            "choices": [
                {"message": {"content": None, "tool_calls": []}, "finish_reason": "tool_calls"}
            ]
        }
    )
    assert (resp.text, resp.finish_reason) == ("", "tool_calls")


def test_sends_the_server_counted_but_we_did_not_fill_our_window() -> None:
    """A first reply saying only 4 requests remain: 4 more go at once, the next one waits for
    the window (a second) to move on, though we ourselves sent nothing yet."""
    lim = ModelLimiter(None, None)
    info = openai_limits(
        {"x-ratelimit-limit-requests": "600", "x-ratelimit-remaining-requests": "4"}, 0
    )
    lim.observe(info, next_tokens=0)  # the throttle is made here: 10 sends per second
    assert lim.rpm == 600

    async def main() -> bool:
        with anyio.fail_after(5):
            for _ in range(4):
                await lim.acquire(0)
        with anyio.move_on_after(0.3):
            await lim.acquire(0)
            return True
        return False

    assert anyio.run(main) is False
