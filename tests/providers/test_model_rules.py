"""Every model family of the table on the wire: a judge's request (temperature 0, a small
token cap, a system message) is accepted by the fake, which refuses what the real API
refuses (fakes/rules.py), and the body says what the family takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from fakes.server import FakeServer
from fakes.wire import FakeReply, FakeRequest
from providers.base import ChatRequest, Message, ProviderError
from providers.checks import model_problems
from providers.config import ProviderConfig
from providers.models import ModelRule, ModelTable, packaged_rules
from providers.options import DecodingOptions
from tests.providers.conftest import ask, make_provider

pytestmark = pytest.mark.anyio
JUDGE = {"temperature": 0.0, "max_tokens": 16}


@dataclass(frozen=True)
class Case:
    api: str  # provider type
    model: str
    family: str
    temperature: float | None  # what the body carries (None: no temperature at all)
    raised: bool  # the token cap has room for reasoning
    system: str = "system"  # system | developer | fold | top (Anthropic/Gemini fields)


CASES = [
    Case("openai", "o1-mini", "o1-mini", None, True, "fold"),
    Case("openai", "o3-mini", "o-series", None, True, "developer"),
    Case("openai", "o4-mini-2025-04-16", "o-series", None, True, "developer"),
    Case("openai", "gpt-5-chat-latest", "gpt-5-chat", None, False, "developer"),
    Case("openai", "gpt-5.2", "gpt-5.x", None, True, "developer"),
    Case("openai", "gpt-5", "gpt-5", None, True, "developer"),
    Case("openai", "gpt-5-mini-2025-08-07", "gpt-5", None, True, "developer"),
    Case("openai", "gpt-4o-2024-08-06", "gpt-4o", 0.0, False),
    Case("openai", "gpt-4-turbo", "gpt-4", 0.0, False),
    Case("openai_compatible", "Qwen/Qwen3-8B", "openai-compatible", 0.0, False),
    Case("anthropic", "claude-opus-4-7", "claude-adaptive", None, False, "top"),
    Case("anthropic", "claude-sonnet-5", "claude-adaptive", None, False, "top"),
    Case("anthropic", "claude-opus-4-6", "claude-4.6", 0.0, False, "top"),
    Case("anthropic", "claude-sonnet-4-5-20250929", "claude-4.5", 0.0, False, "top"),
    Case("anthropic", "claude-opus-4-1-20250805", "claude-4", 0.0, False, "top"),
    Case("anthropic", "claude-3-5-haiku-20241022", "claude-3", 0.0, False, "top"),
    Case("gemini", "gemini-3-flash-preview", "gemini-3-flash", 0.0, True, "top"),
    Case("gemini", "gemini-3-pro-preview", "gemini-3", 0.0, True, "top"),
    Case("gemini", "gemini-2.5-pro", "gemini-2.5-pro", 0.0, True, "top"),
    Case("gemini", "gemini-2.5-flash-lite", "gemini-2.5-flash-lite", 0.0, False, "top"),
    Case("gemini", "models/gemini-2.5-flash", "gemini-2.5-flash", 0.0, True, "top"),
    Case("gemini", "gemini-2.0-flash", "gemini-2.0", 0.0, False, "top"),
    Case("gemini", "gemma-3-27b-it", "gemma", 0.0, False, "fold"),
]


def test_every_family_in_the_table_has_a_wire_case() -> None:
    tested = {(c.api, c.family) for c in CASES}
    shipped = {(api, r.family) for api, rules in packaged_rules().items() for r in rules}
    assert shipped == tested


def _wire_api(api: str) -> str:
    return "openai" if api == "openai_compatible" else api


def _body_facts(api: str, body: dict[str, Any]) -> tuple[Any, Any, str]:
    """(temperature, token cap, where the system message went) from a request body."""
    if api == "gemini":
        config = body.get("generationConfig", {})
        system = "top" if "systemInstruction" in body else "fold"
        return config.get("temperature"), config.get("maxOutputTokens"), system
    if api == "anthropic":
        return body.get("temperature"), body["max_tokens"], "top" if "system" in body else "?"
    roles = [m["role"] for m in body["messages"]]
    system = "developer" if "developer" in roles else "system" if "system" in roles else "fold"
    cap = body.get("max_completion_tokens", body.get("max_tokens"))
    return body.get("temperature"), cap, system


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.model)
async def test_a_judge_request_is_accepted_and_shaped_by_its_family(case: Case) -> None:
    api = _wire_api(case.api)
    async with FakeServer(lambda r: "Output (a)") as srv:
        async with make_provider(api, srv, type_=case.api) as p:
            resp = await p.chat(ask(model=case.model, **JUDGE))
    (entry,) = srv.requests
    assert entry["status"] == 200, entry.get("refused")
    assert resp.text == "Output (a)"
    temperature, cap, system = _body_facts(api, entry["body"])
    assert temperature == case.temperature
    budget = ModelTable(case.api).rule(case.model)[0].reasoning_budget  # type: ignore[arg-type]
    assert cap == (16 + budget if case.raised else 16)
    assert system == case.system
    if api == "gemini":  # the `models/` prefix is not doubled in the path
        assert entry["path"].endswith(
            f"/models/{case.model.removeprefix('models/')}:"
            + ("streamGenerateContent" if resp.sent["stream"] else "generateContent")
        )
    # The record says what was sent, and why it differs from what the judge asked.
    assert resp.sent["family"] == case.family and resp.sent["temperature"] == case.temperature
    if case.temperature is None:
        assert any("temperature 0.0 not sent" in n for n in resp.sent["notes"])


@pytest.mark.parametrize(
    ("api", "model"),
    [("openai", "gpt-5"), ("openai", "o3"), ("anthropic", "claude-opus-4-7")],
)
async def test_the_fake_refuses_temperature_where_the_api_does(api: str, model: str) -> None:
    """What the old client sent (temperature 0 to every model): the fake answers 400."""
    async with FakeServer() as srv:
        async with make_provider(
            api,
            srv,
            type_=api,
            models={"*": {"temperature": "any", "temperature_reasoning": "any"}},
        ) as p:
            with pytest.raises(ProviderError) as info:
                await p.chat(ask(model=model, **JUDGE))
    assert info.value.error_class == "bad_request" and "temperature" in str(info.value)


async def test_anthropic_thinking_sends_no_temperature_and_a_budget_below_the_cap() -> None:
    models = {"claude-sonnet-4-5*": {"effort": "high"}}
    async with FakeServer(lambda r: FakeReply(text="B", thought="hmm")) as srv:
        async with make_provider("anthropic", srv, models=models) as p:
            resp = await p.chat(ask(model="claude-sonnet-4-5", **JUDGE))
    body = srv.requests[0]["body"]
    assert srv.requests[0]["status"] == 200
    assert "temperature" not in body  # thinking takes only 1: none is sent
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 8192}
    assert body["max_tokens"] == 16 + 8192 > body["thinking"]["budget_tokens"]
    assert resp.text == "B" and resp.usage.reasoning_tokens > 0


async def test_opus_4_7_thinks_adaptively_with_an_effort() -> None:
    models = {"claude-opus-4-7": {"effort": "low"}}
    async with FakeServer(lambda r: "A") as srv:
        async with make_provider("anthropic", srv, models=models) as p:
            await p.chat(ask(model="claude-opus-4-7", **JUDGE))
    body = srv.requests[0]["body"]
    assert srv.requests[0]["status"] == 200
    assert body["thinking"] == {"type": "adaptive"}
    assert body["output_config"] == {"effort": "low"}
    assert "temperature" not in body


async def test_the_fake_refuses_enabled_thinking_on_opus_4_7() -> None:
    extra = {"thinking": {"type": "enabled", "budget_tokens": 2048}}
    async with FakeServer() as srv:
        async with make_provider("anthropic", srv) as p:
            with pytest.raises(ProviderError, match=r"thinking\.type\.enabled"):
                await p.chat(ask(model="claude-opus-4-7", max_tokens=4096, extra=extra))


@pytest.mark.parametrize(
    ("model", "effort", "config"),
    [
        ("gemini-2.5-flash", "none", {"thinkingBudget": 0}),
        ("gemini-2.5-flash", "low", {"thinkingBudget": 6144}),
        ("gemini-2.5-pro", "dynamic", {"thinkingBudget": -1}),
        ("gemini-3-pro-preview", "low", {"thinkingLevel": "low"}),
    ],
)
async def test_gemini_thinking_config(model: str, effort: str, config: dict) -> None:
    async with FakeServer() as srv:
        async with make_provider("gemini", srv, models={model: {"effort": effort}}) as p:
            await p.chat(ask(model=model, **JUDGE))
    assert srv.requests[0]["status"] == 200
    assert srv.requests[0]["body"]["generationConfig"]["thinkingConfig"] == config


async def test_gpt_5x_takes_a_temperature_with_reasoning_off() -> None:
    async with FakeServer() as srv:
        async with make_provider("openai", srv) as p:
            await p.chat(ask(model="gpt-5.2", extra={"reasoning_effort": "none"}, **JUDGE))
    body = srv.requests[0]["body"]
    assert srv.requests[0]["status"] == 200
    assert body["temperature"] == 0.0 and body["reasoning_effort"] == "none"
    assert body["max_completion_tokens"] == 16  # no reasoning: nothing to make room for


def test_efforts_and_schemas_a_model_cannot_take_are_job_errors() -> None:
    cfg = ProviderConfig(type="gemini", models={"gemini-2.5-pro": ModelRule(effort="none")})
    assert any("effort 'none'" in p for p in model_problems(cfg, "gemini-2.5-pro"))
    cfg = ProviderConfig(type="openai", models={"gpt-4o": ModelRule(effort="low")})
    assert any("no reasoning control" in p for p in model_problems(cfg, "gpt-4o"))
    plain = ProviderConfig(type="anthropic")
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert any("no structured output" in p for p in model_problems(plain, "claude-3-haiku", schema))
    assert model_problems(plain, "claude-sonnet-4-5", schema) == []


async def test_an_unknown_model_gets_the_options_as_given_and_one_note() -> None:
    async with FakeServer() as srv:
        async with make_provider("anthropic", srv) as p:
            for _ in range(3):
                resp = await p.chat(ask(model="claude-next", temperature=0.3, max_tokens=16))
    body = srv.requests[0]["body"]
    assert body["temperature"] == 0.3 and body["max_tokens"] == 16
    assert resp.sent["family"] is None
    assert p.stats.notes == ["p: claude-next is not in the model table: options sent as given"]


async def test_a_job_override_teaches_the_table_a_served_reasoning_model() -> None:
    """vLLM serving a thinking model: the job says so, and the cap makes room for it."""
    models = {"Qwen/Qwen3*": {"thinks_by_default": True, "reasoning_budget": 1000}}
    req = ask(model="Qwen/Qwen3-8B", **JUDGE)
    async with FakeServer(compatible=True) as srv:
        async with make_provider("openai", srv, type_="openai_compatible", models=models) as p:
            await p.chat(req)
            # The raised cap is a value the job did not ask for: part of the request key.
            assert p.adjustments(req) == {"max_tokens": 1016}
        async with make_provider("openai", srv, type_="openai_compatible") as plain:
            assert plain.adjustments(req) == {}  # nothing changed: the key stays as it was
    assert srv.requests[0]["body"]["max_tokens"] == 1016


def _judge_request(model: str) -> ChatRequest:
    return ChatRequest(
        model, (Message("system", "Judge."), Message("user", "A or B?")), DecodingOptions(**JUDGE)
    )


async def test_every_judge_type_works_on_gpt5_and_opus_4_7() -> None:
    """The judges' own default (temperature 0) goes through: no call is refused."""
    from engine.judges.base import JudgeInput, JudgeSpec
    from engine.judges.registry import JUDGE_TYPES, create_judge

    def script(req: FakeRequest) -> str:
        return "Output (a) [[A>B]] [[A]] [RESULT] A 9 3 1 final decision is Response 1."

    item = JudgeInput("Q?", "one", "two")
    for api, model in (("openai", "gpt-5"), ("anthropic", "claude-opus-4-7")):
        async with FakeServer(script) as srv:
            async with make_provider(api, srv) as p:
                for jtype, cls in JUDGE_TYPES.items():
                    if jtype == "reward_model":
                        continue  # scores through the pooling API: no chat options
                    params = {"rubric": "Right?"} if jtype == "prometheus2" else {}
                    judge = create_judge(JudgeSpec(jtype, jtype, model, params=params))
                    out = await judge.judge(item, p)
                    assert out.sent["temperature"] is None, jtype
                    assert cls.OPTIONS.temperature == 0.0  # what the type asks for
        refused = [e for e in srv.requests if e["status"] != 200]
        assert not refused and all("temperature" not in e["body"] for e in srv.requests)


