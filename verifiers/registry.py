"""Maps source formats to loader modules and question tasks to verifiers.

Every source module (named here by the format a job uses: ``mmlu_pro``, ``livebench``,
``livecodebench``) exposes:

* ``TASKS: frozenset[str]`` – the ``Question.task`` values it verifies;
* ``load`` – a `verifiers.records_io.Loader` made from the module's ``Options`` model and
  ``reader``: ``load(path, *, limit, on_error, report, seen, on_empty, **options)`` streams
  questions one record at a time. A malformed record, or a question id seen before,
  raises ``verifiers.errors.SourceError(path, line, message)`` under ``on_error="fail"``,
  and under "skip" its message (``"<path>:<line>: <what>"``) goes to ``report``.
  Format-specific filters (``categories``, ``tasks``, ``subtasks``, ``release_date_max``…)
  and the Hugging Face fields (``hf_dataset``, ``hf_split``, ``hf_config``) are the fields
  of ``Options``, checked by ``validate``;
* ``verify(question: Question, answer: str) -> Verdict`` – blocking, safe to call from a
  worker thread; never raises on a bad answer (a bad answer is a verdict).

Modules are imported lazily so that, e.g., sympy is loaded only when math is verified.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from verifiers.base import Question, Verdict
from verifiers.records_io import Loader

# Tasks whose check is CPU-bound work in child processes (the code sandbox, sympy): the ones
# a verification backend with a cluster (engine.verify_backend) sends to its workers. The
# other verifiers are regular expressions, cheaper than the trip.
HEAVY_TASKS: frozenset[str] = frozenset({"livecodebench", "AMPS_Hard"})

# format name -> module
SOURCE_MODULES: dict[str, str] = {
    "mmlu_pro": "verifiers.mmlu_pro",
    "livebench": "verifiers.livebench",
    "livecodebench": "verifiers.livecodebench",
}


def source_module(fmt: str) -> ModuleType:
    try:
        return importlib.import_module(SOURCE_MODULES[fmt])
    except KeyError:
        known = sorted(SOURCE_MODULES)
        raise ValueError(f"unknown source format {fmt!r}; known: {known}") from None


def loader(fmt: str) -> Loader[Question, Any]:
    """The `load` of a source format."""
    load = source_module(fmt).load
    assert isinstance(load, Loader)
    return load


def load(fmt: str, path: Path, **options: Any) -> Iterator[Question]:
    return loader(fmt)(path, **options)


def verifier_for(task: str) -> Callable[[Question, str], Verdict]:
    for name in SOURCE_MODULES:
        module = source_module(name)
        if task in module.TASKS:
            verify: Callable[[Question, str], Verdict] = module.verify
            return verify
    raise ValueError(f"no verifier for task {task!r}")
