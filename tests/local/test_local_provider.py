"""The local provider against a real llama.cpp server and the real SmolLM2 model."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from engine.judges.arena_hard import parse as parse_arena_hard
from engine.judges.vanilla import parse as parse_vanilla
from providers.base import ChatRequest, Message
from providers.config import LocalModel, ProviderConfig
from providers.local import LocalProvider, LocalServerError
from providers.options import DecodingOptions
from tests.local.helpers import needs_model, running, wait_gone
from verifiers import registry
from verifiers.base import Question
from verifiers.mmlu_pro import extract_strict

pytestmark = [pytest.mark.anyio, pytest.mark.local_model, needs_model]

JOBS = Path(__file__).resolve().parents[2] / "jobs"


def config(**local: object) -> ProviderConfig:
    return ProviderConfig(type="local", local=LocalModel(n_ctx=2048, **local))


def ask(text: str, grammar: str | None = None, max_tokens: int = 120, seed: int = 1) -> ChatRequest:
    extra: dict[str, object] = {"seed": seed}
    if grammar:
        extra["grammar"] = (JOBS / "grammars" / grammar).read_text()
    return ChatRequest(
        model="smollm2",
        messages=(Message("user", text),),
        options=DecodingOptions(temperature=0.8, max_tokens=max_tokens, extra=extra),
    )


def first_question(fmt: str, rel: str, **options: object) -> Question:
    return next(iter(registry.load(fmt, JOBS / "demo_data" / rel, **options)))


async def test_start_chat_stop_leaves_no_process() -> None:
    provider = LocalProvider("local", config())
    async with provider:
        pid = provider.pid
        assert pid is not None and running(pid)
        assert provider.base_url is not None and provider.base_url.startswith("http://127.0.0.1:")
        resp = await provider.chat(ask("Say hello in one short sentence.", max_tokens=20))
        assert resp.text.strip()
        assert resp.usage.input_tokens > 0 and resp.usage.output_tokens > 0
        assert provider.stats.completed == 1 and provider.stats.usage.output_tokens > 0
    assert wait_gone(pid, 1.0), "server still running after a normal end"
    await provider.aclose()  # a second close is harmless


async def test_constrained_outputs_parse() -> None:
    """Every grammar of the demo makes the tiny model's reply parse with our own parsers."""
    mmlu = first_question("mmlu_pro", "mmlu_pro.jsonl")
    lies = first_question("livebench", "livebench/reasoning/web_of_lies_v2/question.jsonl")
    math = first_question("livebench", "livebench/math/AMPS_Hard/question.jsonl")
    code = first_question("livecodebench", "livecodebench.jsonl", private_tests=False)
    judge_q = "Question: What is 2+2?\n\nOutput (a): 4\n\nOutput (b): 5\n\nWhich output is better?"
    async with LocalProvider("local", config()) as provider:
        text = (await provider.chat(ask(mmlu.prompt, "mmlu_pro.gbnf"))).text
        assert extract_strict(text) is not None, text
        for q, grammar in ((lies, "yes_no_3.gbnf"), (math, "boxed.gbnf")):
            text = (await provider.chat(ask(q.prompt, grammar))).text
            verify = registry.verifier_for(q.task)
            assert verify(q, text).extracted is not None, text
        text = (await provider.chat(ask(code.prompt, "python_block.gbnf", max_tokens=300))).text
        assert text.startswith("```python\n"), text
        text = (await provider.chat(ask(judge_q, "verdict_vanilla.gbnf", max_tokens=8))).text
        assert parse_vanilla(text) is not None, text
        text = (await provider.chat(ask(judge_q, "verdict_arena_hard.gbnf"))).text
        assert parse_arena_hard(text) is not None, text


async def test_response_schema_becomes_llama_json_schema() -> None:
    """OpenAI's json_schema format is rejected by llama.cpp; the provider translates it."""
    schema = {
        "type": "object",
        "properties": {"answer": {"enum": ["yes", "no"]}},
        "required": ["answer"],
    }
    request = ChatRequest(
        model="smollm2",
        messages=(Message("user", "Is the sky blue? Answer in JSON."),),
        options=DecodingOptions(temperature=0.0, max_tokens=30, response_schema=schema),
    )
    async with LocalProvider("local", config()) as provider:
        text = (await provider.chat(request)).text
    assert json.loads(text)["answer"] in ("yes", "no")


async def test_error_in_run_stops_server() -> None:
    provider = LocalProvider("local", config())
    with pytest.raises(RuntimeError, match="boom"):
        async with provider:
            pid = provider.pid
            assert pid is not None
            raise RuntimeError("boom")
    assert wait_gone(pid, 1.0)


async def test_cancelled_mid_call_stops_server() -> None:
    provider = LocalProvider("local", config())
    pid = None
    with anyio.move_on_after(30) as outer:
        async with anyio.create_task_group() as tg:
            async with provider:
                pid = provider.pid
                tg.start_soon(provider.chat, ask("Write a long story about a cat.", max_tokens=400))
                await anyio.sleep(0.5)  # the call is now being generated
                tg.cancel_scope.cancel()
    assert not outer.cancelled_caught
    assert pid is not None and wait_gone(pid, 1.0)


async def test_not_a_model_fails_with_server_output(tmp_path: Path) -> None:
    bogus = tmp_path / "broken.gguf"
    bogus.write_bytes(b"not a gguf file at all")
    provider = LocalProvider("local", config(model_path=str(bogus)))
    with pytest.raises(LocalServerError, match="exited during start-up") as err:
        await provider.start()
    assert str(bogus) in str(err.value)
    assert provider.pid is None  # the failed child was reaped and forgotten


async def test_startup_timeout_names_the_setting_and_kills_the_child() -> None:
    provider = LocalProvider("local", config(startup_timeout=0.05))
    with pytest.raises(LocalServerError, match=r"local\.startup_timeout"):
        await provider.start()
    assert provider.pid is None


async def test_missing_model_file_is_a_clear_error() -> None:
    with pytest.raises(LocalServerError, match="no such GGUF file"):
        await LocalProvider("local", config(model_path="/nonexistent/m.gguf")).start()
