"""LiveCodeBench: loader, prompt, code extraction and verification in the sandbox.

Records are LiveCodeBench `code_generation_lite` lines: ``question_content``,
``starter_code``, ``platform``, ``public_test_cases`` (JSON text) and optionally
``private_test_cases`` (JSON text, or base64 of zlib of a pickle of that text; decoded
with an unpickler that refuses every global, so only plain strings, lists and dicts
come out) and ``metadata`` (JSON text with ``func_name`` for LeetCode problems).
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
import zlib
from typing import Any

from pydantic import Field

from verifiers.base import Question, Verdict, VerdictKind
from verifiers.errors import SourceError

# The private-test decoder lives in lcb_private; these names stay importable from here.
from verifiers.lcb_private import MAX_PRIVATE_BYTES as MAX_PRIVATE_BYTES
from verifiers.lcb_private import decode_private_tests as decode_private_tests
from verifiers.lcb_private import parse_tests as _test_list
from verifiers.records_io import Loader, LoaderOptions, RecordReader
from verifiers.sandbox import Limits, TestOutcome, run_program
from verifiers.sandbox.compare import compare_functional, compare_stdout

TASKS = frozenset({"livecodebench"})

DEFAULT_TIMEOUT_S = 6.0
# The per-test limit is CPU time; the wall clock is only a backstop against programs that
# sleep or block. At 3x the CPU limit a correct program starved by a busy machine (our own
# pool's other slots included) is not cut.
WALL_FACTOR = 3.0
DEFAULT_MEMORY_MB = 2048


# A malformed record (the loader's own name for it); the message names file, line and field.
LoadError = SourceError


class _BadField(ValueError):
    """Raised inside one record's parsing; `load` adds the file and line."""


# ---------------------------------------------------------------- prompts


def build_prompt(question_content: str, starter_code: str) -> str:
    """Our wording; the answer format (one fenced Python block) is what `verify` expects."""
    head = f"Solve this programming problem in Python 3.\n\n{question_content.strip()}\n\n"
    if starter_code.strip():
        return (
            head + "Complete the following code. Keep the class name and the method "
            "signature exactly as given; your method is called directly with the inputs.\n"
            f"```python\n{starter_code.rstrip()}\n```\n\n"
            "Give your complete solution in one fenced Python code block (```python ... ```)."
        )
    return (
        head + "Your program reads the input from standard input and prints the answer to "
        "standard output, in exactly the format the problem describes.\n\n"
        "Give your complete program in one fenced Python code block (```python ... ```)."
    )


def extract_code(answer: str) -> str | None:
    """The last fenced code block: the text between the last two lines containing ```."""
    lines = answer.split("\n")
    fences = [n for n, line in enumerate(lines) if "```" in line]
    if len(fences) < 2:
        return None
    code = "\n".join(lines[fences[-2] + 1 : fences[-1]])
    return code if code.strip() else None


# ---------------------------------------------------------------- loading


def _field(rec: dict[str, Any], name: str, kind: type = str) -> Any:
    value = rec.get(name)
    if not isinstance(value, kind):
        raise _BadField(f"field {name!r}: expected {kind.__name__}, got {value!r:.60}")
    return value


