"""Base URLs from the job: `$VAR` expansion and a check that the result can be a URL (pure).

A URL that cannot be one would fail every call the same way; it is a job error at
`validate` (engine.provider_checks) and never a retried connection error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

_VAR = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


class UnsetVariable(ValueError):
    """A `$VAR` in a base URL names an environment variable that is not set."""


def expand_vars(value: str, env: Mapping[str, str]) -> str:
    """`$NAME` and `${NAME}` replaced from `env` (UnsetVariable names the first unset one)."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if not env.get(name):
            raise UnsetVariable(f"base_url names ${name}, which is not set")
        return env[name]

    return _VAR.sub(sub, value)


def url_problem(value: str, *, vars_allowed: bool = False) -> str | None:
    """Why `value` cannot be an HTTP base URL (None when it can). With `vars_allowed`, each
    `$VAR` stands for a host-like word (it is checked again once expanded)."""
    if vars_allowed and _VAR.search(value):
        scheme, sep, _ = value.partition("://")
        if not sep or "$" in scheme:
            return None  # the variable may hold the scheme and host: checked once expanded
    text = _VAR.sub("x", value) if vars_allowed else value
    hint = "expected http(s)://HOST[:PORT][/PATH]"
    if text != text.strip() or any(c.isspace() for c in text):
        return f"not a URL: {value!r} has spaces ({hint})"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        return f"not a URL: {value!r} ({exc}; {hint})"
    if parts.scheme not in ("http", "https"):
        return f"not a URL: {value!r} has no http:// or https:// scheme ({hint})"
    if not parts.hostname:
        return f"not a URL: {value!r} names no host ({hint})"
    if parts.query or parts.fragment:
        return f"not a base URL: {value!r} has a query or fragment ({hint})"
    return None
