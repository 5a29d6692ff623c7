"""LiveCodeBench source: loader (incl. private-test decoding), prompt, extraction, verify."""

from __future__ import annotations

import base64
import json
import pickle
import zlib
from collections import Counter
from pathlib import Path

import pytest

from verifiers import lcb_private
from verifiers import livecodebench as lcb
from verifiers.base import Question
from verifiers.registry import verifier_for

SAMPLE = "sources/livecodebench_release_v1_public_tests_sample100.jsonl"

STDIN_TESTS = [{"input": "3\n1 2 3\n", "output": "6\n", "testtype": "stdin"}]
FUNC_TESTS = [
    {"input": "[1, 2, 3]\n2", "output": "[3, 4, 5]", "testtype": "functional"},
    {"input": "[]\n7", "output": "[]", "testtype": "functional"},
]


def _record(**over: object) -> dict:
    rec = {
        "question_title": "Sum",
        "question_content": "Print the sum of the numbers.",
        "platform": "atcoder",
        "question_id": "abc999_a",
        "contest_id": "abc999",
        "contest_date": "2023-08-01T00:00:00",
        "starter_code": "",
        "difficulty": "easy",
        "public_test_cases": json.dumps(STDIN_TESTS),
        "metadata": "{}",
    }
    rec.update(over)
    return rec


def _write(path: Path, *records: object) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def _encode(obj: object) -> str:
    return base64.b64encode(zlib.compress(pickle.dumps(obj))).decode()


def _question(tests: list[dict], func_name: str | None = None, **meta: object) -> Question:
    return Question(
        id="livecodebench:t",
        source="livecodebench",
        task="livecodebench",
        prompt="",
        question="q",
        ground_truth=tests,
        meta={"func_name": func_name, "n_public": len(tests), "timeout_s": 2.0, **meta},
    )


# ---------------------------------------------------------------- extraction and prompt


def test_extract_code_takes_the_last_fenced_block() -> None:
    answer = "Idea:\n```python\nprint(1)\n```\nFinal:\n```python\nprint(2)\n```\nDone."
    assert lcb.extract_code(answer) == "print(2)"


def test_extract_code_without_a_complete_block_is_none() -> None:
    assert lcb.extract_code("print(1)") is None
    assert lcb.extract_code("```python\nprint(1)") is None
    assert lcb.extract_code("```\n\n```") is None


def test_prompt_with_starter_code_shows_it_and_asks_for_a_fenced_block() -> None:
    starter = "class Solution:\n    def f(self, x: int) -> int:\n        "
    prompt = lcb.build_prompt("Return x.", starter)
    assert "Return x." in prompt and "def f(self, x: int) -> int:" in prompt
    assert "standard input" not in prompt and "```python" in prompt


def test_prompt_without_starter_code_asks_for_stdin_stdout() -> None:
    prompt = lcb.build_prompt("Read n.", "")
    assert "standard input" in prompt and "standard output" in prompt and "```python" in prompt


# ---------------------------------------------------------------- loading


def test_load_maps_fields_exactly(tmp_path: Path) -> None:
    rec = _record(
        platform="leetcode",
        starter_code="class Solution:\n    pass",
        public_test_cases=json.dumps(FUNC_TESTS),
        metadata=json.dumps({"func_name": "addAll"}),
    )
    (q,) = lcb.load(_write(tmp_path / "a.jsonl", rec))
    assert q.id == "livecodebench:abc999_a"
    assert (q.source, q.task) == ("livecodebench", "livecodebench")
    assert q.question == rec["question_content"]
    assert q.ground_truth == FUNC_TESTS
    assert q.meta["platform"] == "leetcode" and q.meta["func_name"] == "addAll"
    assert q.meta["starter_code"] == rec["starter_code"]
    assert "class Solution" in q.prompt


