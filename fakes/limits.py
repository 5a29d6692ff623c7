"""Server-side rate limits for the fake API server, charged as each real API charges them.

Each model has buckets refilled continuously at limit/60 per second, holding at most `burst`
seconds' worth (60 = a whole minute, as Anthropic documents its limits; 1 = the strict
short-window enforcement OpenAI warns about, where any burst above the per-second rate is
refused). A request is admitted only if every bucket holds what it costs; otherwise it gets a
429 with the time until it would fit. What a request costs, by API:

* OpenAI: requests/min 1; tokens/min its prompt tokens + `max_tokens` (or
  `max_completion_tokens`) x `n`, charged when it arrives and never given back (OpenAI
  counts the cap, not the usage). Without a cap, the prompt plus the real output.
* Anthropic: input tokens/min its prompt tokens (`tpm`), output tokens/min (`otpm`)
  `max_tokens` at arrival, settled to the real output when the answer is sent, as
  Anthropic documents its OTPM estimate.
* Gemini: tokens/min its prompt tokens (per model).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass
class _Bucket:
    per_minute: float
    capacity: float
    level: float
    stamp: float

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.per_minute / 60)
        self.stamp = now

    def wait_for(self, amount: float) -> float:
        missing = min(amount, self.capacity) - self.level
        return max(0.0, missing / (self.per_minute / 60))

    def reset_in(self) -> float:
        return (self.capacity - self.level) / (self.per_minute / 60)


@dataclass(frozen=True)
class Cost:
    """What one request is charged: tokens (OpenAI: all; else input) and output up front."""

    tokens: int
    output: int = 0


@dataclass(frozen=True)
class Verdict:
    admitted: bool
    retry_after: float
    which: str  # "requests", "tokens" or "output tokens" when refused
    headers: dict[str, str]


def output_cap(api: str, body: dict[str, Any]) -> int | None:
    """The request's own cap on output tokens, per choice."""
    if api == "gemini":
        cfg = body.get("generationConfig") or {}
        value = cfg.get("maxOutputTokens")
    else:
        value = body.get("max_completion_tokens", body.get("max_tokens"))
    return value if isinstance(value, int) else None


def cost_of(api: str, body: dict[str, Any], n: int, usage: dict[str, int]) -> Cost:
    """The charge at arrival (usage: the tokens the answer will have, for the uncapped case)."""
    cap = output_cap(api, body)
    if api == "openai":
        out = cap * n if cap is not None else usage["output"]
        return Cost(usage["input"] + out)
    if api == "anthropic":
        return Cost(usage["input"], cap if cap is not None else usage["output"])
    return Cost(usage["input"])


class ServerLimits:
    def __init__(
        self,
        rpm: float | None,
        tpm: float | None,
        burst: float = 60.0,
        otpm: float | None = None,
    ) -> None:
        self.rpm, self.tpm, self.otpm, self.burst = rpm, tpm, otpm, burst
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def _bucket(self, model: str, kind: str, per_minute: float, now: float) -> _Bucket:
        b = self._buckets.get((model, kind))
        if b is None:
            cap = max(1.0, per_minute * self.burst / 60)
            b = self._buckets[(model, kind)] = _Bucket(per_minute, cap, cap, now)
        b.refill(now)
        return b

    def admit(self, api: str, model: str, cost: Cost | int) -> Verdict:
        if isinstance(cost, int):
            cost = Cost(cost)
        now = time.monotonic()
        req = self._bucket(model, "requests", self.rpm, now) if self.rpm else None
        tok = self._bucket(model, "tokens", self.tpm, now) if self.tpm else None
        out = None
        if self.otpm and api == "anthropic":
            out = self._bucket(model, "output", self.otpm, now)
        waits = []
        if req is not None and req.level < 1:
            waits.append((req.wait_for(1), "requests"))
        if tok is not None and tok.level < min(cost.tokens, tok.capacity):
            waits.append((tok.wait_for(cost.tokens), "tokens"))
        if out is not None and out.level < min(cost.output, out.capacity):
            waits.append((out.wait_for(cost.output), "output tokens"))
        if waits:
            wait, which = max(waits)
            return Verdict(False, wait, which, self._headers(api, req, tok, out))
        if req is not None:
            req.level -= 1
        if tok is not None:
            tok.level -= cost.tokens
        if out is not None:
            out.level -= cost.output
        return Verdict(True, 0.0, "", self._headers(api, req, tok, out))

    def settle(self, api: str, model: str, cost: Cost, output_tokens: int) -> None:
        """The answer is out: Anthropic adjusts its output estimate to the real output."""
        if api != "anthropic" or not self.otpm:
            return
        b = self._bucket(model, "output", self.otpm, time.monotonic())
        b.level = min(b.capacity, b.level + cost.output - output_tokens)

    @staticmethod
    def _headers(
        api: str, req: _Bucket | None, tok: _Bucket | None, out: _Bucket | None = None
    ) -> dict[str, str]:
        headers: dict[str, str] = {}
        # Anthropic's tokens/min are input tokens/min, stated as such.
        tokens = "input-tokens" if api == "anthropic" else "tokens"
        for kind, b in (("requests", req), (tokens, tok), ("output-tokens", out)):
            if b is None:
                continue
            remaining = str(max(0, int(b.level)))
            reset = b.reset_in()
            if api == "openai":
                headers[f"x-ratelimit-limit-{kind}"] = str(int(b.per_minute))
                headers[f"x-ratelimit-remaining-{kind}"] = remaining
                headers[f"x-ratelimit-reset-{kind}"] = f"{int(reset * 1000)}ms"
            elif api == "anthropic":
                when = datetime.fromtimestamp(time.time() + reset, UTC)
                headers[f"anthropic-ratelimit-{kind}-limit"] = str(int(b.per_minute))
                headers[f"anthropic-ratelimit-{kind}-remaining"] = remaining
                stamp = when.isoformat().replace("+00:00", "Z")
                headers[f"anthropic-ratelimit-{kind}-reset"] = stamp
        return headers
