"""Cost of a call from the job's price table (US dollars per million tokens)."""

from __future__ import annotations

from collections.abc import Mapping

from providers.base import Usage
from providers.config import Price


def price_for(prices: Mapping[str, Price], model: str) -> Price | None:
    """The price of `model`: its own entry, else the `"*"` entry, else None (cost 0)."""
    return prices.get(model) or prices.get("*")


def cost_of(price: Price | None, usage: Usage) -> float:
    """Cached input tokens are billed at `cached_input` when the table gives one.

    `input_tokens` includes cached tokens and `output_tokens` includes reasoning tokens, as
    OpenAI reports them; the Anthropic and Gemini parsers normalise to that.
    """
    if price is None:
        return 0.0
    cached = min(usage.cached_tokens, usage.input_tokens)
    cached_rate = price.cached_input if price.cached_input is not None else price.input
    return (
        (usage.input_tokens - cached) * price.input
        + cached * cached_rate
        + usage.output_tokens * price.output
    ) / 1_000_000
