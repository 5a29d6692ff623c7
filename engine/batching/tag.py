"""Which request key and which mode a provider call is made for, as the stages know them.

The stages set it around a call (`with tagged(key, mode)`); a batching provider reads it, so
a batch line's `custom_id` is the call's request key and each response model or judge can
choose its own mode. A context variable reaches calls made deep inside a judge, and the
tasks a judge starts, without changing the judges' interface.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

Mode = Literal["online", "batch"]


@dataclass(frozen=True, slots=True)
class Tag:
    key: str | None
    mode: Mode | None  # None: the provider's own mode


NO_TAG = Tag(None, None)
_CURRENT: ContextVar[Tag | None] = ContextVar("judgeflow_call", default=None)


class tagged:  # lower case: read as a function, `with tagged(key, mode):`
    """Calls made inside the block are for request `key`, in `mode`. A class rather than a
    generator context manager: it is entered once per call on the hot path."""

    __slots__ = ("_tag", "_token")

    def __init__(self, key: str | None, mode: Mode | None) -> None:
        self._tag = Tag(key, mode)

    def __enter__(self) -> None:
        self._token = _CURRENT.set(self._tag)

    def __exit__(self, *exc: object) -> None:
        _CURRENT.reset(self._token)


def current() -> Tag:
    return _CURRENT.get() or NO_TAG
