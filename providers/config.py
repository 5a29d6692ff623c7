"""Provider settings as the job file states them (validated by pydantic)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ProviderType = Literal["openai", "openai_compatible", "anthropic", "gemini", "local"]

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
    attempt_timeout: float = Field(120.0, gt=0, description="seconds per attempt")
    total_deadline: float = Field(900.0, gt=0, description="seconds for all attempts of one call")


class Price(_Strict):
    """US dollars per million tokens."""

    input: float = Field(0.0, ge=0)
    output: float = Field(0.0, ge=0)
    cached_input: float | None = Field(None, ge=0)


class LocalModel(_Strict):
    """The embedded llama.cpp server (provider type `local`)."""

    model_path: str | None = Field(None, description="a GGUF file; default: the packaged model")
    n_ctx: int = 4096
    n_threads: int | None = None
    startup_timeout: float = 120.0


class ProviderConfig(_Strict):
    type: ProviderType
    base_url: str | None = None
    api_key_env: str | None = Field(None, description="name of the env var holding the key")
    requests_per_minute: float | None = Field(None, gt=0)
    tokens_per_minute: float | None = Field(None, gt=0)
    max_concurrency: int = Field(64, ge=1)
    retry: RetryPolicy = RetryPolicy()
    prices: dict[str, Price] = Field(default_factory=dict, description="model -> price")
    # Extra HTTP headers (never secrets: keys come from env vars only).
    headers: dict[str, str] = Field(default_factory=dict)
    local: LocalModel | None = None

    def key_env_names(self) -> tuple[str, ...]:
        if self.api_key_env:
            return (self.api_key_env,)
        return DEFAULT_KEY_ENV[self.type]
