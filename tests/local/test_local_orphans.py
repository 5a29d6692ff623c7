"""No orphan server: the engine process is SIGKILLed or interrupted while the server runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.local.helpers import needs_model, running, wait_gone

pytestmark = [pytest.mark.local_model, needs_model]

REPO = Path(__file__).resolve().parents[2]

# A stand-in engine: start the provider, report the server's pid, then wait to be killed.
HOLDER = """
import anyio, sys
from providers.config import LocalModel, ProviderConfig
from providers.local import LocalProvider

async def main():
    cfg = ProviderConfig(type="local", local=LocalModel(n_ctx=512))
    async with LocalProvider("local", cfg) as provider:
        print("SERVER", provider.pid, flush=True)
        await anyio.sleep(300)

try:
    anyio.run(main)
except KeyboardInterrupt:
    print("INTERRUPTED", flush=True)
    sys.exit(130)
"""


def start_holder() -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("SERVER"):
        proc.kill()
        pytest.fail(f"holder did not start a server: {line!r}")
    pid = int(line.split()[1])
    assert running(pid)
    return proc, pid


def test_sigkill_of_the_engine_kills_the_server() -> None:
    proc, server = start_holder()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    # Nobody ran cleanup code: only the kernel's parent-death signal can stop the server.
    assert wait_gone(server, 5.0), "server orphaned after SIGKILL of its parent"


def test_interrupt_of_the_engine_stops_the_server() -> None:
    proc, server = start_holder()
    os.kill(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "INTERRUPTED" in out
    assert wait_gone(server, 1.0), "server still running after Ctrl-C of its parent"
