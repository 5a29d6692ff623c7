"""Read a job file: YAML with line numbers, `--set` overrides, and errors a person can act on.

Every problem is reported as ``FILE:LINE: field.path: message`` and collected, so one run of
`validate` shows all of them. Nothing here writes anything.
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from engine import jobyaml
from engine.imported import sniff
from engine.jobspec import Job, SourceSpec, resolve_path
from engine.judges.registry import JUDGE_TYPES, create_judge
from engine.provider_checks import provider_problems
from engine.requests import judge_spec, meta_judge
from providers.config import BATCH_TYPES
from providers.registry import key_problem
from verifiers import registry

Loc = tuple[str | int, ...]


class JobError(Exception):
    """An invalid job. `problems` are complete, printable lines."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class LoadedJob:
    job: Job
    path: Path
    # Input paths in the job are relative to the job file's folder.
    base_dir: Path
    # The job as plain data after overrides (what the manifest hashes).
    data: dict[str, Any]
    # The `--set` overrides as given (the resume hint repeats them).
    overrides: tuple[str, ...] = ()
    # Problems that do not stop a check of the job (a missing API key for `validate`).
    warnings: tuple[str, ...] = ()

    def source_path(self, spec: SourceSpec) -> Path:
        """A source's file, or a stand-in naming its Hugging Face dataset."""
        if spec.path is None:
            return Path(f"hf:{spec.options['hf_dataset']}")
        return self.resolve(spec.path)

    def resolve(self, path: str) -> Path:
        return resolve_path(self.base_dir, path)

    def hf_dataset(self, name: str) -> str:
        """A Hugging Face dataset named in the job: a folder (relative to the job file's
        folder, like every input path) when one exists there, else the Hub id as given."""
        local = self.resolve(name)
        return str(local) if local.is_dir() else name

    def source_options(self, spec: SourceSpec) -> dict[str, Any]:
        """A source's loader options: with a `path`, the file is read (the Hugging Face
        fields are dropped); else `hf_dataset` is resolved as `hf_dataset` does."""
        if spec.path is not None:
            return {k: v for k, v in spec.options.items() if not k.startswith("hf_")}
        name = spec.options.get("hf_dataset")
        if isinstance(name, str) and name:
            return {**spec.options, "hf_dataset": self.hf_dataset(name)}
        return dict(spec.options)


def _line_map(node: yaml.Node, loc: Loc = (), out: dict[Loc, int] | None = None) -> dict[Loc, int]:
    out = {} if out is None else out
    out.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = (*loc, str(key.value))
            out[sub] = key.start_mark.line + 1
            _line_map(value, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, (*loc, i), out)
    return out


def _apply_override(data: dict[str, Any], assignment: str) -> None:
    """Apply ``a.b.c=value``; a list step is an index or the `name` of an item."""
    if "=" not in assignment:
        raise JobError([f"--set {assignment}: expected PATH=VALUE"])
    path, raw = assignment.split("=", 1)
    try:
        value = jobyaml.load_value(raw) if raw.strip() else ""
    except (yaml.YAMLError, jobyaml.JobYamlError) as exc:
        raise JobError([f"--set {assignment}: value is not valid YAML ({exc})"]) from None
    steps = path.strip().split(".")
    node: Any = data
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if isinstance(node, list):
            idx = _list_index(node, step)
            if idx is None:
                raise JobError([f"--set {assignment}: no item {step!r} in {'.'.join(steps[:i])}"])
            if last:
                node[idx] = value
            else:
                node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[step] = value
            else:
                node = node.setdefault(step, {})
        else:
            raise JobError([f"--set {assignment}: {'.'.join(steps[:i])} is not a mapping or list"])


def _list_index(items: list[Any], step: str) -> int | None:
    if step.isdigit() and int(step) < len(items):
        return int(step)
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == step:
            return i
    return None


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The pydantic model whose fields live at `loc` (for did-you-mean suggestions)."""
    tp: Any = Job
    for step in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(step))
            if field is None:
                return None
            tp = field.annotation
        else:
            args = typing.get_args(tp)
            if not args:
                return None
            tp = args[-1]  # list[X] -> X, dict[K, V] -> V
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """`X | None` -> X."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else tp
    return tp


