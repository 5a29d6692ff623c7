"""One response schema (made by pydantic, as a user would) through all three APIs: each sends
it in its own field and form, and the fakes refuse the forms the real APIs refuse."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import orjson
import pytest
from pydantic import BaseModel, ConfigDict, Field

from engine.jobload import JobError, load_job
from fakes.server import FakeServer
from providers.base import ProviderError
from providers.models import ModelTable
from providers.schema import Unsupported, gemini_schema, strict_schema
from tests.providers.conftest import ask, make_provider

pytestmark = pytest.mark.anyio


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    step: str
    weight: float = Field(ge=0, le=1)


class Verdict(BaseModel):
    winner: Literal["A", "B", "tie"]
    confidence: int = Field(3, ge=1, le=5)
    reasons: list[Reason]
    note: str | None = None


SCHEMA = Verdict.model_json_schema()
ANSWER = '{"winner": "A", "confidence": 4, "reasons": [], "note": null}'


def test_the_pydantic_schema_is_not_strict_as_made() -> None:
    """Why the old client's `strict: true` with the schema as made was a 400."""
    assert "additionalProperties" not in SCHEMA and SCHEMA["required"] == ["winner", "reasons"]


async def test_openai_gets_a_strict_compatible_schema() -> None:
    async with FakeServer(lambda r: ANSWER) as srv:
        async with make_provider("openai", srv) as p:
            resp = await p.chat(ask(model="gpt-4o", response_schema=SCHEMA))
    assert srv.requests[0]["status"] == 200 and orjson.loads(resp.text)["winner"] == "A"
    fmt = srv.requests[0]["body"]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    sent = fmt["json_schema"]["schema"]
    assert sent["additionalProperties"] is False
    assert sent["required"] == ["winner", "confidence", "reasons", "note"]
    assert sent["$defs"]["Reason"]["additionalProperties"] is False


async def test_the_fake_refuses_a_non_strict_schema_with_strict_true() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": SCHEMA, "strict": True}}
    async with FakeServer() as srv:
        async with make_provider("openai", srv) as p:
            with pytest.raises(ProviderError, match="additionalProperties"):
                await p.chat(ask(model="gpt-4o", extra={"response_format": fmt}))


async def test_openai_sends_an_open_schema_unenforced_rather_than_refused() -> None:
    schema = {"type": "object", "additionalProperties": {"type": "number"}}
    with pytest.raises(Unsupported):
        strict_schema(schema)
    async with FakeServer(lambda r: "{}") as srv:
        async with make_provider("openai", srv) as p:
            await p.chat(ask(model="gpt-4o", response_schema=schema))
    spec = srv.requests[0]["body"]["response_format"]["json_schema"]
    assert spec["strict"] is False and spec["schema"] == schema


async def test_anthropic_gets_output_config_format() -> None:
    async with FakeServer(lambda r: ANSWER) as srv:
        async with make_provider("anthropic", srv) as p:
            await p.chat(ask(model="claude-sonnet-4-5", response_schema=SCHEMA))
    entry = srv.requests[0]
    assert entry["status"] == 200, entry.get("refused")
    fmt = entry["body"]["output_config"]["format"]
    assert fmt["type"] == "json_schema"
    assert fmt["schema"]["additionalProperties"] is False
    # Anthropic enforces no numeric bounds: they move into the description, as the SDK does.
    confidence = fmt["schema"]["properties"]["confidence"]
    assert "minimum" not in confidence and "minimum: 1" in confidence["description"]


async def test_the_anthropic_fake_refuses_an_open_object() -> None:
    extra = {"output_config": {"format": {"type": "json_schema", "schema": SCHEMA}}}
    async with FakeServer() as srv:
        async with make_provider("anthropic", srv) as p:
            with pytest.raises(ProviderError, match="additionalProperties"):
                await p.chat(ask(model="claude-sonnet-4-5", extra=extra))


async def test_gemini_gets_response_json_schema() -> None:
    async with FakeServer(lambda r: ANSWER) as srv:
        async with make_provider("gemini", srv) as p:
            await p.chat(ask(model="gemini-2.5-flash-lite", response_schema=SCHEMA))
    entry = srv.requests[0]
    assert entry["status"] == 200, entry.get("refused")
    config = entry["body"]["generationConfig"]
    assert config["responseJsonSchema"] == SCHEMA and "responseSchema" not in config
    assert config["responseMimeType"] == "application/json"


async def test_the_gemini_fake_refuses_additional_properties_in_response_schema() -> None:
    """What the old client sent: a JSON Schema (here with a closed object) in responseSchema."""
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "additionalProperties": False,
    }
    extra = {"generationConfig": {"responseMimeType": "application/json", "responseSchema": schema}}
    async with FakeServer() as srv:
        async with make_provider("gemini", srv) as p:
            with pytest.raises(ProviderError, match='Unknown name "additionalProperties"'):
                await p.chat(ask(model="gemini-2.5-flash-lite", extra=extra))


def test_gemini_keeps_response_schema_for_the_openapi_dialect_and_older_models() -> None:
    rule = ModelTable("gemini").rule("gemini-2.0-flash")[0]
    openapi = {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}}
    assert gemini_schema(openapi, ModelTable("gemini").rule("gemini-2.5-pro")[0])[0] == (
        "responseSchema"
    )
    assert gemini_schema({"type": "object"}, rule) == ("responseSchema", {"type": "object"})
    with pytest.raises(Unsupported, match=r"\$defs"):
        gemini_schema(SCHEMA, rule)


def _job(tmp_path: Path, provider: str, model: str, schema: dict) -> Path:
    (tmp_path / "q.jsonl").write_text("")
    job = tmp_path / "job.yaml"
    job.write_text(
        "name: s\n"
        "providers:\n"
        f"  p: {{type: {provider}}}\n"
        "sources:\n"
        "  - {format: mmlu_pro, path: q.jsonl}\n"
        "response_model:\n"
        "  provider: p\n"
        f"  model: {model}\n"
        f"  response_schema: {orjson.dumps(schema).decode()}\n"
    )
    return job


@pytest.mark.parametrize(
    ("provider", "model", "schema", "words"),
    [
        (
            "anthropic",
            "claude-sonnet-4-5",
            {"type": "object", "additionalProperties": True},
            "additionalProperties",
        ),
        ("anthropic", "claude-3-5-haiku-latest", {"type": "object"}, "no structured output"),
        ("gemini", "gemini-2.0-flash", SCHEMA, "OpenAPI subset"),
        ("openai", "o1-mini", {"type": "object"}, "no structured output"),
    ],
)
def test_a_schema_the_api_cannot_take_is_a_job_error_at_validate(
    tmp_path: Path, provider: str, model: str, schema: dict, words: str
) -> None:
    env = {"ANTHROPIC_API_KEY": "k", "GEMINI_API_KEY": "k", "OPENAI_API_KEY": "k"}
    with pytest.raises(JobError) as info:
        load_job(_job(tmp_path, provider, model, schema), env=env)
    (problem,) = info.value.problems
    assert problem.startswith(f"{tmp_path / 'job.yaml'}:9: response_model.response_schema:")
    assert words in problem


def test_a_schema_the_api_takes_passes_validate(tmp_path: Path) -> None:
    env = {"ANTHROPIC_API_KEY": "k"}
    load_job(_job(tmp_path, "anthropic", "claude-sonnet-4-5", SCHEMA), env=env)
