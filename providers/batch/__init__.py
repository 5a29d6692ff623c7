"""Batch APIs: many chat calls in one job at about half price (one module per API behind
`providers.batch.base.BatchAPI`)."""

from __future__ import annotations

from providers.batch.base import BatchAPI
from providers.http import HTTPProvider


def batch_api(provider: HTTPProvider) -> BatchAPI:
    """The batch endpoints of `provider`'s API; ValueError where it has none."""
    if provider.config.type == "openai":
        from providers.batch.openai import OpenAIBatch

        return OpenAIBatch(provider)
    if provider.config.type == "anthropic":
        from providers.batch.anthropic import AnthropicBatch

        return AnthropicBatch(provider)
    if provider.config.type == "gemini":
        from providers.batch.gemini import GeminiBatch

        return GeminiBatch(provider)
    raise ValueError(f"provider {provider.name!r} ({provider.config.type}) has no batch API")