def _fmt_loc(loc: Iterable[str | int]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def _where(path: Path, lines: Mapping[Loc, int], loc: Loc) -> str:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return f"{path}:{lines[loc[:cut]]}"
    return str(path)


def _pydantic_problems(exc: ValidationError, path: Path, lines: Mapping[Loc, int]) -> list[str]:
    problems = []
    for err in exc.errors():
        loc: Loc = tuple(err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            model = _model_at(loc[:-1])
            known = sorted(model.model_fields) if model else []
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            msg = "unknown key" + (f"; did you mean {close[0]!r}?" if close else "")
            if known and not close:
                msg += f" (known: {', '.join(known)})"
        elif err["type"] == "missing":
            msg = "required field is missing"
        elif "input" in err and err["type"] not in ("value_error",):
            msg = f"{msg} (got {err['input']!r})"
        problems.append(f"{_where(path, lines, loc)}: {_fmt_loc(loc)}: {msg}")
    return problems


def load_job(
    path: Path | str,
    overrides: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    *,
    keys_required: bool = True,
) -> LoadedJob:
    """Parse, override and validate a job; raise `JobError` listing every problem.

    With `keys_required=False` (`validate`, `--dry-run`: nothing is sent) an API key that is
    not set is a warning in `LoadedJob.warnings`, not a problem."""
    path = Path(path)
    env = os.environ if env is None else env
    data, lines = _read_yaml(path)
    for assignment in overrides:
        _apply_override(data, assignment)
    type_problems = _judge_type_problems(data, path, lines)
    try:
        job = Job.model_validate(data)
    except ValidationError as exc:
        # Unknown judge types are told now too, not once the other errors are fixed.
        raise JobError(_pydantic_problems(exc, path, lines) + type_problems) from None
    loaded = LoadedJob(
        job=job, path=path, base_dir=path.resolve().parent, data=data, overrides=tuple(overrides)
    )
    problems, key_problems = _semantic_problems(loaded, lines, env, type_problems)
    if keys_required:
        problems += key_problems
    if problems:
        raise JobError(problems)
    return replace(loaded, warnings=tuple(key_problems))


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[Loc, int]]:
    """The job file's mapping and the line of every field in it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise JobError([f"{path}: cannot read job file ({exc.strerror})"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JobError(
            [f"{path}: not a job file: not UTF-8 text (byte {exc.start} is {raw[exc.start]:#04x})"]
        ) from None
    try:
        node, data = jobyaml.load(text)
    except jobyaml.JobYamlError as exc:
        where = f"{path}:{exc.line}" if exc.line is not None else str(path)
        raise JobError([f"{where}: {exc.message}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise JobError([f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(data, dict):
        raise JobError([f"{path}:1: a job file must be a mapping of settings"])
    return data, (_line_map(node) if node is not None else {})


def _judge_type_problems(
    data: Mapping[str, Any], path: Path, lines: Mapping[Loc, int]
) -> list[str]:
    """Unknown judge types, read from the raw job (so they are reported beside every other
    error, even when the job does not validate)."""
    judges = data.get("judges")
    problems = []
    known = sorted(JUDGE_TYPES)
    for i, judge in enumerate(judges if isinstance(judges, list) else []):
        kind = judge.get("type") if isinstance(judge, dict) else None
        if not isinstance(kind, str) or kind in JUDGE_TYPES:
            continue
        close = difflib.get_close_matches(kind, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"
        loc: Loc = ("judges", i, "type")
        problems.append(
            f"{_where(path, lines, loc)}: {_fmt_loc(loc)}: unknown judge type {kind!r}{hint}"
        )
    return problems


def _semantic_problems(
    loaded: LoadedJob, lines: Mapping[Loc, int], env: Mapping[str, str], type_problems: list[str]
) -> tuple[list[str], list[str]]:
    """(problems, API keys that are not set)."""
    job, path = loaded.job, loaded.path
    problems: list[str] = list(type_problems)
    key_problems: list[str] = []

    def report(loc: Loc, msg: str) -> None:
        problems.append(f"{_where(path, lines, loc)}: {_fmt_loc(loc)}: {msg}")

    def need_file(loc: Loc, value: str | None) -> None:
        if value is not None and not loaded.resolve(value).exists():
            report(loc, f"file not found: {loaded.resolve(value)}")

    for i, src in enumerate(job.sources):
        need_file(("sources", i, "path"), src.path)
    for i, pf in enumerate(job.pairs):
        need_file(("pairs", i, "path"), pf.path)
    need_file(("responses",), job.responses)
    models = [("response_model", job.response_model)] if job.response_model else []
    models += [(f"solvers.{i}", s) for i, s in enumerate(job.solvers)]
    for prefix, ref in models:
        base = tuple(int(p) if p.isdigit() else p for p in prefix.split("."))
        for key, file in ref.extra_files.items():
            need_file((*base, "extra_files", key), file)
        for src_name, opts in ref.per_source.items():
            for key, file in opts.extra_files.items():
                need_file((*base, "per_source", src_name, "extra_files", key), file)
    for i, judge in enumerate(job.judges):
        need_file(("judges", i, "template"), judge.template)
        for key, file in judge.extra_files.items():
            need_file(("judges", i, "extra_files", key), file)
    if job.meta_judge is not None:
        need_file(("meta_judge", "rubric"), job.meta_judge.rubric)
        need_file(("meta_judge", "template"), job.meta_judge.template)
        for key, file in job.meta_judge.extra_files.items():
            need_file(("meta_judge", "extra_files", key), file)
    for name, prov in job.providers.items():
        if prov.local is not None and prov.local.model_path:
            need_file(("providers", name, "local", "model_path"), prov.local.model_path)

    for i, src in enumerate(job.sources):
        # Each format's options are a typed model: unknown names and wrong types alike.
        for loc, message in registry.loader(src.format).problems(src.options):
            report(("sources", i, "options", *loc), message)

    if job.responses is not None and loaded.resolve(job.responses).is_file():
        if (why := sniff(loaded.resolve(job.responses))) is not None:
            report(("responses",), f"not an earlier run's responses.jsonl: {why}")
    for loc, why in _output_problems(job):
        report(loc, why)

    for i, judge in enumerate(job.judges):
        if judge.type not in JUDGE_TYPES:
            continue  # told already (type_problems)
        if not problems:
            # Build it once: a bad template or bad params is a job error, not a traceback.
            try:
                create_judge(judge_spec(judge, loaded.base_dir))
            except (ValueError, OSError) as exc:
                report(("judges", i), str(exc))

    if job.meta_judge is not None and not problems:
        # Built once: a bad rubric file or template is a job error, not a traceback.
        try:
            meta_judge(job.meta_judge, loaded.base_dir)
        except (ValueError, OSError) as exc:
            report(("meta_judge",), str(exc))

    checked: set[str] = set()
    for name, field_path in job.used_providers():
        loc = tuple(int(p) if p.isdigit() else p for p in field_path.split("."))
        config = job.providers.get(name)
        if config is None:
            close = difflib.get_close_matches(name, list(job.providers), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            report(loc, f"provider {name!r} is not defined under `providers`{hint}")
            continue
        if name in checked:
            continue
        checked.add(name)
        if (problem := key_problem(config, env)) is not None:
            key_problems.append(
                f"{_where(path, lines, ('providers', name))}: providers.{name}: {problem}"
            )
    for loc, problem in provider_problems(job, env):  # base URLs, schemas, efforts
        report(loc, problem)
    batching: list[tuple[Loc, str, str | None]] = []
    if job.response_model is not None:
        batching.append((("response_model",), job.response_model.provider, job.response_model.mode))
    batching += [(("solvers", i), s.provider, s.mode) for i, s in enumerate(job.solvers)]
    batching += [(("judges", i), j.provider, j.mode) for i, j in enumerate(job.judges)]
    for loc, name, mode in batching:
        config = job.providers.get(name)
        if mode == "batch" and config is not None and config.type not in BATCH_TYPES:
            report((*loc, "mode"), f"provider {name!r} ({config.type}) has no batch API")
    return problems, key_problems


def _output_problems(job: Job) -> list[tuple[Loc, str]]:
    """Where the run folder would go, when that cannot be a folder."""
    out = Path(os.path.expandvars(job.output_dir)).expanduser()
    run_dir = out / job.name
    for folder in (*reversed(out.parents), out):
        if folder.exists() and not folder.is_dir():
            return [(("output_dir",), f"{folder} is a file, not a folder")]
    if run_dir.exists() and not run_dir.is_dir():
        return [(("name",), f"{run_dir} is a file, not a run folder")]
    return []
