"""Shared pieces of the provider benchmarks: the fake server as a separate process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fakes.process import fake_server_process

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def fake_server(*args: str) -> Iterator[str]:
    """Run `python -m fakes ARGS` in its own process (its own core); yield its URL."""
    with fake_server_process(*args) as (_proc, url):
        yield url


def fifty_words(req: object) -> str:
    """A fixed ~50-token answer (the fake counts words and punctuation as tokens)."""
    return " ".join(["answer"] * 49) + "."