def test_private_tests_are_decoded_from_base64_zlib_pickle(tmp_path: Path) -> None:
    private = [{"input": "1\n5\n", "output": "5\n", "testtype": "stdin"}]
    path = _write(tmp_path / "a.jsonl", _record(private_test_cases=_encode(json.dumps(private))))
    (q,) = lcb.load(path)
    assert q.ground_truth == STDIN_TESTS + private
    assert (q.meta["n_public"], q.meta["n_private"]) == (1, 1)
    (q,) = lcb.load(path, private_tests=False)
    assert q.ground_truth == STDIN_TESTS


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("pwned",))


def test_pickle_with_any_global_is_refused_with_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "a.jsonl", _record(), _record(private_test_cases=_encode([_Evil()])))
    with pytest.raises(lcb.LoadError, match=r"a\.jsonl:2: field 'private_test_cases'.*refused"):
        list(lcb.load(path))
    assert "pwned" not in capsys.readouterr().out


def test_zlib_bomb_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lcb_private, "MAX_PRIVATE_BYTES", 1000)
    path = _write(tmp_path / "a.jsonl", _record(private_test_cases=_encode("x" * 5000)))
    with pytest.raises(lcb.LoadError, match="exceed"):
        list(lcb.load(path))


def test_malformed_lines_fail_or_are_reported_and_skipped(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "a.jsonl",
        _record(question_id="ok1"),
        "{not json",
        _record(question_id="bad", public_test_cases='[{"input": 1}]'),
        _record(question_id="bad2", metadata="[]"),
        _record(question_id=7),
        _record(question_id="ok2"),
    )
    with pytest.raises(lcb.LoadError, match=r"a\.jsonl:2: invalid JSON"):
        list(lcb.load(path))
    reports: list[str] = []
    ids = [q.id for q in lcb.load(path, on_error="skip", report=reports.append)]
    assert ids == ["livecodebench:ok1", "livecodebench:ok2"]
    assert [r.split(": ", 1)[0].rsplit(":", 1)[1] for r in reports] == ["2", "3", "4", "5"]
    assert "field 'public_test_cases'" in reports[1]
    assert "field 'metadata'" in reports[2]
    assert "field 'question_id'" in reports[3]


def test_filters_and_limit(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "a.jsonl",
        _record(question_id="a", contest_date="2023-05-01T00:00:00"),
        _record(question_id="b", platform="codeforces", contest_date="2023-09-01T00:00:00"),
        _record(question_id="c", contest_date="2024-01-01T00:00:00", difficulty="hard"),
    )
    ids = lambda **kw: [q.meta["question_id"] for q in lcb.load(path, **kw)]  # noqa: E731
    assert ids(platforms=["atcoder"]) == ["a", "c"]
    assert ids(start_date="2023-06-01", end_date="2023-12-31") == ["b"]
    assert ids(difficulties=["hard"]) == ["c"]
    assert ids(question_ids=["c", "a"]) == ["a", "c"]
    assert ids(limit=2) == ["a", "b"]


def test_loads_the_shared_sample(shared_data: Path) -> None:
    questions = list(lcb.load(shared_data / SAMPLE))
    assert len(questions) == 100
    assert Counter(q.meta["platform"] for q in questions) == {
        "leetcode": 56,
        "atcoder": 38,
        "codeforces": 6,
    }
    for q in questions:
        kinds = {t["testtype"] for t in q.ground_truth}
        assert kinds == ({"functional"} if q.meta["platform"] == "leetcode" else {"stdin"})
        assert (q.meta["func_name"] is not None) == (q.meta["platform"] == "leetcode")


# ---------------------------------------------------------------- verification


def test_registry_routes_the_task_to_the_code_verifier() -> None:
    assert verifier_for("livecodebench") is lcb.verify


