"""Build a provider from its job settings: resolve its key and base URL, pick its class."""

from __future__ import annotations

import os
from collections.abc import Mapping

from providers.base import Provider
from providers.config import DEFAULT_BASE_URL, DEFAULT_BASE_URL_ENV, ProviderConfig
from providers.endpoints import EndpointSpec
from providers.urls import expand_vars, url_problem

Loc = tuple[str | int, ...]


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
        return _expanded("base_url", config.base_url, env)
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


def resolve_endpoints(config: ProviderConfig, env: Mapping[str, str]) -> list[EndpointSpec]:
    """The provider's servers: each of `endpoints` ($VARS expanded and checked as base_url
    is), or the one `resolve_base_url` names. ValueError names the field at fault."""
    if config.endpoints is None:
        return [EndpointSpec(resolve_base_url(config, env), 1.0, config.max_concurrency)]
    return [
        EndpointSpec(
            _expanded(f"endpoints[{i}].base_url", ep.base_url, env),
            ep.weight,
            ep.max_concurrency or config.max_concurrency,
        )
        for i, ep in enumerate(config.endpoints)
    ]


def _expanded(field: str, value: str, env: Mapping[str, str]) -> str:
    try:
        url = expand_vars(value, env)
    except ValueError as exc:  # "base_url names $X, which is not set", for the field at fault
        raise ValueError(str(exc).replace("base_url", field, 1)) from None
    problem = url_problem(url)
    if problem is not None:
        raise ValueError(f"{field} {value!r} expands to {problem}")
    return url


def base_url_problems(
    config: ProviderConfig, env: Mapping[str, str] = os.environ
) -> list[tuple[Loc, str]]:
    """What is wrong with the provider's base URLs once expanded, each with its field (a job
    error at `validate`, as a URL that cannot be one would fail every call the same way)."""
    if config.type == "local":
        return []
    if config.endpoints is None:
        try:
            resolve_base_url(config, env)
        except ValueError as exc:
            return [(("base_url",), str(exc))]
        return []
    out: list[tuple[Loc, str]] = []
    for i, ep in enumerate(config.endpoints):
        try:
            _expanded(f"endpoints[{i}].base_url", ep.base_url, env)
        except ValueError as exc:
            out.append((("endpoints", i, "base_url"), str(exc)))
    return out


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
    servers = resolve_endpoints(config, env)
    if config.type in ("openai", "openai_compatible"):
        from providers.openai import OpenAIProvider

        return OpenAIProvider(name, config, api_key=key, endpoints=servers)
    if config.type == "anthropic":
        from providers.anthropic import AnthropicProvider

        return AnthropicProvider(name, config, api_key=key, endpoints=servers)
    if config.type == "gemini":
        from providers.gemini import GeminiProvider

        return GeminiProvider(name, config, api_key=key, endpoints=servers)
    raise ValueError(f"provider {name!r}: unknown type {config.type!r}")
