"""Turn the job's model settings into `ChatRequest`s (pure apart from reading extra_files once)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.jobload import LoadedJob
from engine.jobspec import JudgeConfig, ModelRef, RequestOptions
from engine.judges.base import JudgeSpec
from engine.keys import stable_hash
from providers.base import ChatRequest, Message


@lru_cache(maxsize=64)
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def merged_options(layers: list[RequestOptions], base_dir: Path) -> dict[str, Any]:
    """Later layers win; `extra_files` are read and merged into `extra`."""
    out: dict[str, Any] = {"temperature": None, "max_tokens": None, "response_schema": None}
    extra: dict[str, Any] = {}
    for layer in layers:
        for name in ("temperature", "max_tokens", "response_schema"):
            value = getattr(layer, name)
            if value is not None:
                out[name] = value
        extra.update(layer.extra)
        for key, file in layer.extra_files.items():
            extra[key] = _read((base_dir / file).resolve())
    out["extra"] = extra
    return out


def sample_seed(job_seed: int, sample_index: int) -> int:
    """A stable 31-bit seed per (job seed, sample)."""
    return int(stable_hash([job_seed, sample_index], 8), 16) & 0x7FFFFFFF


def answer_request(
    ref: ModelRef,
    prompt: str,
    fmt: str,
    task: str,
    base_dir: Path,
    *,
    job_seed: int = 0,
    sample_index: int = 0,
) -> ChatRequest:
    layers: list[RequestOptions] = [ref]
    # Format-level overrides first, then the more specific task-level ones.
    for name in (fmt, task):
        if name in ref.per_source:
            layers.append(ref.per_source[name])
    opts = merged_options(layers, base_dir)
    if ref.seed_per_sample and "seed" not in opts["extra"]:
        opts["extra"]["seed"] = sample_seed(job_seed, sample_index)
    return ChatRequest(
        model=ref.model,
        messages=(Message("user", prompt),),
        temperature=opts["temperature"],
        max_tokens=opts["max_tokens"],
        response_schema=opts["response_schema"],
        extra=opts["extra"],
    )


def judge_spec(loaded: LoadedJob, cfg: JudgeConfig) -> JudgeSpec:
    """The job's settings for one judge; decoding options become judge params."""
    opts = merged_options([cfg], loaded.base_dir)
    params: dict[str, Any] = dict(cfg.params)
    for name in ("temperature", "max_tokens", "response_schema"):
        if opts[name] is not None:
            params.setdefault(name, opts[name])
    if opts["extra"]:
        params["extra"] = {**opts["extra"], **params.get("extra", {})}
    template_path = loaded.resolve(cfg.template) if cfg.template else None
    return JudgeSpec(
        name=cfg.name,
        type=cfg.type,
        model=cfg.model,
        params=params,
        template=template_path.read_text("utf-8") if template_path else None,
        template_path=str(template_path) if template_path else None,
    )
