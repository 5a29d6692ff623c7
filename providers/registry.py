"""Build a provider from its job settings: resolve its key and base URL, pick its class."""

from __future__ import annotations

import os
from collections.abc import Mapping

from providers.base import Provider
from providers.config import DEFAULT_BASE_URL, DEFAULT_BASE_URL_ENV, ProviderConfig
from providers.urls import expand_vars, url_problem


class MissingKeyError(ValueError):
    """A required API key env var is unset; the message names the variable, never a value."""


def missing_key_env(config: ProviderConfig, env: Mapping[str, str] = os.environ) -> str | None:
    """The env var to set when none of the provider's key variables has a value, else None."""
    names = config.key_env_names()
    if not names or any(env.get(n) for n in names):
        return None
    return names[0]


def key_problem(config: ProviderConfig, env: Mapping[str, str] = os.environ) -> str | None:
    """What to tell the user when the provider's key is unset (names only, never a value)."""
    if missing_key_env(config, env) is None:
        return None
    return f"API key not set: export {' or '.join(config.key_env_names())}"


def resolve_key(config: ProviderConfig, env: Mapping[str, str]) -> str | None:
    for name in config.key_env_names():
        if env.get(name):
            return env[name]
    return None


def resolve_base_url(config: ProviderConfig, env: Mapping[str, str]) -> str:
    """The job's base_url ($VARS expanded), else the usual *_BASE_URL env var, else the public
    endpoint; ValueError when the result cannot be a URL (a client-side error: not retried)."""
    if config.base_url:
        url = expand_vars(config.base_url, env)
        problem = url_problem(url)
        if problem is not None:
            raise ValueError(f"base_url {config.base_url!r} expands to {problem}")
        return url
    family = "openai" if config.type == "openai_compatible" else config.type
    env_name = DEFAULT_BASE_URL_ENV.get(family)
    if env_name and env.get(env_name):
        problem = url_problem(env[env_name])
        if problem is not None:
            raise ValueError(f"${env_name}: {problem}")
        return env[env_name]
    if config.type == "openai_compatible":
        raise ValueError(
            "an openai_compatible provider needs base_url (or OPENAI_BASE_URL) naming its server"
        )
    return DEFAULT_BASE_URL[family]


def base_url_problem(config: ProviderConfig, env: Mapping[str, str] = os.environ) -> str | None:
    """What is wrong with the provider's base URL once expanded (None: nothing)."""
    if config.type == "local":
        return None
    try:
        resolve_base_url(config, env)
    except ValueError as exc:
        return str(exc)
    return None


def create_provider(
    name: str, config: ProviderConfig, env: Mapping[str, str] = os.environ
) -> Provider:
    if config.type == "local":
        from providers.local import LocalProvider  # lazy: needs the optional llama.cpp extra

        return LocalProvider(name, config)
    problem = key_problem(config, env)
    if problem is not None:
        raise MissingKeyError(f"provider {name!r}: {problem}")
    key = resolve_key(config, env)
    base_url = resolve_base_url(config, env)
    if config.type in ("openai", "openai_compatible"):
        from providers.openai import OpenAIProvider

        return OpenAIProvider(name, config, api_key=key, base_url=base_url)
    if config.type == "anthropic":
        from providers.anthropic import AnthropicProvider

        return AnthropicProvider(name, config, api_key=key, base_url=base_url)
    if config.type == "gemini":
        from providers.gemini import GeminiProvider

        return GeminiProvider(name, config, api_key=key, base_url=base_url)
    raise ValueError(f"provider {name!r}: unknown type {config.type!r}")