def _question(rec: dict[str, Any], opts: dict[str, Any]) -> Question:
    qid = _field(rec, "question_id")
    content = _field(rec, "question_content")
    platform = _field(rec, "platform")
    starter = rec.get("starter_code") or ""
    meta_raw = rec.get("metadata") or "{}"
    try:
        meta = json.loads(meta_raw) if isinstance(meta_raw, str) else dict(meta_raw)
        if not isinstance(meta, dict):
            raise TypeError("expected a JSON object")
    except (ValueError, TypeError) as exc:
        raise _BadField(f"field 'metadata': {exc}") from None
    try:
        public = _test_list(json.loads(_field(rec, "public_test_cases")))
    except _BadField:
        raise
    except ValueError as exc:
        raise _BadField(f"field 'public_test_cases': {exc}") from None
    private: list[dict[str, Any]] = []
    if opts["private_tests"] and rec.get("private_test_cases"):
        try:
            private = decode_private_tests(_field(rec, "private_test_cases"))
        except (ValueError, pickle.UnpicklingError, zlib.error, EOFError) as exc:
            raise _BadField(f"field 'private_test_cases': {exc}") from None
    func_name = meta.get("func_name")
    if any(t["testtype"] == "functional" for t in public + private) and not func_name:
        raise _BadField("field 'metadata': functional tests need 'func_name'")
    return Question(
        id=f"livecodebench:{qid}",
        source="livecodebench",
        task="livecodebench",
        prompt=build_prompt(content, starter),
        question=content,
        ground_truth=public + private,
        original_id=None,
        meta={
            "question_id": qid,
            "question_title": rec.get("question_title"),
            "platform": platform,
            "func_name": func_name,
            "starter_code": starter,
            "contest_date": _date(rec.get("contest_date")),
            "difficulty": rec.get("difficulty"),
            "n_public": len(public),
            "n_private": len(private),
            "float_tolerance": opts["float_tolerance"],
            "timeout_s": opts["timeout_s"],
            "memory_mb": opts["memory_mb"],
        },
    )


