"""The sandbox's containment properties, each shown by a real hostile program.

Every test runs at each isolation level this machine allows (see sandbox_levels.py) and
would fail if its property broke: the filesystem view, memory floods, the result
channel, the engine's process, survivors, privileges, host sockets.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import verifiers.sandbox.pool as pool_module
from tests.conftest import REPO
from tests.verifiers.sandbox_levels import isolated_levels, leftovers, pool_for, uids_alive
from verifiers import livecodebench
from verifiers.base import Question, Verdict
from verifiers.sandbox import Limits, SandboxPool, interpreter_view

ROOMY = Limits(timeout_s=60.0, memory_mb=512)  # generous: a busy machine must not decide
SMALL = Limits(timeout_s=20.0, memory_mb=256)


@pytest.fixture(params=isolated_levels())
def pool(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxPool]:
    chosen = pool_for(request.param)
    monkeypatch.setattr(pool_module, "_default", chosen)
    yield chosen
    assert leftovers(chosen) == []


def _question(output: str, given: str = "\n", timeout_s: float = 60.0) -> Question:
    return Question(
        id="livecodebench:containment",
        source="livecodebench",
        task="livecodebench",
        prompt="",
        question="q",
        ground_truth=[{"input": given, "output": output, "testtype": "stdin"}],
        meta={"n_public": 1, "timeout_s": timeout_s, "memory_mb": 256},
    )


def _verify(code: str, output: str, given: str = "\n", timeout_s: float = 60.0) -> Verdict:
    return livecodebench.verify(_question(output, given, timeout_s), f"```python\n{code}\n```")


def _run(pool: SandboxPool, code: str, given: str = "\n", limits: Limits = ROOMY) -> str:
    """Run `code`, insist it ended normally, and return its stdout."""
    out = pool.run(code, [given], limits=limits).outcomes[0]
    assert out.status == "ok", (out.describe(), out.stderr)
    return out.stdout or ""


# ---------------------------------------------------------------- the filesystem view


@pytest.fixture
def planted() -> Iterator[tuple[str, list[Path]]]:
    """A question's test file, in the project's data folder and in a world-readable
    folder outside it. Its expected output is a fresh marker nobody could guess."""
    marker = f"judgeflow-planted-{uuid.uuid4().hex}"
    record = json.dumps({"input": "\n", "output": marker, "testtype": "stdin"})
    inside = Path(os.environ.get("JUDGEFLOW_TEST_DATA_DIR") or REPO / "data") / marker
    outside = Path("/var/tmp") / marker
    files = []
    for folder in (inside, outside):
        folder.mkdir(parents=True)
        folder.chmod(0o755)
        f = folder / "tests.jsonl"
        f.write_text(record + "\n")
        f.chmod(0o644)
        files.append(f)
    yield marker, files
    for f in files:
        shutil.rmtree(f.parent, ignore_errors=True)


SEARCH = """
import os, sys
known = sys.stdin.read().split()
hits = [p for p in known if os.path.exists(p)]
for top, dirs, files in os.walk('/'):
    if top == '/':
        dirs[:] = [d for d in dirs if d != 'proc']
    hits += [os.path.join(top, f) for f in files if 'judgeflow-planted' in f]
    hits += [os.path.join(top, d) for d in dirs if 'judgeflow-planted' in d]
for p in hits:
    try:
        for line in open(p if os.path.isfile(p) else os.path.join(p, 'tests.jsonl')):
            if '"output"' in line:
                print(line.split('"output": "')[1].split('"')[0])
                raise SystemExit
    except OSError:
        pass
print('not found')
"""


def test_a_search_of_the_whole_filesystem_does_not_find_the_test_file(
    pool: SandboxPool, planted: tuple[str, list[Path]]
) -> None:
    marker, files = planted
    given = " ".join([*map(str, files), *(str(f.parent) for f in files), str(REPO)]) + "\n"
    assert all(f.exists() for f in files)
    verdict = _verify(SEARCH, marker, given)
    assert verdict.correct is False, verdict
    assert "wrong answer" in verdict.reason and "not found" in verdict.reason


VIEW = """
import json, os
mounts = []
for line in open('/proc/self/mountinfo'):
    pre, _, post = line.partition(' - ')
    f = pre.split()
    mounts.append([f[4], f[5], post.split()[0]])
