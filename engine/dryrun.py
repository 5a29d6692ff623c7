"""`--dry-run`: count the calls a job would make and estimate tokens and cost, sending nothing.

Questions (or pairs) are streamed through the real loaders, so filters and limits count
exactly. The counts are upper bounds: every question is taken to give as many pairs as its
samples allow (at most `pairing.per_question`), every call to use its whole output cap,
and each judge type's own call pattern is counted (arena_hard's follow-ups, a multi_agent
panel's turns and votes, a reward model's one score per answer), with each type's own
output cap when the job sets none; a meta-judge makes one call per judgment of the judges
it scores, each showing the pair, the judgment's whole reply and the rubric. Input tokens
are estimated at 4 characters a token. Each model's calls are priced online and through
its API's batch mode (`batch.prices`, else the online price times `batch.discount`); the
total uses the mode the job gives each call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.jobload import LoadedJob
from engine.jobspec import ModelRef, effective_limit
from engine.judges.base import UNCAPPED_OUTPUT_TOKENS, CallBudget, Judge, OrderFreeJudge
from engine.judges.meta import MetaJudge, rubric_text
from engine.judges.registry import create_judge
from engine.requests import judge_spec, meta_judge
from providers.accounting import batch_cost, cost_of, price_for
from providers.anthropic import DEFAULT_MAX_TOKENS as ANTHROPIC_MAX_TOKENS
from providers.base import Usage
from providers.checks import table_api
from providers.config import BATCH_TYPES, ProviderConfig
from providers.models import CUSTOM, ModelTable, plan
from providers.options import DecodingOptions
from verifiers import registry
from verifiers.pair_files import load_pairs

CHARS_PER_TOKEN = 4


def tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN + 1


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
    # Answering models without max_tokens: their output is assumed, not bounded.
    uncapped: list[str] = field(default_factory=list)


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


def max_pairs(samples: int | None, per_question: int) -> int:
    """The most pairs one question can give: `samples` answers split into right and wrong
    make at most ⌊k/2⌋·⌈k/2⌉ distinct pairs (unknown k: `per_question`)."""
    if samples is None:
        return per_question
    return min(per_question, (samples // 2) * ((samples + 1) // 2))


def estimate(loaded: LoadedJob, limit: int | None = None) -> Estimate:
    job = loaded.job
    est = Estimate()
    judges = [(cfg, create_judge(judge_spec(cfg, loaded.base_dir))) for cfg in job.judges]
    mj = job.meta_judge
    meta = meta_judge(mj, loaded.base_dir) if mj is not None else None
    meta_judged = set(job.meta_judged())

    def cap(provider: str, model: str, options: DecodingOptions) -> int | None:
        config = job.providers.get(provider)
        return sent_cap(config, model, options) if config is not None else options.max_tokens

    def add(provider: str, model: str, cost: CallBudget, mode: str | None) -> None:
        """Count `cost` against provider/model, priced online and in batches; `mode`: the
        one the job gives these calls (None: the provider's)."""
        key = f"{provider}/{model}"
        est.calls[key] += cost.calls
        est.input_tokens[key] += cost.input_tokens
        est.output_tokens[key] += cost.output_tokens
        cfg = job.providers.get(provider)
        if cfg is None:
            return
        usage = Usage(input_tokens=cost.input_tokens, output_tokens=cost.output_tokens)
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

    # With `responses:` the response model's answers exist already: only solvers answer.
    answering: list[ModelRef] = list(job.solvers)
    rm = job.response_model
    if rm is not None and job.start == "sources":
        answering.insert(0, rm)
    # Each answering model's cap as sent (the most any per-source override asks for).
    answer_caps = {id(r): _answer_cap(r, cap) for r in answering}
    est.uncapped = [f"{r.provider}/{r.model}" for r in answering if answer_caps[id(r)] is None]
    samples = rm.samples if rm is not None and job.start == "sources" else None
    answer_out = (_answer_cap(rm, cap) if rm else None) or UNCAPPED_OUTPUT_TOKENS
    judge_out = {cfg.name: cap(cfg.provider, cfg.model, judge.options) for cfg, judge in judges}
    meta_out = cap(mj.provider, mj.model, meta.options) if mj and meta else None

    def judged(q: int, shown: tuple[int, int], pairs: int, answers: int) -> None:
        """Every judge's (and the meta-judge's) calls on `pairs` pairs of a question, showing
        answers `shown` tokens long; an order-free judge scores at most `answers` of them."""
        for cfg, judge in judges:
            if isinstance(judge, OrderFreeJudge) and answers < 2 * pairs:
                cost = judge.answer_budget(q + max(shown)).times(answers)
            else:
                cost = _pair_cost(judge, q, shown, judge_out[cfg.name]).times(pairs)
            add(cfg.provider, cfg.model, cost, cfg.mode)
            if meta is not None and mj is not None and cfg.name in meta_judged:
                caps = (judge_out[cfg.name], meta_out)
                meta_cost = _meta_cost(meta, judge, q, shown, caps).times(pairs)
                add(mj.provider, mj.model, meta_cost, None)

    for item in _items(loaded, limit):
        if job.start == "pairs":
            est.pairs += 1
            q = tokens(item["question"])
            judged(q, (tokens(item["response_A"]), tokens(item["response_B"])), 1, 2)
            continue
        est.questions += 1
        prompt = tokens(item.prompt)
        for ref in answering:
            out = answer_caps[id(ref)] or UNCAPPED_OUTPUT_TOKENS
            add(ref.provider, ref.model, CallBudget(1, prompt, out).times(ref.samples), ref.mode)
        pairs = max_pairs(samples, job.pairing.per_question)
        est.pairs += pairs
        if pairs:
            # An order-free judge scores each answer once: at most 2 a pair, k a question.
            answers = min(2 * pairs, samples if samples is not None else 2 * pairs)
            judged(tokens(item.question), (answer_out, answer_out), pairs, answers)
    return est


def _pair_cost(
    judge: Judge, question: int, shown: tuple[int, int], out: int | None = None
) -> CallBudget:
    """At most what judging one pair in both orders costs, each call answering in up to
    `out` tokens (an order-free judge: scoring both answers, once each)."""
    if isinstance(judge, OrderFreeJudge):
        return judge.answer_budget(question + shown[0]) + judge.answer_budget(question + shown[1])
    return judge.budget(_prompt(judge, question, shown), out).times(2)


def _prompt(judge: Judge, question: int, shown: tuple[int, int]) -> int:
    return tokens(judge.template_text()) + question + sum(shown)


# What a reply is at most besides its calls' output: a speaker's name or a vote line per
# call (multi_agent), an order-free judge's recorded scores.
REPLY_OVERHEAD_PER_CALL = 16
DECISION_TOKENS = 16


def _meta_cost(
    meta: MetaJudge,
    judge: Judge,
    question: int,
    shown: tuple[int, int],
    out: tuple[int | None, int | None],
) -> CallBudget:
    """At most what meta-judging `judge`'s two judgments of one pair costs: one call each,
    showing the pair, the judgment's whole reply (every call it made), its decision and the
    rubric. `out`: the judge's and the meta-judge's caps as sent."""
    if isinstance(judge, OrderFreeJudge):
        reply = REPLY_OVERHEAD_PER_CALL
    else:
        one = judge.budget(_prompt(judge, question, shown), out[0])
        reply = one.output_tokens + REPLY_OVERHEAD_PER_CALL * one.calls
    shown_text = tokens(meta.template) + tokens(rubric_text(meta.rubric)) + DECISION_TOKENS
    prompt = shown_text + question + sum(shown) + reply
    return CallBudget(1, prompt, out[1] or UNCAPPED_OUTPUT_TOKENS).times(2)


def sent_cap(config: ProviderConfig, model: str, options: DecodingOptions) -> int | None:
    """The output cap a call with these options is sent, after the model table: a reasoning
    model's budget added to the job's cap, the model's ceiling applied, the default of an
    API that needs one (Anthropic). Options carrying the API's own fields (`extra`) may
    switch reasoning on, so then the cap with reasoning is taken. None: no cap is sent."""
    rule, known = ModelTable(table_api(config), config.models).rule(model)
    default = ANTHROPIC_MAX_TOKENS if config.type == "anthropic" else None
    caps = [
        plan(
            rule,
            known,
            model=model,
            temperature=None,
            max_tokens=options.max_tokens,
            asked_effort=effort,
            default_max_tokens=default,
        ).max_tokens
        for effort in ([None, CUSTOM] if options.extra else [None])
    ]
    return max((c for c in caps if c is not None), default=None)


def _answer_cap(
    ref: ModelRef, cap: Callable[[str, str, DecodingOptions], int | None]
) -> int | None:
    """An answering model's cap as sent: the most its own options or any per-source
    override asks for (None: no cap is sent)."""
    asked = [ref, *(ref.merge(o) for o in ref.per_source.values())]
    caps = [c for o in asked if (c := cap(ref.provider, ref.model, o)) is not None]
    return max(caps, default=None)
