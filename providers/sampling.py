"""k samples from one call: the call's usage shared out among its samples (pure).

OpenAI and Gemini report one usage for all choices of a call. Each sample's record gets a
share, so that the records of a run still add up to what was billed: the input (paid once)
is split evenly, the output in proportion to each answer's length.
"""

from __future__ import annotations

from providers.base import Usage


def _shares(total: int, weights: list[int]) -> list[int]:
    """`total` split in proportion to `weights` (evenly when they are all 0), summing exactly."""
    n = len(weights)
    if sum(weights) == 0:
        weights = [1] * n
    whole = sum(weights)
    out = [total * w // whole for w in weights]
    for i in range(total - sum(out)):
        out[i % n] += 1
    return out


def split_usage(usage: Usage, texts: list[str]) -> list[Usage]:
    """One Usage per answer, summing to `usage`."""
    even = [1] * len(texts)
    lengths = [len(t) for t in texts]
    cols = [
        _shares(usage.input_tokens, even),
        _shares(usage.output_tokens, lengths),
        _shares(usage.reasoning_tokens, lengths),
        _shares(usage.cached_tokens, even),
        _shares(usage.cache_write_tokens, even),
        _shares(usage.cache_write_1h_tokens, even),
    ]
    return [Usage(*row) for row in zip(*cols, strict=True)]