top = {}
for name in os.listdir('/'):
    p = '/' + name
    top[name] = 'link' if os.path.islink(p) else 'dir' if os.path.isdir(p) else 'file'
print(json.dumps({'mounts': mounts, 'top': top, 'dev': sorted(os.listdir('/dev')),
                  'pids': sorted(int(p) for p in os.listdir('/proc') if p.isdigit())}))
"""


def test_the_program_sees_only_the_interpreter_and_its_libraries(pool: SandboxPool) -> None:
    seen = json.loads(_run(pool, VIEW))
    allowed = set(interpreter_view().visible())
    devices = {f"/dev/{d}" for d in ("null", "zero", "random", "urandom")}
    for point, options, fstype in seen["mounts"]:
        opts = set(options.split(","))
        assert "nosuid" in opts, (point, options)
        if point in ("/tmp", "/work"):
            assert fstype == "tmpfs" and "nodev" in opts
        elif point == "/proc" or point.startswith("/proc/"):
            assert fstype == "proc"
        elif point in devices:
            assert "ro" not in opts or point == "/dev/null"
        else:
            assert point == "/" or point in allowed, f"unexpected host path {point}"
            assert "ro" in opts and "nodev" in opts, (point, options)
    points = {m[0] for m in seen["mounts"]}
    assert not points & {"/home", "/srv", "/opt", "/etc", "/var", "/run", "/mnt", str(REPO)}
    # The root holds only folders and symlinks that lead to the binds above.
    assert "file" not in seen["top"].values()
    assert sorted(seen["dev"]) == sorted(["fd", "null", "random", "stderr", "stdin", "stdout",
                                          "urandom", "zero"])  # fmt: skip
    assert seen["pids"][0] == 1 and max(seen["pids"]) < 50  # its own PID namespace


# ---------------------------------------------------------------- memory


FLOODS = {
    "memfd": (
        "import os\nheld = 0\nfds = []\ntry:\n    while held < (1 << 30):\n"
        "        fd = os.memfd_create('x')\n        fds.append(fd)\n"
        "        os.write(fd, b'x' * (16 << 20))\n        held += 16 << 20\n"
        "except OSError:\n    pass\nprint(42 if held > (256 << 20) else held)"
    ),
    "tmpfs": (
        "held = 0\ntry:\n    with open('/tmp/fill', 'wb') as f:\n"
        "        while held < (1 << 30):\n            f.write(b'x' * (1 << 20))\n"
        "            f.flush()\n            held += 1 << 20\nexcept OSError:\n    pass\n"
        "print(42 if held > (256 << 20) else held)"
    ),
    "inodes": (
        "import os\nn = 0\ntry:\n    while n < 2_000_000:\n"
        "        open(f'/work/{n:08d}' + 'y' * 200, 'w').close()\n        n += 1\n"
        "except OSError:\n    pass\nprint(42 if n > 100_000 else n)"
    ),
    "processes": (  # six processes of 200 MB each: alive at once, they hold 1.2 GB
        "import os, time\nr, w = os.pipe()\nkids = []\ntry:\n    for _ in range(6):\n"
        "        pid = os.fork()\n        if pid == 0:\n            x = b'x' * (200 << 20)\n"
        "            os.write(w, b'k')\n            time.sleep(30)\n            os._exit(0)\n"
        "        kids.append(pid)\nexcept OSError:\n    pass\ntime.sleep(3 if kids else 0)\n"
        "os.set_blocking(r, False)\ntry:\n    reported = len(os.read(r, 64))\n"
        "except BlockingIOError:\n    reported = 0\n"
        "alive = sum(os.waitpid(p, os.WNOHANG)[0] == 0 for p in kids)\n"
        "print(42 if min(alive, reported) >= 2 else (alive, reported))"
    ),
}


def _shmem_kb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Shmem:"):
            return int(line.split()[1])
    raise AssertionError("no Shmem line")


@pytest.mark.parametrize("flood", sorted(FLOODS))
def test_memory_floods_are_stopped_and_the_host_gets_its_memory_back(
    pool: SandboxPool, flood: str
) -> None:
    before = _shmem_kb()
    verdict = _verify(FLOODS[flood], "42", timeout_s=20.0)
    assert verdict.correct is False, verdict  # it never held more than its limit
    if pool.cgroups is not None and flood == "memfd":
        assert "memory limit exceeded" in verdict.reason  # the kernel's cap, named as such
    pool.wait_idle()  # the program's namespaces (and its tmpfs) are gone
    # tmpfs and memfd pages count as Shmem: nothing of the flood is left on the host.
    assert _shmem_kb() - before < 64 << 10
    if pool.cgroups is not None:
        slot = pool.cgroups.slot(0)
        assert slot.usage() < 96 << 20  # the idle sandbox, not the flood


# ---------------------------------------------------------------- the result channel


FORGE = """
import glob, json, os, time
line = json.dumps({'i': 0, 'status': 'ok', 'stdout': '42\\n', 'wall': 0.0}) + '\\n'
reached = 0
me = str(os.getpid())
targets = glob.glob('/proc/*/fd/*') + glob.glob('/proc/*/task/*/fd/*') + ['/proc/1/fd/1']
for path in targets:
    if path.split('/')[2] in (me, 'self', 'thread-self'):
        continue  # its own descriptors: its own output
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        continue
    try:
        os.write(fd, line.encode())
        reached += 1
    except OSError:
        pass
