"""The job file's schema: YAML in, typed and validated config out.

Every model forbids unknown keys so that a typo is an error (with a did-you-mean, see
`engine.jobload`) rather than a silently ignored setting.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from providers.config import ProviderConfig
from providers.options import DecodingOptions


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def resolve_path(base_dir: Path, path: str) -> Path:
    """A path from the job: `~` and `$VARS` expanded, relative to the job file's folder."""
    p = Path(os.path.expandvars(os.path.expanduser(path)))
    return p if p.is_absolute() else base_dir / p


@lru_cache(maxsize=64)
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


class RequestOptions(DecodingOptions):
    """Decoding options as a job gives them: the fields of `DecodingOptions`, plus body
    fields read from files relative to the job file (e.g. `grammar: grammars/mmlu.gbnf`)."""

    extra_files: dict[str, str] = Field(default_factory=dict)

    def decoding(self, base_dir: Path) -> DecodingOptions:
        """The options to send: `extra_files` read (relative to `base_dir`) into `extra`."""
        files = {key: _read((base_dir / f).resolve()) for key, f in self.extra_files.items()}
        fields = {name: getattr(self, name) for name in DecodingOptions.model_fields}
        return DecodingOptions.model_construct(**{**fields, "extra": {**self.extra, **files}})


class ModelRef(RequestOptions):
    """A model that answers the questions (the response model, or a solver)."""

    provider: str
    model: str
    samples: int = Field(1, ge=1, le=64, description="k answers per question")
    # Send a distinct `seed` per sample (derived from the job's seed) where the API takes
    # one, so the k samples are distinct requests and a rerun asks exactly the same.
    seed_per_sample: bool = True
    # Overrides keyed by source format or question task (task wins over format).
    per_source: dict[str, RequestOptions] = Field(default_factory=dict)
    # `online` or `batch` for this model's calls (default: its provider's `mode`). Not part
    # of any key or hash: a run may change it between resumes.
    mode: Literal["online", "batch"] | None = None


def effective_limit(spec_limit: int | None, run_limit: int | None) -> int | None:
    """A source's own `limit` and the run's `--limit`: the smaller one applies."""
    limits = [x for x in (spec_limit, run_limit) if x is not None]
    return min(limits) if limits else None


class SourceSpec(_Strict):
    format: Literal["mmlu_pro", "livebench", "livecodebench"]
    # A local file; or none, with `options: {hf_dataset: ...}` (needs the `hf` extra).
    # Given both, the file is read (e.g. `--set sources.0.path=copy.jsonl`).
    path: str | None = None
    limit: int | None = Field(None, ge=0)
    on_error: Literal["skip", "fail"] = "fail"
    # Format-specific filters passed to the loader (e.g. tasks, categories).
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_input(self) -> SourceSpec:
        if self.path is None and not self.options.get("hf_dataset"):
            raise ValueError("give a `path`, or `options: {hf_dataset: NAME}`")
        return self


class PairFileSpec(_Strict):
    format: Literal["judgebench", "preference"] = "judgebench"
    # A local file; or `hf_dataset` (e.g. ScalerLab/JudgeBench, split gpt or claude; extra
    # `hf`): a Hub id, or a folder holding such a dataset. Given both, the file is read.
    path: str | None = None
    hf_dataset: str | None = None
    hf_split: str = "test"
    hf_config: str | None = None
    limit: int | None = Field(None, ge=0)
    on_error: Literal["skip", "fail"] = "fail"

    @model_validator(mode="after")
    def _has_input(self) -> PairFileSpec:
        if self.path is None and self.hf_dataset is None:
            raise ValueError("give a `path`, or an `hf_dataset` (with `hf_split`)")
        return self


class TemplateSetSpec(_Strict):
    """Which prompts a judge uses: ours, or another project's loaded at run time from the
    user's copy (engine.judges.template_sets): `judgebench` (a clone of ScalerLab/JudgeBench
    at `path`; `variant: notie` for arena-hard's no-tie system prompt) or `prometheus-eval`
    (the installed package)."""

    set: Literal["ours", "judgebench", "prometheus-eval"] = "ours"
    path: str | None = None
    variant: Literal["notie"] | None = None


class JudgeConfig(RequestOptions):
    name: str = Field(..., min_length=1, description="label used in records and reports")
    type: str
    provider: str
    model: str
    # Settings of the judge type (e.g. `rounds`); decoding options given here are read as
    # decoding options and win over the ones beside them (engine.requests.judge_spec).
    params: dict[str, Any] = Field(default_factory=dict)
    template: str | None = Field(None, description="a template file overriding the default")
    # As for a response model: this judge's calls online or in batches (default: provider's).
    mode: Literal["online", "batch"] | None = None
    # Another project's template set (default: the job's `templates`, else ours).
    templates: TemplateSetSpec | None = None


class MetaJudgeSpec(RequestOptions):
    """The optional meta-judge stage: a model scores each judgment's reasoning on a rubric
    (engine.judges.meta); the report adds accuracy over the judgments that reach
    `threshold` beside plain accuracy."""

    provider: str
    model: str
    # Mean criterion score (1-5) a judgment must reach to be kept.
    threshold: float = Field(4.0, ge=1, le=5)
    rubric: str | None = Field(None, description="a YAML/JSON rubric file (default: ours)")
    template: str | None = Field(None, description="a prompt template file (default: ours)")
    judges: list[str] | None = Field(None, description="judges to meta-judge (default: all)")


class PairingSpec(_Strict):
    per_question: int = Field(1, ge=1)


class SandboxSpec(_Strict):
    """How code answers are contained (docs/sandbox.md)."""

    # auto: the strongest isolation this machine allows, and code refused where none is;
    # none: run code answers without containment (every verdict and the report say so).
    isolation: Literal["auto", "none"] = "auto"


