"""Each API's request and response shapes, checked on the server side of real HTTP calls."""

from __future__ import annotations

import pytest

from fakes.server import FakeServer
from fakes.wire import FakeReply, FakeRequest
from providers.base import ChatRequest, Message
from providers.models import ModelTable
from providers.options import DecodingOptions
from tests.providers.conftest import KEY, ask, make_provider

pytestmark = pytest.mark.anyio


def echo(req: FakeRequest) -> str:
    return f"{req.api}|{req.model}|{req.system}|{req.last_user}"


async def test_openai_body_headers_and_parse() -> None:
    async with FakeServer(echo, api_key=KEY) as srv:
        async with make_provider("openai", srv) as p:
            resp = await p.chat(ask("hello", model="gpt-4o", temperature=0.3, max_tokens=50))
    assert resp.text == "openai|gpt-4o|Answer briefly.|hello"
    assert resp.finish_reason == "stop"
    assert resp.usage.input_tokens > 0 and resp.usage.output_tokens > 0
    assert resp.raw["id"].startswith("chatcmpl-")
    (entry,) = srv.requests
    assert entry["path"] == "/v1/chat/completions" and entry["auth_present"]
    body = entry["body"]
    assert body["messages"] == [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "hello"},
    ]
    assert body["temperature"] == 0.3
    assert body["max_completion_tokens"] == 50 and "max_tokens" not in body


async def test_openai_compatible_uses_max_tokens_and_merges_extra() -> None:
    async with FakeServer(echo) as srv:
        async with make_provider("openai", srv, key=None, type_="openai_compatible") as p:
            schema = {"type": "object", "properties": {"a": {"type": "string"}}}
            await p.chat(
                ask(
                    max_tokens=7,
                    response_schema=schema,
                    extra={"grammar": 'root ::= "x"', "seed": 5},
                )
            )
    body = srv.requests[0]["body"]
    assert body["max_tokens"] == 7 and "max_completion_tokens" not in body
    assert body["grammar"] == 'root ::= "x"' and body["seed"] == 5
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == schema
    assert not srv.requests[0]["auth_present"]  # no key configured: no Authorization header


@pytest.mark.parametrize(
    ("model", "first"),
    [
        ("o3-mini", {"role": "developer", "content": "Answer briefly."}),
        ("o1-mini", {"role": "user", "content": "Answer briefly.\n\nWhat is 2+2?"}),
    ],
)
async def test_o_series_quirks(model: str, first: dict) -> None:
    async with FakeServer(echo) as srv:
        async with make_provider("openai", srv) as p:
            await p.chat(ask(model=model, temperature=0.7, max_tokens=9))
    body = srv.requests[0]["body"]
    assert "temperature" not in body
    # The cap counts reasoning tokens: the model table adds its reasoning budget (issue 12).
    budget = ModelTable("openai").rule(model)[0].reasoning_budget
    assert budget > 0 and body["max_completion_tokens"] == 9 + budget
    assert body["messages"][0] == first
    assert all(m["role"] != "system" for m in body["messages"])


async def test_o_series_quirks_not_applied_to_compatible_servers() -> None:
    # A vLLM server serving a model named like OpenAI's: it takes what OpenAI would refuse.
    async with FakeServer(echo, compatible=True) as srv:
        async with make_provider("openai", srv, type_="openai_compatible") as p:
            await p.chat(ask(model="o3-mini", temperature=0.7))
    body = srv.requests[0]["body"]
    assert body["temperature"] == 0.7 and body["messages"][0]["role"] == "system"


