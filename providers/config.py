"""Provider settings as the job file states them (validated by pydantic)."""

from __future__ import annotations

import fnmatch
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from providers.models import ModelRule
from providers.urls import url_problem

ProviderType = Literal["openai", "openai_compatible", "anthropic", "gemini", "local"]
# The types whose API sells batch calls (OpenAI Batch, Anthropic Message Batches, Gemini).
BATCH_TYPES = ("openai", "anthropic", "gemini")

# The usual environment variables, used when the job names none.
DEFAULT_KEY_ENV: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "openai_compatible": (),  # many local servers need no key
    "anthropic": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "local": (),
}
DEFAULT_BASE_URL_ENV: dict[str, str] = {
    "openai": "OPENAI_BASE_URL",
    "anthropic": "ANTHROPIC_BASE_URL",
    "gemini": "GEMINI_BASE_URL",
}
DEFAULT_BASE_URL: dict[str, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "gemini": "https://generativelanguage.googleapis.com/v1beta",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetryPolicy(_Strict):
    max_attempts: int = Field(6, ge=1)
    initial_backoff: float = Field(1.0, ge=0, description="seconds before the first retry")
    max_backoff: float = Field(60.0, ge=0)
    # As the official SDKs: 600 s. For a streamed call it is the longest silence between two
    # events, so a slow but alive answer is never cut and paid again.
    attempt_timeout: float = Field(600.0, gt=0, description="seconds per attempt (or of silence)")
    stream_timeout: float = Field(3600.0, gt=0, description="seconds one streamed attempt may take")
    # When new attempts may still start (a stream already running is not cut by it).
    total_deadline: float = Field(900.0, gt=0, description="seconds for all attempts of one call")
    # A longer Retry-After is not slept on: we wait this long and try again, and give up at
    # once when the server's wait is longer than what is left of total_deadline.
    retry_after_cap: float = Field(60.0, ge=0, description="longest Retry-After slept on")


class Price(_Strict):
    """US dollars per million tokens."""

    input: float = Field(0.0, ge=0)
    output: float = Field(0.0, ge=0)
    cached_input: float | None = Field(None, ge=0)
    # Prompt-cache writes (Anthropic); default 1.25x input (5-minute TTL) and 2x (1-hour).
    cache_write: float | None = Field(None, ge=0)
    cache_write_1h: float | None = Field(None, ge=0)


class BatchSettings(_Strict):
    """How calls of a provider in `mode: batch` are gathered (providers/batch/). A batch is
    sent when it holds `max_requests` or `max_bytes`, or when its oldest call is `max_age`
    seconds old; each API's own limits cap both."""

    max_requests: int = Field(10_000, ge=1)
    max_bytes: int = Field(100_000_000, ge=1)
    max_age: float = Field(60.0, ge=0, description="seconds a call waits for its batch to fill")
    poll_initial: float = Field(5.0, gt=0, description="seconds before the first status check")
    poll_max: float = Field(300.0, gt=0, description="longest wait between two status checks")
    # Each API sells batch calls at half price; a price table per model overrides the factor.
    discount: float = Field(0.5, ge=0, le=1)
    prices: dict[str, Price] = Field(default_factory=dict, description="model -> batch price")
    # Times a call is put in a new batch after its batch failed, expired or was cancelled.
    resubmit: int = Field(2, ge=0)


class RateLimits(_Strict):
    """One model's limits where they differ from the provider's (Gemini states them per model)."""

    requests_per_minute: float | None = Field(None, gt=0)
    tokens_per_minute: float | None = Field(None, gt=0)
    output_tokens_per_minute: float | None = Field(None, gt=0)


class LocalModel(_Strict):
    """The embedded llama.cpp server (provider type `local`)."""

    model_path: str | None = Field(None, description="a GGUF file; default: the packaged model")
    n_ctx: int = 4096
    n_threads: int | None = None
    startup_timeout: float = 120.0


class Endpoint(_Strict):
    """One server of a provider with several (replicas of a self-hosted model, regions)."""

    base_url: str
    weight: float = Field(1.0, gt=0, description="share of the load, relative to the others")
    max_concurrency: int | None = Field(
        None, ge=1, description="calls in flight here at most; default: the provider's"
    )

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _checked_url(value)


class EndpointHealth(_Strict):
    """When an endpoint of several is taken out of the rotation and how it comes back."""

    # Consecutive connection errors, timeouts or 5xx answers that eject an endpoint.
    eject_after: int = Field(3, ge=1)
    # Seconds out after the first ejection, doubled after each failed probe.
    backoff: float = Field(1.0, gt=0)
    max_backoff: float = Field(60.0, gt=0)


class ProviderConfig(_Strict):
    type: ProviderType
    base_url: str | None = None
    # Several servers behind one provider, balanced by least outstanding requests; `base_url`
    # is the one-endpoint case of it (give one or the other).
    endpoints: tuple[Endpoint, ...] | None = None
    endpoint_health: EndpointHealth = EndpointHealth()
    # Whose limit requests_per_minute / tokens_per_minute (and the servers' limit headers)
    # describe: the account's, shared by all endpoints (cloud APIs), or each server's own
    # (self-hosted). Default: "endpoint" for openai_compatible, "account" otherwise.
    rate_limit_scope: Literal["account", "endpoint"] | None = None
    api_key_env: str | None = Field(None, description="name of the env var holding the key")
    requests_per_minute: float | None = Field(None, gt=0)
    # Anthropic, OpenAI and Gemini each count tokens/min their own way (providers/limits.py):
    # for Anthropic and Gemini it is input tokens/min; Anthropic's output limit is apart.
    tokens_per_minute: float | None = Field(None, gt=0)
    output_tokens_per_minute: float | None = Field(None, gt=0)
    # Per model (glob -> limits, the first match wins, exact names first), over the above.
    rate_limits: dict[str, RateLimits] = Field(default_factory=dict)
    max_concurrency: int = Field(64, ge=1)
    retry: RetryPolicy = RetryPolicy()
    prices: dict[str, Price] = Field(default_factory=dict, description="model -> price")
    # Extra HTTP headers (never secrets: keys come from env vars only).
    headers: dict[str, str] = Field(default_factory=dict)
    local: LocalModel | None = None
    # `batch`: calls go through the API's batch endpoint (half price, answers within 24 h);
    # a response model or judge may say otherwise for its own calls (`mode:` there).
    mode: Literal["online", "batch"] = "online"
    batch: BatchSettings = BatchSettings()
    # Server-sent events: "auto" streams reasoning models and long answers (providers/models.py).
    stream: Literal["auto"] | bool = "auto"
    # k samples of a question: one call each ("separate", each with its own seed), or one call
    # returning them all ("batched": OpenAI/vLLM `n`, Gemini `candidateCount`; the input is
    # paid once). "auto": batched where the model table allows it on the official OpenAI and
    # Gemini APIs (which do not reproduce a seed anyway), separate elsewhere.
    sampling: Literal["auto", "separate", "batched"] = "auto"
    # The model table's rules, overridden per model glob (fields of providers/models.yaml).
    models: dict[str, ModelRule] = Field(default_factory=dict)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _checked_url(value) if value is not None else None

    @model_validator(mode="after")
    def _one_way_to_name_servers(self) -> ProviderConfig:
        if self.endpoints is not None:
            if self.base_url is not None:
                raise ValueError("give base_url or endpoints, not both")
            if not self.endpoints:
                raise ValueError("endpoints is empty: list at least one {base_url: ...}")
            if self.type == "local":
                raise ValueError("a local provider runs its own server: it takes no endpoints")
        return self

    @property
    def limit_scope(self) -> Literal["account", "endpoint"]:
        if self.rate_limit_scope is not None:
            return self.rate_limit_scope
        return "endpoint" if self.type == "openai_compatible" else "account"

    @model_validator(mode="after")
    def _batch_api(self) -> ProviderConfig:
        if self.mode == "batch" and self.type not in BATCH_TYPES:
            raise ValueError(f"mode: batch needs a provider type with a batch API ({BATCH_TYPES})")
        return self

    def limits_for(self, model: str) -> RateLimits:
        """The limits of `model`: the provider's, with a per-model entry's fields over them."""
        base = RateLimits(
            requests_per_minute=self.requests_per_minute,
            tokens_per_minute=self.tokens_per_minute,
            output_tokens_per_minute=self.output_tokens_per_minute,
        )
        entry = self.rate_limits.get(model)
        if entry is None:
            entry = next(
                (v for g, v in self.rate_limits.items() if fnmatch.fnmatchcase(model, g)), None
            )
        if entry is None:
            return base
        return base.model_copy(update=entry.model_dump(exclude_none=True))

    def key_env_names(self) -> tuple[str, ...]:
        if self.api_key_env:
            return (self.api_key_env,)
        return DEFAULT_KEY_ENV[self.type]


def _checked_url(value: str) -> str:
    problem = url_problem(value, vars_allowed=True)
    if problem is not None:
        raise ValueError(problem)
    return value
