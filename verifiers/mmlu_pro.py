r"""MMLU-Pro: loader, prompt and answer verifier.

Records have ``question_id, question, options, answer, answer_index, category, src``
(JSON Lines, a JSON array as the authors ship it, or parquet).

* ``Question.question`` is the stem plus one ``(A) option`` line per option: the text
  JudgeBench's pair ``question`` field starts with (JudgeBench appends its own answer
  instruction, which we do not copy; our instruction is in ``Question.prompt``).
* ``Question.source`` is ``mmlu-pro-<category>`` with MMLU-Pro's category spelling.
* The verifier: strict mode takes the last run of one letter A–J written five times
  (or more: see `_FIVE`); lenient mode is MMLU-Pro's own extraction chain, rule for rule
  (for answers written to the authors' "The answer is (X)" prompt): the first match of
  ``answer is \(?([A-J])\)?`` (case as written, no word boundary), else
  ``.*[aA]nswer:\s*([A-J])``, else the last standalone letter A–J.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from verifiers.base import Question, Verdict
from verifiers.records_io import Loader, LoaderOptions, RecordReader

TASKS = frozenset({"mmlu_pro"})

Mode = Literal["strict", "lenient"]
LETTERS = "ABCDEFGHIJ"
FIELDS = ("question_id", "question", "options", "answer", "category")

INSTRUCTION = (
    "Work through the question step by step. When you have settled on an option, "
    "finish with its letter written five times in a row and nothing else on that line, "
    "for example EEEEE for option E."
)

# Five or more equal capitals A–J in a row. JudgeBench's own labels count "IIIIII",
# "CCCCCCCCCC" and "EEEEETwitter" as answers, so the run may be longer than five and
# may run into the next word; only a run glued to a preceding capital is not taken.
_FIVE = re.compile(r"(?<![A-Z])([A-J])\1{4,}")
# MMLU-Pro's chain (evaluate_from_api.py): the patterns and flags exactly as the authors
# apply them; each is a `re.search`, so the first match counts.
_ANSWER_IS = re.compile(r"answer is \(?([A-J])\)?")
_ANSWER_COLON = re.compile(r".*[aA]nswer:\s*([A-J])")
_LAST_STANDALONE = re.compile(r"\b([A-J])\b(?!.*\b[A-J]\b)", re.DOTALL)


def format_question(stem: str, options: Iterable[str]) -> str:
    """The stem and one ``(A) text`` line per option, as JudgeBench shows MMLU-Pro questions."""
    lines = [f"({LETTERS[i]}) {opt}" for i, opt in enumerate(options)]
    return "\n".join([stem, *lines])


def to_question(rec: dict[str, Any], *, mode: Mode = "strict") -> Question:
    """One MMLU-Pro record as a Question (raises KeyError/ValueError on a bad record)."""
    options = [str(o) for o in rec["options"] if str(o) != "N/A"]
    if not 2 <= len(options) <= len(LETTERS):
        raise ValueError(f"field 'options': expected 2 to 10 options, got {len(options)}")
    answer = str(rec["answer"]).strip().upper()
    if answer not in LETTERS[: len(options)]:
        raise ValueError(f"field 'answer': {rec['answer']!r} is not one of the option letters")
    question = format_question(str(rec["question"]), options)
    qid = rec["question_id"]
    return Question(
        id=f"mmlu-pro:{qid}",
        source=f"mmlu-pro-{rec['category']}",
        task="mmlu_pro",
        prompt=f"{question}\n\n{INSTRUCTION}",
        question=question,
        ground_truth=answer,
        original_id=int(qid) if isinstance(qid, int | str) and str(qid).isdigit() else qid,
        meta={
            "mode": mode,
            "category": rec["category"],
            "src": rec.get("src"),
            "n_options": len(options),
        },
    )


class Options(LoaderOptions):
    """MMLU-Pro's options: which categories (any case) or question ids, and `mode`, the
    verifier's extraction rule. With ``hf_dataset: TIGER-Lab/MMLU-Pro`` (split ``test``)
    records come from Hugging Face instead of the file."""

    FILTERS = ("categories", "question_ids")
    categories: list[str] | None = None
    question_ids: list[int] | None = None
    mode: Mode = "strict"


def reader(opts: Options) -> RecordReader[Question]:
    cats = {c.lower() for c in opts.categories} if opts.categories is not None else None
    ids = set(opts.question_ids) if opts.question_ids is not None else None
    mode = opts.mode

    def wanted(rec: dict[str, Any]) -> bool:
        if cats is not None and str(rec["category"]).lower() not in cats:
            return False
        return ids is None or rec["question_id"] in ids

    return RecordReader(lambda rec: to_question(rec, mode=mode), FIELDS, wanted, key=_id)


def _id(q: Question) -> str:
    return q.id


load = Loader(reader, Options)


def extract_strict(answer: str) -> str | None:
    """The letter of the last run of exactly five equal letters A–J, or None."""
    found = _FIVE.findall(answer)
    return found[-1] if found else None


def extract_lenient(answer: str) -> tuple[str | None, str]:
    """MMLU-Pro's extraction chain; returns (letter, which rule found it)."""
    for rule, pattern in (
        ("'answer is (X)'", _ANSWER_IS),
        ("'Answer: X'", _ANSWER_COLON),
        ("last standalone letter", _LAST_STANDALONE),
    ):
        if m := pattern.search(answer):
            return m.group(1), rule
    return None, "no answer letter"


def verify(question: Question, answer: str) -> Verdict:
    """Compare the extracted letter with the key. A missing letter is a wrong answer."""
    key = str(question.ground_truth)
    if question.meta.get("mode", "strict") == "lenient":
        letter, rule = extract_lenient(answer or "")
    else:
        letter = extract_strict(answer or "")
        rule = "five-letter run" if letter else "no five-letter run"
    if letter is None:
        return Verdict(False, 0.0, None, f"{rule}; key {key}", "no_answer")
    ok = letter == key
    return Verdict(ok, float(ok), letter, f"{rule} {letter} {'=' if ok else '!='} key {key}")