def test_a_plan_is_made_once_per_model_and_option_values() -> None:
    """Equal options in new objects (one per question) reuse the plan; a different value, a
    different model or a reasoning setting in `extra` gets a plan of its own."""
    p = make_provider("openai", FakeServer())
    first = p.plan_for(ask(model="gpt-5", **JUDGE))
    assert p.plan_for(ask(model="gpt-5", **JUDGE)) is first
    assert p.plan_for(ask(model="gpt-5", temperature=0.0, max_tokens=32)).max_tokens == 25032
    assert p.plan_for(ask(model="o3", **JUDGE)).rule.family == "o-series"
    low = p.plan_for(ask(model="gpt-5", extra={"reasoning_effort": "low"}, **JUDGE))
    assert low.effort == "low" and first.effort is None
    assert p.plan_for(ask(model="gpt-5", extra={"stream": False}, **JUDGE)).stream is False
    assert first.stream is True


async def test_one_options_object_shared_by_two_models_is_planned_for_each() -> None:
    """A judge's requests share one options object; the provider keeps the last plan by
    that object's identity, and must still plan again when the model changes."""
    options = DecodingOptions(**JUDGE)  # type: ignore[arg-type]
    models = ("gpt-5", "gpt-4o", "gpt-5", "gpt-4o")
    async with FakeServer() as srv:
        async with make_provider("openai", srv) as p:
            for model in models:
                await p.chat(ChatRequest(model, (Message("user", "2+2?"),), options))
            await p.chat(ask(model="gpt-4o", temperature=0.5, max_tokens=16))  # a new object
    bodies = [e["body"] for e in srv.requests]
    assert [e["status"] for e in srv.requests] == [200] * 5
    assert ["temperature" in b for b in bodies[:4]] == [False, True, False, True]
    assert [b.get("max_completion_tokens") for b in bodies[:4]][1::2] == [16, 16]
    assert bodies[4]["temperature"] == 0.5
