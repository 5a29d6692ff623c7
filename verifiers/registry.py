"""Maps source formats to loader modules and question tasks to verifiers.

Every source module exposes:

* ``FORMAT: str`` – the name a job uses for it (``mmlu_pro``, ``livebench``, ...);
* ``TASKS: frozenset[str]`` – the ``Question.task`` values it verifies;
* ``KIND: VerifierKind`` – ``"thread"`` or ``"process"`` (uses child processes itself);
* ``load(path: Path, **options) -> Iterator[Question]`` – streaming, one record at a time.
  Every loader takes ``limit: int | None``, ``on_error: "skip" | "fail"`` and
  ``report: Callable[[str], Any] | None``: a malformed record raises
  ``verifiers.errors.SourceError(path, line, message)`` under "fail", and under "skip"
  its message (``"<path>:<line>: <what>"``) goes to ``report``. Format-specific filters
  (``categories``, ``tasks``, ``subtasks``, ``release_date_max``…) are keyword options;
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

from verifiers.base import Question, Verdict, VerifierKind

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


def load(fmt: str, path: Path, **options: Any) -> Iterator[Question]:
    return source_module(fmt).load(path, **options)


def verifier_for(task: str) -> tuple[Callable[[Question, str], Verdict], VerifierKind]:
    for name in SOURCE_MODULES:
        module = source_module(name)
        if task in module.TASKS:
            return module.verify, module.KIND
    raise ValueError(f"no verifier for task {task!r}")
