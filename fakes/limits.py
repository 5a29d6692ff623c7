"""Server-side requests/min and tokens/min enforcement for the fake API server.

Each model has two buckets refilled continuously at limit/60 per second, holding at most
`burst` seconds' worth (60 = a whole minute, as Anthropic documents its limits; 1 = the strict
short-window enforcement OpenAI warns about). A request is admitted only if both hold enough;
otherwise it gets a 429 with the time until it would fit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime


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
class Verdict:
    admitted: bool
    retry_after: float
    which: str  # "requests" or "tokens" when refused
    headers: dict[str, str]


class ServerLimits:
    def __init__(self, rpm: float | None, tpm: float | None, burst: float = 60.0) -> None:
        self.rpm, self.tpm, self.burst = rpm, tpm, burst
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def _bucket(self, model: str, kind: str, per_minute: float, now: float) -> _Bucket:
        b = self._buckets.get((model, kind))
        if b is None:
            cap = max(1.0, per_minute * self.burst / 60)
            b = self._buckets[(model, kind)] = _Bucket(per_minute, cap, cap, now)
        b.refill(now)
        return b

    def admit(self, api: str, model: str, tokens: int) -> Verdict:
        now = time.monotonic()
        req = self._bucket(model, "requests", self.rpm, now) if self.rpm else None
        tok = self._bucket(model, "tokens", self.tpm, now) if self.tpm else None
        waits = []
        if req is not None and req.level < 1:
            waits.append((req.wait_for(1), "requests"))
        if tok is not None and tok.level < min(tokens, tok.capacity):
            waits.append((tok.wait_for(tokens), "tokens"))
        if waits:
            wait, which = max(waits)
            return Verdict(False, wait, which, self._headers(api, req, tok))
        if req is not None:
            req.level -= 1
        if tok is not None:
            tok.level -= tokens
        return Verdict(True, 0.0, "", self._headers(api, req, tok))

    @staticmethod
    def _headers(api: str, req: _Bucket | None, tok: _Bucket | None) -> dict[str, str]:
        out: dict[str, str] = {}
        for kind, b in (("requests", req), ("tokens", tok)):
            if b is None:
                continue
            remaining = str(max(0, int(b.level)))
            reset = b.reset_in()
            if api == "openai":
                out[f"x-ratelimit-limit-{kind}"] = str(int(b.per_minute))
                out[f"x-ratelimit-remaining-{kind}"] = remaining
                out[f"x-ratelimit-reset-{kind}"] = f"{int(reset * 1000)}ms"
            elif api == "anthropic":
                when = datetime.fromtimestamp(time.time() + reset, UTC)
                out[f"anthropic-ratelimit-{kind}-limit"] = str(int(b.per_minute))
                out[f"anthropic-ratelimit-{kind}-remaining"] = remaining
                out[f"anthropic-ratelimit-{kind}-reset"] = when.isoformat().replace("+00:00", "Z")
        return out
