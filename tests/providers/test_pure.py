"""Pure parts: header parsers, token budget and estimator, cost, key and URL resolution."""

from __future__ import annotations

import math

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


def test_sends_the_server_counted_but_we_did_not_see_are_not_sent_again() -> None:
    """A first reply saying only 4 of 600 requests remain (another client on the key, or our
    first burst): we never believe we hold more than that, and from then on sends leave
    evenly spaced at the server's rate (10/s, 99% of it), never a burst of a window's worth."""
    clock = Clock()
    lim = ModelLimiter(None, None, clock=clock)
    info = openai_limits(
        {"x-ratelimit-limit-requests": "600", "x-ratelimit-remaining-requests": "4"}, 0
    )
    lim.observe(info, next_tokens=0)  # the requests bucket is made here
    assert lim.rpm == 600 and lim.requests is not None
    assert lim.requests.rate == pytest.approx(9.9)
    assert lim.requests.level <= 4
    # Its bucket was seen holding 0.4 s of its rate: ours holds half of that, at most.
    assert lim.requests.capacity <= 2.0
    info = openai_limits(
        {"x-ratelimit-limit-requests": "600", "x-ratelimit-remaining-requests": "0.5"}, 0
    )
    lim.observe(info, next_tokens=0)
    assert lim.requests.level <= 0.5  # less than one send: the next one waits

    def sends_now(bucket: TokenBudget) -> int:
        """How many sends would leave at this instant without waiting."""
        n = 0
        while bucket.level >= 1:
            bucket.settle(0, 1)  # take one
            n += 1
        return n

    paced = ModelLimiter(600, None, clock=clock)
    assert paced.requests is not None
    assert sends_now(paced.requests) == 2  # a quarter second of 9.9/s, not a window's 10
    clock.now += 60.0  # a long idle spell fills no more than the bucket
    assert sends_now(paced.requests) == 2
    clock.now += 1 / 9.9  # then one per 1/9.9 s
    assert sends_now(paced.requests) == 1


def test_each_api_is_charged_what_it_counts() -> None:
    from providers.limits import ModelLimiter

    usage = Usage(input_tokens=40, output_tokens=7)
    openai = ModelLimiter(None, 60_000, charging="openai", clock=Clock())
    openai.estimator.input_ratio = 0.25  # calibrated: 160 characters are 40 tokens
    charge = openai.charge(160, max_tokens=300)  # 300 = 100 x n=3
    assert charge.tokens == math.ceil(160 * 0.25 * 1.02) + 1 + 300 and charge.output == 0
    assert openai.budget is not None
    before = openai.budget.level
    openai.budget._level -= charge.tokens  # as `acquire` takes it
    openai.settle(charge, 160, usage)
    # Settled to the real prompt, max_tokens kept: 40 + 300 charged, not 40 + 7.
    assert openai.budget.level == pytest.approx(before - 340)

    anthropic = ModelLimiter(None, 60_000, output_tokens_per_minute=6000, charging="anthropic")
    charge = anthropic.charge(160, max_tokens=100)
    assert charge.output == 100 and charge.tokens < 100  # the prompt only, output apart
    gemini = ModelLimiter(None, 60_000, charging="gemini")
    assert gemini.charge(160, max_tokens=100).tokens < 100 and not gemini.output_budget


def test_estimate_of_the_prompt_is_an_upper_bound_of_what_was_seen() -> None:
    est = TokenEstimator()
    assert est.estimate_input(400) >= 200  # before any usage: 2 characters per token
    for tokens in (90, 100, 95, 80):
        est.learn(400, Usage(input_tokens=tokens, output_tokens=1))
    assert est.estimate_input(400) >= 100  # the highest ratio seen, not the mean


def test_rate_limits_per_model_over_the_providers() -> None:
    from providers.config import RateLimits

    cfg = ProviderConfig(
        type="gemini",
        requests_per_minute=100,
        tokens_per_minute=1000,
        rate_limits={
            "gemini-2.5-pro": RateLimits(requests_per_minute=5),
            "gemini-*": RateLimits(requests_per_minute=50),
        },
    )
    assert cfg.limits_for("gemini-2.5-pro").requests_per_minute == 5
    assert cfg.limits_for("gemini-2.0-flash").requests_per_minute == 50
    assert cfg.limits_for("gemini-2.0-flash").tokens_per_minute == 1000  # inherited
    assert cfg.limits_for("other").requests_per_minute == 100
