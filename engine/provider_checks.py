"""The job's provider settings checked against the model table at `validate` (engine.jobload):
each base URL once expanded, each response schema against the API and model it goes to, each
model's reasoning effort. Problems come back with the job field they are about, for
FILE:LINE messages."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from engine.jobspec import Job
from providers.checks import model_problems
from providers.registry import base_url_problems

Loc = tuple[str | int, ...]


def _schemas(job: Job) -> Iterator[tuple[Loc, str, str, dict[str, Any] | None]]:
    """(field, provider, model, response schema or None) for every model the job calls."""
    models: list[tuple[Loc, Any]] = []
    if job.response_model is not None and job.start != "pairs":
        models.append((("response_model",), job.response_model))
    models += [(("solvers", i), s) for i, s in enumerate(job.solvers)]
    for base, ref in models:
        yield (*base, "response_schema"), ref.provider, ref.model, ref.response_schema
        for name, opts in ref.per_source.items():
            if opts.response_schema is not None:
                loc = (*base, "per_source", name, "response_schema")
                yield loc, ref.provider, ref.model, opts.response_schema
    for i, judge in enumerate(job.judges):
        yield ("judges", i, "response_schema"), judge.provider, judge.model, judge.response_schema
        given = judge.params.get("response_schema")
        if isinstance(given, dict):
            yield ("judges", i, "params", "response_schema"), judge.provider, judge.model, given


def provider_problems(job: Job, env: Mapping[str, str]) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    used = {name for name, _ in job.used_providers()}
    for name in sorted(used & job.providers.keys()):
        found = base_url_problems(job.providers[name], env)
        out += [(("providers", name, *loc), problem) for loc, problem in found]
    for loc, provider, model, schema in _schemas(job):
        config = job.providers.get(provider)
        if config is not None:
            out += [(loc, p) for p in model_problems(config, model, schema)]
    return list(dict.fromkeys(out))  # a model's effort problem once, not once per use