def test_verify_passes_a_correct_stdin_program() -> None:
    code = "```python\ninput()\nprint(sum(map(int, input().split())))\n```"
    verdict = lcb.verify(_question(STDIN_TESTS), code)
    assert (verdict.correct, verdict.score) == (True, 1.0)
    assert verdict.extracted == "input()\nprint(sum(map(int, input().split())))"
    assert verdict.reason.startswith("passed all 1 tests")


def test_verify_names_the_failing_test_and_why() -> None:
    tests = [*STDIN_TESTS, {"input": "2\n5 5\n", "output": "10\n", "testtype": "stdin"}]
    code = "```python\nn = int(input())\nprint(6)\n```"
    verdict = lcb.verify(_question(tests), code)
    assert verdict.correct is False and verdict.score == 0.0
    assert verdict.reason.startswith("test 2/2 (public) failed: wrong answer on line 1")


def test_verify_functional_program_all_tests_must_pass() -> None:
    head = "```python\nclass Solution:\n    def f(self, a, k):\n        return [x + k for x in a]"
    good, bad = head + "\n```", head + " or [0]\n```"
    assert lcb.verify(_question(FUNC_TESTS, "f"), good).correct is True
    verdict = lcb.verify(_question(FUNC_TESTS, "f"), bad)
    assert verdict.correct is False and verdict.reason.startswith("test 2/2")


def test_verify_private_tests_are_labelled_as_such() -> None:
    tests = [*STDIN_TESTS, {"input": "1\n9\n", "output": "9\n", "testtype": "stdin"}]
    verdict = lcb.verify(_question(tests, n_public=1), "```python\ninput()\nprint(6)\n```")
    assert verdict.reason.startswith("test 2/2 (private) failed")


def test_verify_float_tolerance_comes_from_the_question() -> None:
    tests = [{"input": "\n", "output": "0.333333333333\n", "testtype": "stdin"}]
    answer = "```python\nprint(round(1/3, 9))\n```"
    assert lcb.verify(_question(tests), answer).correct is False
    assert lcb.verify(_question(tests, float_tolerance=1e-6), answer).correct is True


def test_verify_without_code_or_tests() -> None:
    assert lcb.verify(_question(STDIN_TESTS), "I think the answer is 6.").correct is False
    verdict = lcb.verify(_question([]), "```python\nprint(1)\n```")
    assert verdict.correct is None and "no test cases" in verdict.reason


def test_verify_is_thread_safe_under_concurrent_calls() -> None:
    from concurrent.futures import ThreadPoolExecutor

    good = "```python\ninput()\nprint(sum(map(int, input().split())))\n```"
    bad = "```python\nprint(0)\n```"
    answers = [good, bad] * 4
    with ThreadPoolExecutor(8) as ex:
        verdicts = list(ex.map(lambda a: lcb.verify(_question(STDIN_TESTS), a), answers))
    assert [v.correct for v in verdicts] == [True, False] * 4


def test_the_wall_clock_is_a_backstop_at_three_times_the_cpu_limit() -> None:
    """The per-test limit is CPU time; the wall clock only stops programs that sleep or block,
    at WALL_FACTOR times it, so a correct program slowed by a busy machine is not cut. A
    program idle for 1.5x its CPU limit passes (a wall limit equal to the CPU limit failed it,
    as it failed correct programs on a loaded machine); one sleeping far past it is wrong."""
    assert lcb.WALL_FACTOR == 3.0
    q = _question(STDIN_TESTS, timeout_s=2.0)
    slow = lcb.verify(q, "```python\nimport time\ntime.sleep(3)\nprint(6)\n```")
    assert slow.correct is True, slow.reason
    sleeper = lcb.verify(q, "```python\nimport time\ntime.sleep(60)\n```")
    assert (sleeper.correct, sleeper.kind) == (False, "time_limit"), sleeper.reason
    assert "wall clock" in sleeper.reason
    busy = lcb.verify(q, "```python\nwhile True:\n    pass\n```")
    assert (busy.correct, busy.kind) == (False, "time_limit"), busy.reason
    assert "CPU time" in busy.reason
