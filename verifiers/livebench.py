"""LiveBench: loader for ``question.jsonl`` files and dispatch to the task verifiers.

Records: ``question_id, category, task, turns, ground_truth`` (+ ``subtask``,
``livebench_release_date``, ``livebench_removal_date``…). The question is shown verbatim
(``turns[0]``): it carries its own answer-format instructions, and JudgeBench's pair
``question`` field is exactly that text. Sources are ``livebench-<category>``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from verifiers import livebench_math as math
from verifiers import livebench_reasoning as reasoning
from verifiers.base import Question, Verdict
from verifiers.records_io import Loader, RecordReader

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
            "release_date": rec.get("livebench_release_date") or "",
            "removal_date": rec.get("livebench_removal_date") or "",
        },
    )


def reader(
    *,
    tasks: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
    subtasks: Iterable[str] | None = None,
    release_date_max: str | None = None,
    release_date_min: str | None = None,
) -> RecordReader[Question]:
    """LiveBench questions; dates are ISO strings compared on ``livebench_release_date``
    (e.g. ``release_date_max="2024-07-26"``). With ``hf_dataset`` (e.g.
    ``livebench/reasoning``) records come from Hugging Face instead of the file (needs the
    ``hf`` extra; see `verifiers.hf`)."""
    want_tasks = set(tasks) if tasks else None
    want_cats = set(categories) if categories else None
    want_sub = set(subtasks) if subtasks else None

    def wanted(rec: dict[str, Any]) -> bool:
        date = rec.get("livebench_release_date") or ""
        return not (
            (want_tasks is not None and rec["task"] not in want_tasks)
            or (want_cats is not None and rec["category"] not in want_cats)
            or (want_sub is not None and rec.get("subtask") not in want_sub)
            or (release_date_max is not None and date > release_date_max)
            or (release_date_min is not None and date < release_date_min)
        )

    return RecordReader(to_question, FIELDS, wanted)


load = Loader(reader)
