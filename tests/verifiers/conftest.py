"""Sandbox pools made by tests are closed once, at the end of the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.verifiers.sandbox_levels import close_pools


@pytest.fixture(scope="session", autouse=True)
def _close_sandbox_pools() -> Iterator[None]:
    yield
    close_pools()