async def test_anthropic_body_headers_and_parse() -> None:
    def script(req: FakeRequest) -> FakeReply:
        return FakeReply(text=echo(req), thought="private reasoning", finish="length")

    async with FakeServer(script, api_key=KEY) as srv:
        async with make_provider("anthropic", srv) as p:
            resp = await p.chat(
                ask("hi", model="claude-x", temperature=0.2, response_schema={"type": "object"})
            )
    assert resp.text == "anthropic|claude-x|Answer briefly.|hi"  # thinking block left out
    assert resp.finish_reason == "length"
    entry = srv.requests[0]
    assert entry["path"] == "/v1/messages"
    assert entry["headers"]["anthropic-version"] == "2023-06-01"
    assert "x-api-key" not in entry["headers"] and entry["auth_present"]
    body = entry["body"]
    assert body["system"] == "Answer briefly."
    assert body["messages"] == [{"role": "user", "content": "hi"}]
    assert body["max_tokens"] == 4096  # required by the API, defaulted
    assert "response_format" not in body and "response_schema" not in body


async def test_gemini_body_headers_and_parse() -> None:
    def script(req: FakeRequest) -> FakeReply:
        return FakeReply(text=echo(req), thought="hidden thoughts")

    conversation = (
        Message("system", "Be terse."),
        Message("user", "first"),
        Message("assistant", "reply"),
        Message("user", "second"),
    )
    # A model that does not think: its body is the job's options as given (the thinking
    # models' raised caps and streaming are tested in test_model_rules.py).
    req = ChatRequest(
        model="gemini-2.0-flash",
        messages=conversation,
        options=DecodingOptions(temperature=0.1, max_tokens=33, response_schema={"type": "OBJECT"}),
    )
    async with FakeServer(script, api_key=KEY) as srv:
        async with make_provider("gemini", srv) as p:
            resp = await p.chat(req)
    assert resp.text == "gemini|gemini-2.0-flash|Be terse.|second"  # thought part excluded
    assert resp.usage.reasoning_tokens > 0
    assert resp.usage.output_tokens > resp.usage.reasoning_tokens
    entry = srv.requests[0]
    assert entry["path"] == "/v1beta/models/gemini-2.0-flash:generateContent"
    assert entry["auth_present"]
    body = entry["body"]
    assert body["systemInstruction"] == {"parts": [{"text": "Be terse."}]}
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]
    assert body["generationConfig"] == {
        "temperature": 0.1,
        "maxOutputTokens": 33,
        "responseMimeType": "application/json",
        "responseSchema": {"type": "OBJECT"},
    }


@pytest.mark.parametrize("api", ["openai", "anthropic", "gemini"])
async def test_content_filtered_answer_is_recorded_not_raised(api: str) -> None:
    # A reply with no choice / candidate / text block at all ("empty") is no longer an
    # answer but an error of its own (issue 11): see test_empty_replies.py.
    async with FakeServer(echo, faults=["filtered", "blocked"]) as srv:
        async with make_provider(api, srv) as p:
            filtered = await p.chat(ask())
            blocked = await p.chat(ask())
    assert (filtered.text, filtered.finish_reason) == ("", "content_filter")
    assert (blocked.text, blocked.finish_reason) == ("", "content_filter")
    assert p.stats.completed == 2 and p.stats.errors == 0


async def test_reward_score_over_vllm_pooling_api() -> None:
    async with FakeServer(score=lambda req: 0.25 if "good" in req.last_user else -1.5) as srv:
        async with make_provider("openai", srv, type_="openai_compatible") as p:
            good = await p.score("rm", (Message("user", "q"), Message("user", "good answer")))
            bad = await p.score("rm", (Message("user", "q"), Message("assistant", "bad")))
    assert (good, bad) == (0.25, -1.5)
    assert p.stats.by_model["rm"][0].input_tokens > 0  # pooling usage is accounted too
    assert srv.requests[0]["path"] == "/pooling"
    assert srv.requests[0]["body"]["messages"][1] == {"role": "user", "content": "good answer"}


