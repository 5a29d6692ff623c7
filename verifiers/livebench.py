"""LiveBench: loader for ``question.jsonl`` files and dispatch to the task verifiers.

Records: ``question_id, category, task, turns, ground_truth`` (+ ``subtask``,
``livebench_release_date``, ``livebench_removal_date``…). The question is shown verbatim
(``turns[0]``): it carries its own answer-format instructions, and JudgeBench's pair
``question`` field is exactly that text. Sources are ``livebench-<category>``.

Dates are ISO strings in the JSON Lines files but ``datetime`` values in the Hugging Face
datasets (``livebench/reasoning``, ``livebench/math``): both become ``YYYY-MM-DD`` before
any filter or verifier sees them (a `release_date_max` filter compared a datetime with a
string, and the zebra verifier, which picks its answer format by release date, could not
check a single answer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from verifiers import livebench_math as math
from verifiers import livebench_reasoning as reasoning
from verifiers.base import Question, Verdict
from verifiers.records_io import Loader, LoaderOptions, RecordReader

FIELDS = ("question_id", "category", "task", "turns", "ground_truth")

_Checker = Callable[[Question, str], Verdict]

_CHECKERS: dict[str, _Checker] = {
    "web_of_lies_v2": lambda q, a: reasoning.web_of_lies(q.ground_truth, a),
    "zebra_puzzle": lambda q, a: reasoning.zebra_puzzle(
        q.ground_truth, a, q.meta.get("release_date", "")
    ),
    "spatial": lambda q, a: reasoning.spatial(q.ground_truth, a),
    "house_traversal": lambda q, a: reasoning.house_traversal(q.ground_truth, a),
    "math_comp": lambda q, a: _math_comp(q, a),
    "olympiad": lambda q, a: math.olympiad(q.ground_truth, a),
    "AMPS_Hard": lambda q, a: math.amps_hard(q.ground_truth, a),
}
TASKS = frozenset(_CHECKERS)


def _math_comp(q: Question, answer: str) -> Verdict:
    truth = str(q.ground_truth).strip()
    if len(truth) == 1 and truth in "ABCDE":
        return math.amc(truth, answer, q.question)
    return math.aime(truth, answer)


def verify(question: Question, answer: str) -> Verdict:
    """Dispatch on ``question.task``; an unknown task is unverifiable, not an error."""
    check = _CHECKERS.get(question.task)
    if check is None:
        return Verdict(
            None, 0.0, None, f"no LiveBench verifier for task {question.task!r}", "unverifiable"
        )
    try:
        return check(question, answer or "")
    except (ValueError, TypeError, AttributeError) as exc:
        # Only a malformed ground truth gets here (answers never raise): say so, unverified.
        why = f"cannot check against {question.ground_truth!r}: {exc}"
        return Verdict(None, 0.0, None, why, "unverifiable")


def iso_date(value: Any) -> str:
    """A date as ``YYYY-MM-DD``: from a ``datetime``/``date``, or an ISO string ("" if none)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return str(value)[:10] if value else ""


def to_question(rec: dict[str, Any]) -> Question:
    turns = rec["turns"]
    if not isinstance(turns, list) or not turns or not isinstance(turns[0], str):
        raise ValueError("field 'turns': expected a list holding the question text")
    if rec["task"] not in TASKS:
        raise ValueError(f"field 'task': no verifier for {rec['task']!r}; known: {sorted(TASKS)}")
    truth = rec["ground_truth"]
    if not isinstance(truth, str):
        raise ValueError(f"field 'ground_truth': expected a string, got {type(truth).__name__}")
    text = turns[0]
    return Question(
        id=f"livebench:{rec['question_id']}",
        source=f"livebench-{rec['category']}",
        task=rec["task"],
        prompt=text,
        question=text,
        ground_truth=truth,
        original_id=None,
        meta={
            "question_id": rec["question_id"],
            "subtask": rec.get("subtask"),
            "release_date": iso_date(rec.get("livebench_release_date")),
            "removal_date": iso_date(rec.get("livebench_removal_date")),
        },
    )


class Options(LoaderOptions):
    """LiveBench's options: tasks, categories, subtasks, and a range of
    ``livebench_release_date`` (inclusive dates, e.g. ``release_date_max: 2024-07-26``).
    With ``hf_dataset: livebench/reasoning`` (or ``livebench/math``) records come from
    Hugging Face instead of the file."""

    FILTERS = ("tasks", "categories", "subtasks", "release_date_max", "release_date_min")
    tasks: list[str] | None = None
    categories: list[str] | None = None
    subtasks: list[str] | None = None
    release_date_max: dt.date | None = None
    release_date_min: dt.date | None = None


def reader(opts: Options) -> RecordReader[Question]:
    want_tasks = set(opts.tasks) if opts.tasks is not None else None
    want_cats = set(opts.categories) if opts.categories is not None else None
    want_sub = set(opts.subtasks) if opts.subtasks is not None else None
    latest = opts.release_date_max.isoformat() if opts.release_date_max else None
    earliest = opts.release_date_min.isoformat() if opts.release_date_min else None

    def wanted(rec: dict[str, Any]) -> bool:
        date = iso_date(rec.get("livebench_release_date"))
        return not (
            (want_tasks is not None and rec["task"] not in want_tasks)
            or (want_cats is not None and rec["category"] not in want_cats)
            or (want_sub is not None and rec.get("subtask") not in want_sub)
            or (latest is not None and date > latest)
            or (earliest is not None and date < earliest)
        )

    return RecordReader(to_question, FIELDS, wanted, key=lambda q: q.id)


load = Loader(reader, Options)
