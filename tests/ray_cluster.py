"""A Ray cluster of our own for the tests: `ray start --head --block`, started once per
session, stopped (with every process it started) when the session ends.

Ray maps a loopback address to the host's own one, so the cluster listens on this
machine's address; nothing leaves the machine. Token authentication is off for it (its
own temp folder, a free port, nothing else connects).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT_S = 240.0
NUM_CPUS = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def ray_cluster(temp_dir: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Yields (address, the `ray start` process); its processes are its descendants."""
    port = _free_port()
    ray = Path(sys.executable).with_name("ray")
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    proc = subprocess.Popen(
        [
            str(ray),
            "start",
            "--head",
            "--block",
            f"--port={port}",
            f"--num-cpus={NUM_CPUS}",
            "--include-dashboard=false",
            "--disable-usage-stats",
            f"--temp-dir={temp_dir}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        assert proc.stdout is not None
        for line in proc.stdout:
            if "Ray runtime started" in line:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("ray start did not come up")
        else:
            raise RuntimeError(f"ray start ended: exit {proc.wait()}")
        # Keep reading what it prints, so a full pipe never stalls it.
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        yield f"127.0.0.1:{port}", proc
    finally:
        proc.send_signal(signal.SIGTERM)  # --block stops what it started
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from the kernel's children lists."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = (task / "children").read_text().split()
            except OSError:
                continue
            for k in map(int, kids):
                out.append(k)
                todo.append(k)
    return out


def title(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""