class VerifySpec(_Strict):
    """Where answers are verified (docs/jobs.md, "verify").

    `local` (the default): in this process's worker threads, code in its own sandbox
    pool. `ray`: code and sympy checks go to a Ray cluster (extra `ray`) whose workers run
    the same verifiers in the same sandbox with the same limits; the light verifiers stay
    local. `address`: `auto` (the cluster `ray start` runs on this machine), `local` (a
    private one started for the run), `host:port` or `ray://host:port` (Ray Client).
    """

    backend: Literal["local", "ray"] = "local"
    address: str = "auto"
    # Tasks sent and not yet answered (back-pressure on the graph); default 2 per cluster CPU.
    max_in_flight: int | None = Field(None, ge=1)
    # Times a task is sent again when the worker running it is lost (a verdict, never lost).
    retries: int = Field(3, ge=0, le=20)

    @model_validator(mode="after")
    def _address(self) -> VerifySpec:
        a = self.address
        if a in ("auto", "local"):
            return self
        host, _, port = a.removeprefix("ray://").rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"address {a!r}: give auto, local, host:port or ray://host:port")
        return self


class Concurrency(_Strict):
    """Workers per stage. Provider limits still apply underneath."""

    generate: int = Field(64, ge=1)
    verify: int | None = Field(None, ge=1, description="default: number of cores")
    # Pairs in flight; the stage runs a worker for each of their 2 × judges calls.
    judge: int = Field(64, ge=1)


class Job(_Strict):
    # The run folder's name, under output_dir: a plain folder name, so a run (and its
    # `--fresh`) can only ever touch <output_dir>/<name>.
    name: str = Field(..., min_length=1)
    output_dir: str = "runs"
    seed: int = 0
    description: str | None = None
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    # Where the run starts: questions (`sources`), answers already given (`responses`,
    # a responses.jsonl of an earlier run, plus `sources` for ground truth), or `pairs`.
    sources: list[SourceSpec] = Field(default_factory=list)
    responses: str | None = None
    pairs: list[PairFileSpec] = Field(default_factory=list)
    response_model: ModelRef | None = None
    # Extra models that answer the same questions, verified but not paired (solve vs judge).
    solvers: list[ModelRef] = Field(default_factory=list)
    pairing: PairingSpec = PairingSpec()
    # The template set of every judge that names none itself (faithful mode for all).
    templates: TemplateSetSpec | None = None
    judges: list[JudgeConfig] = Field(default_factory=list)
    # An optional stage after judging: a model scores each judgment (engine.judges.meta).
    meta_judge: MetaJudgeSpec | None = None
    concurrency: Concurrency = Concurrency()
    sandbox: SandboxSpec = SandboxSpec()
    verify: VerifySpec = VerifySpec()
    # Seconds in-flight calls get to finish after a first Ctrl-C before they are cancelled.
    shutdown_grace: float = Field(10.0, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _judges_inherit_templates(cls, data: Any) -> Any:
        """A job-level `templates` is each judge's unless the judge names its own (so each
        judge's settings, and its manifest hash, say which set it uses)."""
        if isinstance(data, dict) and data.get("templates") is not None:
            judges = data.get("judges")
            if isinstance(judges, list):
                data = {
                    **data,
                    "judges": [
                        {**j, "templates": data["templates"]}
                        if isinstance(j, dict) and j.get("templates") is None
                        else j
                        for j in judges
                    ],
                }
        return data

    @property
    def start(self) -> Literal["sources", "responses", "pairs"]:
        if self.pairs:
            return "pairs"
        return "responses" if self.responses else "sources"

    @field_validator("name")
    @classmethod
    def _plain_folder_name(cls, name: str) -> str:
        if name in (".", "..") or any(c in name for c in ("/", "\\", "\0")):
            raise ValueError(
                f"{name!r} is not a plain folder name (no '/', '\\', '.' or '..'): the run "
                "folder is <output_dir>/<name>"
            )
        return name

    @model_validator(mode="after")
    def _consistent(self) -> Job:
        if self.pairs and (self.sources or self.responses):
            raise ValueError(
                "give either `pairs` or `sources` (with optional `responses`), not both"
            )
        if not self.pairs and not self.sources:
            raise ValueError("nothing to do: give `sources` (questions) or `pairs`")
        if self.sources and self.response_model is None and not self.responses:
            raise ValueError("`sources` needs a `response_model` (or `responses` to start from)")
        names = [j.name for j in self.judges]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"judge names must be unique; repeated: {', '.join(dupes)}")
        unknown = sorted(set(self.meta_judge.judges or ()) - set(names)) if self.meta_judge else []
        if unknown:
            raise ValueError(f"meta_judge.judges names no judge of the job: {', '.join(unknown)}")
        return self

    def used_providers(self) -> list[tuple[str, str]]:
        """(provider name, field path) for every provider reference, for validation."""
        refs: list[tuple[str, str]] = []
        if self.response_model is not None and self.start != "pairs":
            refs.append((self.response_model.provider, "response_model.provider"))
        refs += [(s.provider, f"solvers.{i}.provider") for i, s in enumerate(self.solvers)]
        refs += [(j.provider, f"judges.{i}.provider") for i, j in enumerate(self.judges)]
        if self.meta_judge is not None:
            refs.append((self.meta_judge.provider, "meta_judge.provider"))
        return refs

    def meta_judged(self) -> list[str]:
        """The judges whose judgments the meta-judge scores (none without one)."""
        if self.meta_judge is None:
            return []
        chosen = self.meta_judge.judges
        return [j.name for j in self.judges if chosen is None or j.name in chosen]
