"""The job's model and judge settings as chat requests and judge specs.

Pure apart from reading `extra_files` and template files (each read once).
"""

from __future__ import annotations

from pathlib import Path

from engine.jobspec import JudgeConfig, MetaJudgeSpec, ModelRef, resolve_path
from engine.judges.base import JudgeSpec, read_params
from engine.judges.meta import DEFAULT_RUBRIC, MetaJudge, read_rubric
from engine.judges.template_sets import TemplateChoice
from engine.keys import stable_hash
from providers.base import ChatRequest, Message
from providers.options import DecodingOptions


def sample_seed(job_seed: int, sample_index: int) -> int:
    """A stable 31-bit seed per (job seed, sample)."""
    return int(stable_hash([job_seed, sample_index], 8), 16) & 0x7FFFFFFF


def answer_options(
    ref: ModelRef, fmt: str, task: str, base_dir: Path, *, job_seed: int, sample_index: int | None
) -> DecodingOptions:
    """The model's options, then its per-source overrides: the source format's first, then
    the more specific question task's; then a per-sample seed unless one is given (none for
    `sample_index=None`: the request all samples of one `n` call share)."""
    options = ref.decoding(base_dir)
    for name in (fmt, task):
        if name in ref.per_source:
            options = options.merge(ref.per_source[name].decoding(base_dir))
    if ref.seed_per_sample and "seed" not in options.extra and sample_index is not None:
        seed = sample_seed(job_seed, sample_index)
        options = options.merge(DecodingOptions(extra={"seed": seed}))
    return options


def answer_request(
    ref: ModelRef,
    prompt: str,
    fmt: str,
    task: str,
    base_dir: Path,
    *,
    job_seed: int = 0,
    sample_index: int | None = 0,
) -> ChatRequest:
    options = answer_options(ref, fmt, task, base_dir, job_seed=job_seed, sample_index=sample_index)
    return ChatRequest(ref.model, (Message("user", prompt),), options)


def judge_spec(cfg: JudgeConfig, base_dir: Path) -> JudgeSpec:
    """The job's settings for one judge (its template file read, if it names one).

    Decoding options given under `params` are decoding options too, over those beside."""
    decoding = {k: v for k, v in cfg.params.items() if k in DecodingOptions.model_fields}
    given = read_params(DecodingOptions, decoding, judge=cfg.name, judge_type=cfg.type)
    template = resolve_path(base_dir, cfg.template) if cfg.template else None
    sets = cfg.templates
    choice = None
    if sets is not None and sets.set != "ours":
        path = str(resolve_path(base_dir, sets.path)) if sets.path else None
        choice = TemplateChoice(sets.set, path, sets.variant)
    return JudgeSpec(
        name=cfg.name,
        type=cfg.type,
        model=cfg.model,
        options=cfg.decoding(base_dir).merge(given),
        params={k: v for k, v in cfg.params.items() if k not in decoding},
        template=template.read_text("utf-8") if template else None,
        template_path=str(template) if template else None,
        templates=choice,
    )


def meta_judge(spec: MetaJudgeSpec, base_dir: Path) -> MetaJudge:
    """The job's meta-judge (its rubric and template files read, relative to the job)."""
    rubric = read_rubric(resolve_path(base_dir, spec.rubric)) if spec.rubric else DEFAULT_RUBRIC
    template = resolve_path(base_dir, spec.template) if spec.template else None
    return MetaJudge(
        spec.model,
        options=spec.decoding(base_dir),
        rubric=rubric,
        template=template.read_text("utf-8") if template else None,
        template_origin=str(template) if template else None,
    )
