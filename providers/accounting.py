"""Cost of a call from the job's price table (US dollars per million tokens)."""

from __future__ import annotations

from collections.abc import Mapping

from providers.base import Usage
from providers.config import Price, ProviderConfig


def price_for(prices: Mapping[str, Price], model: str) -> Price | None:
    """The price of `model`: its own entry, else the `"*"` entry, else None (cost 0)."""
    return prices.get(model) or prices.get("*")


# Anthropic bills prompt-cache writes above the input rate: 5-minute TTL and 1-hour TTL.
CACHE_WRITE_5M = 1.25
CACHE_WRITE_1H = 2.0


def cost_of(price: Price | None, usage: Usage) -> float:
    """Cached input tokens are billed at `cached_input` when the table gives one; cache writes
    at `cache_write` / `cache_write_1h`, else 1.25x / 2x the input rate (Anthropic's rule).

    `input_tokens` includes cache reads and writes and `output_tokens` includes reasoning
    tokens, as OpenAI reports them; the Anthropic and Gemini parsers normalise to that.
    """
    if price is None:
        return 0.0
    cached = min(usage.cached_tokens, usage.input_tokens)
    writes = min(usage.cache_write_tokens, usage.input_tokens - cached)
    long_writes = min(usage.cache_write_1h_tokens, writes)
    cached_rate = price.cached_input if price.cached_input is not None else price.input
    write_5m = price.cache_write if price.cache_write is not None else price.input * CACHE_WRITE_5M
    write_1h = (
        price.cache_write_1h if price.cache_write_1h is not None else price.input * CACHE_WRITE_1H
    )
    return (
        (usage.input_tokens - cached - writes) * price.input
        + cached * cached_rate
        + (writes - long_writes) * write_5m
        + long_writes * write_1h
        + usage.output_tokens * price.output
    ) / 1_000_000


def batch_cost(config: ProviderConfig, model: str, usage: Usage) -> float:
    """Cost of a call made through the batch API: the model's batch price where the job
    gives one (`batch.prices`), else its online price times `batch.discount`."""
    own = price_for(config.batch.prices, model)
    if own is not None:
        return cost_of(own, usage)
    return cost_of(price_for(config.prices, model), usage) * config.batch.discount
