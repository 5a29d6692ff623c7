"""What isolation this machine allows, found once at runtime.

The sandbox degrades rather than crashes: whatever is missing is named in
`Capabilities.notes`, and those notes reach every verdict's reason.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from dataclasses import dataclass

# Run in a throw-away interpreter: enter new network, mount and PID namespaces and make
# mounts private, exactly as the zygote's supervisor does, then report.
_PROBE = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(0x00020000 | 0x20000000 | 0x40000000 | 0x04000000 | 0x08000000) != 0:
    raise SystemExit("unshare(2): " + os.strerror(ctypes.get_errno()))
if libc.mount(None, b"/", None, 16384 | (1 << 18), None) != 0:
    raise SystemExit("private mounts: " + os.strerror(ctypes.get_errno()))
"""


@dataclass(frozen=True, slots=True)
class Capabilities:
    """Isolation features available to sandboxed programs."""

    # New network, mount and PID namespaces per program.
    namespaces: bool
    # Programs can run under their own unprivileged uid (we are root).
    drop_uid: bool
    notes: tuple[str, ...]


def _try_namespaces() -> str | None:
    """None when namespaces work here, else why not."""
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _PROBE], capture_output=True, timeout=20, env={}
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if done.returncode != 0:
        return done.stderr.decode(errors="replace").strip()[-200:] or f"exit {done.returncode}"
    return None


@functools.cache
def capabilities() -> Capabilities:
    """Probe once per process (one short-lived interpreter)."""
    notes: list[str] = []
    why = _try_namespaces()
    if why is not None:
        notes.append(f"no network or PID isolation: {why}")
    drop_uid = os.geteuid() == 0
    if not drop_uid:
        notes.append("programs run under the caller's uid: no process-count limit")
    return Capabilities(why is None, drop_uid, tuple(notes))
