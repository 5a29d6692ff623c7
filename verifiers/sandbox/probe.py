"""What isolation this machine allows, found once at runtime.

The sandbox degrades rather than crashes: whatever is missing is named in
`Capabilities.notes`, and those notes reach every verdict's reason.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass

# util-linux `unshare`: no network, own PID namespace (its init's death kills every
# process inside), own mount namespace with a fresh /proc, killed with its parent.
UNSHARE_ARGS = ("--net", "--pid", "--fork", "--mount-proc", "--kill-child")


@dataclass(frozen=True, slots=True)
class Capabilities:
    """Isolation features available to sandboxed programs."""

    # Command prefix that enters new namespaces, or () when that is impossible here.
    namespace_prefix: tuple[str, ...]
    # Programs can run under their own unprivileged uid (we are root).
    drop_uid: bool
    notes: tuple[str, ...]

    @property
    def namespaces(self) -> bool:
        return bool(self.namespace_prefix)


def _try_unshare(binary: str) -> str | None:
    """None when `unshare` works here, else why not."""
    try:
        done = subprocess.run(
            [binary, *UNSHARE_ARGS, "true"], capture_output=True, timeout=10, env={}
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if done.returncode != 0:
        return done.stderr.decode(errors="replace").strip()[:200] or f"exit {done.returncode}"
    return None


@functools.cache
def capabilities() -> Capabilities:
    """Probe once per process (about 10 ms)."""
    notes: list[str] = []
    prefix: tuple[str, ...] = ()
    binary = shutil.which("unshare")
    if binary is None:
        notes.append("no network or PID isolation: util-linux `unshare` is not installed")
    elif (why := _try_unshare(binary)) is not None:
        notes.append(f"no network or PID isolation: unshare failed ({why})")
    else:
        prefix = (binary, *UNSHARE_ARGS)
    drop_uid = os.geteuid() == 0
    if not drop_uid:
        notes.append("programs run under the caller's uid: no process-count limit")
    return Capabilities(prefix, drop_uid, tuple(notes))