def _date(value: Any) -> str | None:
    """``contest_date`` as an ISO string (the Hugging Face rows may carry a datetime)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return None if value is None else str(value)


def _wanted(rec: dict[str, Any], opts: dict[str, Any]) -> bool:
    if opts["platforms"] is not None and rec.get("platform") not in opts["platforms"]:
        return False
    if opts["difficulties"] is not None and rec.get("difficulty") not in opts["difficulties"]:
        return False
    if opts["question_ids"] is not None and rec.get("question_id") not in opts["question_ids"]:
        return False
    date = (_date(rec.get("contest_date")) or "")[:10]
    if opts["start_date"] and date < opts["start_date"]:
        return False
    return not (opts["end_date"] and date > opts["end_date"])


class Options(LoaderOptions):
    """LiveCodeBench's options (a JSONL file of `code_generation_lite` lines).

    Filters: `platforms`, `difficulties`, `question_ids`, and `start_date`/`end_date`
    (inclusive dates on ``contest_date``). `float_tolerance`, `timeout_s` (per test) and
    `memory_mb` travel in `Question.meta` to `verify`. With ``hf_dataset:
    livecodebench/code_generation_lite`` the release named by ``hf_config`` (``release_v1``
    … ``release_v6``, ``release_latest``, ``v2``, ``v1_v3``…; default ``release_latest``, as
    LiveCodeBench's own) is read, private tests included.
    """

    FILTERS = ("platforms", "difficulties", "question_ids", "start_date", "end_date")
    platforms: list[str] | None = None
    difficulties: list[str] | None = None
    question_ids: list[str] | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    private_tests: bool = True
    float_tolerance: float | None = Field(None, ge=0)
    timeout_s: float = Field(DEFAULT_TIMEOUT_S, gt=0)
    memory_mb: int = Field(DEFAULT_MEMORY_MB, ge=16)


def reader(options: Options) -> RecordReader[Question]:
    """A malformed line raises `LoadError` naming file, line and field, or with
    ``on_error="skip"`` is passed to `report` and skipped."""

    def chosen(values: list[str] | None) -> set[str] | None:
        return set(values) if values is not None else None

    opts = {
        "platforms": chosen(options.platforms),
        "difficulties": chosen(options.difficulties),
        "question_ids": chosen(options.question_ids),
        "start_date": options.start_date.isoformat() if options.start_date else None,
        "end_date": options.end_date.isoformat() if options.end_date else None,
        "private_tests": options.private_tests,
        "float_tolerance": options.float_tolerance,
        "timeout_s": options.timeout_s,
        "memory_mb": options.memory_mb,
    }
    return RecordReader(
        lambda rec: _question(rec, opts), wanted=lambda rec: _wanted(rec, opts), key=lambda q: q.id
    )


# The Hugging Face repository's releases: release_vN is test.jsonl .. testN.jsonl (the first
# file has no number); vN is file N alone, vN_vM files N to M.
RELEASES = 6


def _release_file(n: int) -> str:
    return "test.jsonl" if n == 1 else f"test{n}.jsonl"


def release_files(tag: str | None) -> list[str]:
    """The data files of a LiveCodeBench release tag."""
    tag = tag or "release_latest"
    if tag == "release_latest":
        return [_release_file(n) for n in range(1, RELEASES + 1)]
    if tag.startswith("release_v") and tag[9:].isdigit() and 1 <= int(tag[9:]) <= RELEASES:
        return [_release_file(n) for n in range(1, int(tag[9:]) + 1)]
    parts = tag.split("_")
    if all(p.startswith("v") and p[1:].isdigit() for p in parts) and len(parts) in (1, 2):
        first, last = int(parts[0][1:]), int(parts[-1][1:])
        if 1 <= first <= last <= RELEASES:
            return [_release_file(n) for n in range(first, last + 1)]
    raise ValueError(
        f"unknown LiveCodeBench release {tag!r}: use release_v1 .. release_v{RELEASES}, "
        "release_latest, vN or vN_vM"
    )


load = Loader(reader, Options, hf_files=release_files)


# ---------------------------------------------------------------- verification


def verify(question: Question, answer: str) -> Verdict:
    """Run the last fenced code block against every test; all must pass. Never raises."""
    try:
        return _verify(question, answer)
    except Exception as exc:  # a verifier bug is "cannot verify", never a crash
        why = f"verifier error: {type(exc).__name__}: {exc}"
        return Verdict(None, 0.0, None, why, "error")


def _verify(question: Question, answer: str) -> Verdict:
    tests: list[dict[str, Any]] = list(question.ground_truth or ())
    code = extract_code(answer or "")
    if code is None:
        return Verdict(False, 0.0, None, "no fenced code block in the answer", "no_answer")
    if not tests:
        return Verdict(None, 0.0, code, "no test cases to verify against", "unverifiable")
    meta = question.meta
    functional = tests[0]["testtype"] == "functional"
    tol = meta.get("float_tolerance")
    n_public = int(meta.get("n_public", len(tests)))
    failure: list[str] = []
    timed_out: list[str | None] = []  # per failure: the limit that ended it, if one did

    def check(out: TestOutcome) -> bool:
        test = tests[out.index]
        if out.status != "ok":
            why: str | None = out.describe()
        elif functional:
            why = compare_functional(out.result, test["output"], tol)
        else:
            why = compare_stdout(out.stdout or "", test["output"], tol)
        if why is not None:
            kind = "public" if out.index < n_public else "private"
            failure.append(f"test {out.index + 1}/{len(tests)} ({kind}) failed: {why}")
            timed_out.append(out.limit if out.status == "timeout" else None)
        return why is None

    timeout_s = float(meta.get("timeout_s") or DEFAULT_TIMEOUT_S)
    result = run_program(
        code,
        [t["input"] for t in tests],
        mode="functional" if functional else "stdin",
        func_name=meta.get("func_name"),
        limits=Limits(
            timeout_s=timeout_s,
            wall_s=timeout_s * WALL_FACTOR,
            memory_mb=int(meta.get("memory_mb") or DEFAULT_MEMORY_MB),
        ),
        check=check,
    )
    notes = f" [{'; '.join(result.notes)}]" if result.notes else ""
    if result.refused:  # no isolation here: checked again once the machine has it
        return Verdict(None, 0.0, code, f"{result.error}", "error")
    if result.tampered is not None:
        return Verdict(False, 0.0, code, f"program tampered with the sandbox: {result.tampered}")
    if failure:
        kind: VerdictKind = "time_limit" if timed_out[0] else "checked"
        return Verdict(False, 0.0, code, failure[0] + notes, kind)
    if result.error is not None or len(result.outcomes) != len(tests):
        return Verdict(None, 0.0, code, f"sandbox error: {result.error}{notes}", "error")
    return Verdict(True, 1.0, code, f"passed all {len(tests)} tests{notes}")
