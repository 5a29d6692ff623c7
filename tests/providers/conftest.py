"""Helpers for provider tests: every test talks real HTTP to a loopback FakeServer."""

from __future__ import annotations

from typing import Any

import pytest

from fakes.server import FakeServer
from providers.anthropic import AnthropicProvider
from providers.base import ChatRequest, Message
from providers.config import ProviderConfig, RetryPolicy
from providers.gemini import GeminiProvider
from providers.http import HTTPProvider
from providers.openai import OpenAIProvider
from providers.options import DecodingOptions

APIS = ("openai", "anthropic", "gemini")
KEY = "sk-test-SECRET-0123456789abcdef"
FAST_RETRY = RetryPolicy(
    max_attempts=4, initial_backoff=0.01, max_backoff=0.05, attempt_timeout=2.0, total_deadline=20
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiohttp runs on asyncio only


def make_provider(
    api: str, srv: FakeServer, *, key: str | None = KEY, type_: str | None = None, **cfg: Any
) -> HTTPProvider:
    cfg.setdefault("retry", FAST_RETRY)
    config = ProviderConfig(type=type_ or api, **cfg)  # type: ignore[arg-type]
    if api == "openai":
        return OpenAIProvider("p", config, api_key=key, base_url=srv.base_url_openai)
    if api == "anthropic":
        return AnthropicProvider("p", config, api_key=key, base_url=srv.base_url_anthropic)
    return GeminiProvider("p", config, api_key=key, base_url=srv.base_url_gemini)


def ask(text: str = "What is 2+2?", model: str = "m1", **kw: Any) -> ChatRequest:
    return ChatRequest(
        model=model,
        messages=(Message("system", "Answer briefly."), Message("user", text)),
        options=DecodingOptions(**kw),
    )