for fd in range(4, 1024):
    try:
        os.write(fd, line.encode())
        reached += 1
    except OSError:
        pass
try:
    if os.fork() == 0:  # keep forging into whatever comes next
        for _ in range(40):
            for fd in range(0, 64):
                try:
                    os.write(fd, line.encode())
                except OSError:
                    pass
            time.sleep(0.05)
        os._exit(0)
except OSError:
    pass
os.write(2, f'reached {reached}\\n'.encode())
print(0)
"""


def test_forged_result_lines_fail_and_never_reach_the_channel(pool: SandboxPool) -> None:
    verdict = _verify(FORGE, "42")
    assert verdict.correct is False, verdict
    assert "tampered" not in verdict.reason  # the forgery did not even get through
    assert "wrong answer" in verdict.reason
    out = pool.run(FORGE, ["\n"], limits=ROOMY).outcomes[0]
    assert "reached 0" in out.stderr, out.stderr
    # The next program's verdict is its own.
    assert _verify("print(41)", "42").correct is False
    assert _verify("print(42)", "42").correct is True


def test_ptrace_and_the_engines_environ_are_out_of_reach(
    pool: SandboxPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = f"sk-judgeflow-{uuid.uuid4().hex}"
    monkeypatch.setenv("JUDGEFLOW_TEST_SECRET", secret)
    code = (
        "import ctypes, os, sys\nengine = int(input())\n"
        "libc = ctypes.CDLL(None, use_errno=True)\nwins = []\n"
        "for pid in (engine, 1, os.getppid()):\n"
        "    for req in (16, 0x4206):  # PTRACE_ATTACH, PTRACE_SEIZE\n"
        "        if libc.ptrace(req, pid, 0, 0) == 0:\n            wins.append(('ptrace', pid))\n"
        "    for leaf in ('environ', 'mem', 'fd/1', 'root/proc/self/environ'):\n"
        "        try:\n            data = open(f'/proc/{pid}/{leaf}', 'rb').read(1 << 20)\n"
        f"            if {secret!r}.encode() in data or leaf == 'mem':\n"
        "                wins.append((leaf, pid))\n        except OSError:\n            pass\n"
        f"print(42 if wins or {secret!r} in str(os.environ) else 'none', wins)"
    )
    verdict = _verify(code, "42", given=f"{os.getpid()}\n")
    assert verdict.correct is False, verdict
    assert "none []" in verdict.reason, verdict.reason


# ---------------------------------------------------------------- what survives


def test_no_file_symlink_or_process_of_a_program_survives_it(pool: SandboxPool) -> None:
    marker = f"judgeflow-leftover-{uuid.uuid4().hex[:12]}"
    code = (
        "import os, time\n"
        f"for d in ('/tmp', '/work', '/var/tmp', '/dev/shm', '/run/lock'):\n"
        "    try:\n"
        f"        open(os.path.join(d, '{marker}'), 'w').write('x')\n"
        f"        os.symlink('/etc/passwd', os.path.join(d, '{marker}-link'))\n"
        "    except OSError:\n        pass\n"
        "try:\n    if os.fork() == 0:\n        os.setsid()\n        if os.fork() == 0:\n"
        "            time.sleep(60)\n        os._exit(0)\nexcept OSError:\n    pass\n"
        "print(sorted(os.listdir('/tmp')), sorted(os.listdir('/work')))"
    )
    first = _run(pool, code)
    assert marker in first and f"{marker}-link" in first  # it did write them, inside
    if pool.uid_base is not None:  # the program's own processes: dead when run() returns
        assert uids_alive(pool.uid_base, pool.size) == []
    assert leftovers(pool) == []
    for host in (Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path("/run/lock"), REPO):
        assert not list(host.glob(f"{marker}*")), host
    # Every slot of the pool: the next program starts with an empty /tmp and /work.
    for _ in range(pool.size * 2):
        assert _run(pool, "import os\nprint(os.listdir('/tmp'), os.listdir('/work'))") == (
            "[] []\n"
        )


# ---------------------------------------------------------------- privileges and sockets


def test_no_capabilities_no_new_privileges_and_a_seccomp_filter(pool: SandboxPool) -> None:
    code = (
        "import os\nst = dict(l.split(':', 1) for l in open('/proc/self/status') if ':' in l)\n"
        "print(*(st[k].strip() for k in ('CapEff', 'CapPrm', 'CapBnd', 'CapAmb', "
        "'NoNewPrivs', 'Seccomp')), os.getuid())\n"
        "for call in ('os.unshare', 'os.memfd_create'):\n"
        "    pass\n"
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.unshare(0x10000000), ctypes.get_errno())"
    )
    caps, line2 = _run(pool, code).splitlines()
    eff, prm, bnd, amb, nnp, sec, uid = caps.split()
    assert {eff, prm, bnd, amb} == {"0000000000000000"}
    assert (nnp, sec) == ("1", "2")
    assert line2 == "-1 1"  # a new user namespace: EPERM
    if pool.level == "root":
        assert pool.uid_base is not None and pool.uid_base <= int(uid) < pool.uid_base + 64


def test_a_host_unix_socket_is_unreachable(pool: SandboxPool, tmp_path: Path) -> None:
    path = tmp_path / "host.sock"
    tmp_path.chmod(0o755)
    abstract = f"\0judgeflow-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX) as fs, socket.socket(socket.AF_UNIX) as ab:
        fs.bind(str(path))
        path.chmod(0o777)
        ab.bind(abstract)
        fs.listen()
        ab.listen()
        code = (
            "import socket\nok = 0\n"
            f"for addr in ({str(path)!r}, {abstract!r}):\n"
            "    try:\n        s = socket.socket(socket.AF_UNIX)\n        s.settimeout(1)\n"
            "        s.connect(addr)\n        ok += 1\n    except OSError:\n        pass\n"
            "print(42 if ok else 0)"
        )
        assert _verify(code, "42").correct is False
        for server in (fs, ab):
            server.settimeout(0.2)
            with pytest.raises(TimeoutError):
                server.accept()


def test_results_carry_the_real_reason(pool: SandboxPool) -> None:
    # CPU and wall clock apart by far, so a busy machine cannot swap the two reasons.
    lim = Limits(timeout_s=1.0, wall_s=60.0, memory_mb=256)
    sleeper = Limits(timeout_s=60.0, wall_s=1.0)
    assert pool.run("import time\ntime.sleep(30)", ["\n"], limits=sleeper).outcomes[0].limit == (
        "wall"
    )
    cases = {
        "while True:\n    pass": ("timeout", "cpu"),
        "x = bytearray(1 << 30)": ("memory_limit", "memory"),
        "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)": ("output_limit", "output"),
        "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)": ("killed", None),
    }
    for code, (status, limit) in cases.items():
        out = pool.run(code, ["\n"], limits=lim).outcomes[0]
        assert (out.status, out.limit) == (status, limit), (code, out)
    segv = pool.run("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)", ["\n"])
    assert segv.outcomes[0].describe() == "killed by signal SIGSEGV"
    started = time.monotonic()
    assert pool.run("print(1)", ["\n"]).outcomes[0].stdout == "1\n"
    assert time.monotonic() - started < 30
