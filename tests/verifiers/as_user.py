"""Run a command as another (unprivileged) user, with the paths it needs made reachable.

    python tests/verifiers/as_user.py USER PATH[:PATH...] -- COMMAND...

Run as root. Where a needed path sits under a folder others cannot enter (a Python under
/root, say), the command gets a private mount namespace in which that folder is a fresh
tmpfs holding only the needed entries, bound back from the original; nothing on the
host changes. Then it becomes USER (uid, gid, no supplementary groups, so no
capabilities) and execs COMMAND.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import sys
from pathlib import Path

_CLONE_NEWNS, _MS_BIND, _MS_REC, _MS_PRIVATE = 0x00020000, 4096, 16384, 1 << 18
_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        raise OSError(ctypes.get_errno(), what)


def _blocked(paths: list[Path]) -> dict[Path, set[str]]:
    """Folders others cannot enter, each with the entries inside that must stay visible."""
    plan: dict[Path, set[str]] = {}
    for path in paths:
        for parent in reversed(path.parents):
            if parent == path or parent == Path("/"):
                continue
            if not parent.stat().st_mode & 0o001:
                child = path.relative_to(parent).parts[0]
                plan.setdefault(parent, set()).add(child)
    return plan


def main() -> None:
    user, needed, sep, *command = sys.argv[1:]
    assert sep == "--", "usage: as_user.py USER PATHS -- COMMAND..."
    pw = pwd.getpwnam(user)
    paths = [Path(p).resolve() for p in needed.split(":") if p]
    plan = _blocked(paths)
    _check(_libc.unshare(_CLONE_NEWNS), "unshare")
    _check(_libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None), "private mounts")
    for folder in sorted(plan, key=lambda p: len(p.parts)):
        held = {name: os.open(folder / name, os.O_PATH) for name in plan[folder]}
        _check(_libc.mount(b"tmpfs", str(folder).encode(), b"tmpfs", 0, b"mode=0755"), "tmpfs")
        for name, fd in held.items():
            target = folder / name
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                target.mkdir()
            else:
                target.touch()
            source, dest = f"/proc/self/fd/{fd}".encode(), str(target).encode()
            _check(_libc.mount(source, dest, None, _MS_BIND | _MS_REC, None), "bind")
            os.close(fd)
    os.setgroups([])
    os.setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid)
    os.setresuid(pw.pw_uid, pw.pw_uid, pw.pw_uid)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
