"""The model-family table behind self-preference."""

from __future__ import annotations

import pytest

from engine.report.families import model_family


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("gpt-4o-2024-05-13", "openai"),
        ("openai/gpt-4o-mini", "openai"),
        ("o1-preview", "openai"),
        ("o3-mini", "openai"),
        ("claude-3-5-sonnet-20240620", "anthropic"),
        ("models/gemini-1.5-pro", "google"),
        ("google/gemma-2-27b-it", "google"),
        ("meta-llama/Llama-3.1-70B-Instruct", "meta"),
        ("Skywork/Skywork-Critic-Llama-3.1-70B", "meta"),  # a fine-tune: its base model
        ("Skywork/Skywork-Reward-Gemma-2-27B", "google"),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", "mistral"),
        ("Qwen/Qwen2.5-72B-Instruct", "qwen"),
        ("deepseek-chat", "deepseek"),
        ("microsoft/Phi-3-mini-4k-instruct", "microsoft"),
        ("HuggingFaceTB/SmolLM2-135M-Instruct", "smollm"),
        ("prometheus-eval/prometheus-7b-v2.0", None),
        ("prompto", None),  # "o" followed by letters is not an OpenAI o-series name
        ("", None),
        (None, None),
    ],
)
def test_model_family(name: str | None, family: str | None) -> None:
    assert model_family(name) == family