@pytest.mark.parametrize("api", ["openai", "anthropic", "gemini"])
async def test_usage_and_cost_per_model(api: str) -> None:
    usage = {"input": 1000, "output": 500, "reasoning": 100, "cached": 200}
    prices = {"big": {"input": 2.0, "output": 10.0, "cached_input": 0.5}}
    async with FakeServer(lambda r: FakeReply(text="x", usage=usage)) as srv:
        async with make_provider(api, srv, prices=prices) as p:
            a = await p.chat(ask(model="big"))
            await p.chat(ask(model="big"))
            b = await p.chat(ask(model="small"))  # no price: cost 0, usage still counted
    assert a.usage.input_tokens == 1000 and a.usage.output_tokens == 500
    assert a.usage.cached_tokens == 200
    # Anthropic's thinking tokens come in usage.output_tokens_details (issue 12).
    assert a.usage.reasoning_tokens == 100
    assert a.cost == pytest.approx((800 * 2.0 + 200 * 0.5 + 500 * 10.0) / 1e6)
    assert b.cost == 0.0
    big_usage, big_cost = p.stats.by_model["big"]
    assert big_usage.input_tokens == 2000 and big_cost == pytest.approx(2 * a.cost)
    assert p.stats.usage.output_tokens == 1500 and p.stats.cost == pytest.approx(2 * a.cost)
    assert KEY not in repr(a) and KEY not in repr(p.stats)


async def test_seed_goes_where_each_api_takes_it() -> None:
    extra = {"seed": 42, "top_k": 5}
    async with FakeServer() as srv:
        for api in ("openai", "anthropic", "gemini"):
            async with make_provider(api, srv) as p:
                await p.chat(ask(extra=extra))
    openai_body, anthropic_body, gemini_body = (e["body"] for e in srv.requests)
    assert openai_body["seed"] == 42 and openai_body["top_k"] == 5
    assert "seed" not in anthropic_body and anthropic_body["top_k"] == 5
    assert gemini_body["generationConfig"]["seed"] == 42 and "seed" not in gemini_body


async def test_anthropic_cache_writes_are_priced_above_input_and_the_tier_kept() -> None:
    # 1000 input tokens: 100 cache reads, 400 cache writes of which 100 for an hour.
    usage = {"input": 1000, "output": 10, "cached": 100, "cache_write": 400, "cache_write_1h": 100}
    prices = {"c": {"input": 3.0, "output": 15.0, "cached_input": 0.3}}
    async with FakeServer(lambda r: FakeReply(text="x", usage=usage)) as srv:
        async with make_provider("anthropic", srv, prices=prices) as p:
            resp = await p.chat(ask(model="c"))
    u = resp.usage
    assert (u.input_tokens, u.cached_tokens, u.cache_write_tokens, u.cache_write_1h_tokens) == (
        1000,
        100,
        400,
        100,
    )
    plain, read, write_5m, write_1h = 500 * 3.0, 100 * 0.3, 300 * 3.75, 100 * 6.0
    assert resp.cost == pytest.approx((plain + read + write_5m + write_1h + 10 * 15.0) / 1e6)
    assert resp.service_tier == "standard"


async def test_openai_service_tier_and_gemini_model_prefix() -> None:
    async with FakeServer() as srv:
        async with make_provider("openai", srv) as p:
            assert (await p.chat(ask(model="gpt-4o"))).service_tier == "default"
        async with make_provider("gemini", srv) as g:
            await g.chat(ask(model="models/gemini-2.0-flash"))
    assert srv.requests[1]["path"] == "/v1beta/models/gemini-2.0-flash:generateContent"


async def test_anthropic_input_and_output_token_limit_headers_are_read() -> None:
    from providers.headers import anthropic_limits

    info = anthropic_limits(
        {
            "anthropic-ratelimit-input-tokens-limit": "40000",
            "anthropic-ratelimit-input-tokens-remaining": "100",
            "anthropic-ratelimit-output-tokens-limit": "8000",
            "anthropic-ratelimit-output-tokens-remaining": "0",
            "anthropic-ratelimit-output-tokens-reset": "2023-11-14T22:13:30Z",
        },
        1_700_000_000.0,
    )
    assert (info.tokens.limit, info.tokens.remaining) == (40000, 100)
    assert info.output.remaining == 0 and info.output.reset == pytest.approx(10.0)
    from providers.limits import ModelLimiter

    limiter = ModelLimiter(None, None)
    limiter.observe(info, next_tokens=10)
    assert limiter.active  # no output tokens left: sends wait for the reset
