"""`--dry-run`: count the calls a job would make and estimate tokens and cost, sending nothing.

Questions are streamed through the real loaders (so filters and limits count exactly);
tokens are estimated at 4 characters a token for prompts and `max_tokens` (or a stated
default) for answers, which makes the cost an upper-bound-style estimate. Each model's
calls are priced online and through its API's batch mode (`batch.prices`, else the online
price times `batch.discount`); the total uses the mode the job gives each call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.jobload import LoadedJob
from engine.jobspec import effective_limit
from engine.requests import judge_spec
from providers.accounting import batch_cost, cost_of, price_for
from providers.base import Usage
from providers.config import BATCH_TYPES
from verifiers import registry
from verifiers.pair_files import load_pairs

CHARS_PER_TOKEN = 4
DEFAULT_ANSWER_TOKENS = 1024
JUDGE_PROMPT_OVERHEAD = 400  # template words around the pair


@dataclass
class Estimate:
    calls: Counter[str] = field(default_factory=Counter)  # "provider/model" -> calls
    input_tokens: Counter[str] = field(default_factory=Counter)
    output_tokens: Counter[str] = field(default_factory=Counter)
    # "provider/model" -> cost of its calls online and through the batch API (None: the
    # provider has no batch API), and the modes the job sends them in.
    cost_online: dict[str, float] = field(default_factory=dict)
    cost_batch: dict[str, float | None] = field(default_factory=dict)
    modes: dict[str, set[str]] = field(default_factory=dict)
    cost: float = 0.0  # in the modes the job gives
    questions: int = 0
    pairs: int = 0


def _items(loaded: LoadedJob, limit: int | None) -> Iterator[Any]:
    job = loaded.job
    if job.start == "pairs":
        for pf in job.pairs:
            yield from load_pairs(
                loaded.resolve(pf.path) if pf.path else Path("unused"),
                pf.format,
                seed=job.seed,
                limit=effective_limit(pf.limit, limit),
                on_error="skip",
                hf_dataset=None
                if pf.path or not pf.hf_dataset
                else loaded.hf_dataset(pf.hf_dataset),
                hf_split=pf.hf_split,
                hf_config=pf.hf_config,
            )
    else:
        for spec in job.sources:
            yield from registry.load(
                spec.format,
                loaded.source_path(spec),
                limit=effective_limit(spec.limit, limit),
                on_error="skip",
                **loaded.source_options(spec),
            )


def estimate(loaded: LoadedJob, limit: int | None = None) -> Estimate:
    job = loaded.job
    est = Estimate()

    def add(provider: str, model: str, n: int, tin: int, tout: int, mode: str | None) -> None:
        key = f"{provider}/{model}"
        est.calls[key] += n
        est.input_tokens[key] += tin
        est.output_tokens[key] += tout
        cfg = job.providers.get(provider)
        if cfg is None:
            return
        usage = Usage(input_tokens=tin, output_tokens=tout)
        online = cost_of(price_for(cfg.prices, model), usage)
        batch = batch_cost(cfg, model, usage) if cfg.type in BATCH_TYPES else None
        est.cost_online[key] = est.cost_online.get(key, 0.0) + online
        if batch is not None:
            est.cost_batch[key] = (est.cost_batch.get(key) or 0.0) + batch
        else:
            est.cost_batch[key] = None
        mode = mode or cfg.mode
        est.modes.setdefault(key, set()).add(mode)
        est.cost += batch if mode == "batch" and batch is not None else online

    judge_in = 0
    for item in _items(loaded, limit):
        if job.start == "pairs":
            est.pairs += 1
            text = item["question"] + item["response_A"] + item["response_B"]
            judge_in += len(text) // CHARS_PER_TOKEN + JUDGE_PROMPT_OVERHEAD
            continue
        est.questions += 1
        tin = len(item.prompt) // CHARS_PER_TOKEN
        refs = ([job.response_model] if job.response_model else []) + list(job.solvers)
        for ref in refs:
            tout = ref.max_tokens or DEFAULT_ANSWER_TOKENS
            n = ref.samples
            add(ref.provider, ref.model, n, tin * n, tout * n, ref.mode)
        if job.response_model:
            # At most per_question pairs; a pair shows the question and two answers.
            ans = job.response_model.max_tokens or DEFAULT_ANSWER_TOKENS
            judge_in += job.pairing.per_question * (tin + 2 * ans + JUDGE_PROMPT_OVERHEAD)
    if job.start != "pairs":
        est.pairs = est.questions * job.pairing.per_question
    judge_out: dict[str, int] = {}
    for judge in job.judges:
        tout = judge_spec(judge, loaded.base_dir).options.max_tokens or DEFAULT_ANSWER_TOKENS
        judge_out[judge.name] = tout
        n = 2 * est.pairs
        add(judge.provider, judge.model, n, 2 * judge_in, n * tout, judge.mode)
    if job.meta_judge is not None:  # one call per judgment: the pair, the reply, the rubric
        mj = job.meta_judge
        tout = mj.max_tokens or 1024
        for name in job.meta_judged():
            tin = 2 * (judge_in + est.pairs * (judge_out[name] + JUDGE_PROMPT_OVERHEAD))
            add(mj.provider, mj.model, 2 * est.pairs, tin, 2 * est.pairs * tout, None)
    return est
