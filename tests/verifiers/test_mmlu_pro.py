"""MMLU-Pro: answer extraction in both modes, verdicts, and the streaming loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verifiers import mmlu_pro
from verifiers.errors import SourceError

REC = {
    "question_id": 70,
    "question": "Which gas is most abundant in air?",
    "options": ["Oxygen", "Nitrogen", "Argon", "N/A"],
    "answer": "B",
    "answer_index": 1,
    "category": "computer science",
    "src": "ori_mmlu-x",
}


def q(mode: str = "strict") -> mmlu_pro.Question:
    return mmlu_pro.to_question(REC, mode=mode)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "letter"),
    [
        ("so the answer is B.\n\nBBBBB", "B"),
        ("First AAAAA, but on reflection: CCCCC", "C"),
        ("The answer is IIIIII.", "I"),  # JudgeBench's labels accept longer runs
        ("duplicating gives:\n\nEEEEETwitter", "E"),
        ("**Answer: DDDDD**", "D"),
        ("ABCDE ABCDE", None),
        ("bbbbb", None),
        ("KKKKK", None),  # K is not an option letter
        ("XAAAAA", None),  # glued to a preceding capital: not an answer run
        ("", None),
    ],
)
def test_strict_extraction(text: str, letter: str | None) -> None:
    assert mmlu_pro.extract_strict(text) == letter


@pytest.mark.parametrize(
    ("text", "letter", "rule"),
    [
        # MMLU-Pro's chain, rule for rule: a five-letter run is no rule of theirs.
        ("blah BBBBB then the answer is (C)", "C", "'answer is (X)'"),
        ("Therefore the answer is (C).", "C", "'answer is (X)'"),
        # The *first* "answer is" counts (the authors' re.search), not the last.
        ("the answer is (B)... no wait, the answer is (D)", "B", "'answer is (X)'"),
        ("the answer is D", "D", "'answer is (X)'"),
        ("the answer is Apple", "A", "'answer is (X)'"),  # no word boundary in theirs
        # Case as written: "Answer is" is not their first rule; no colon, so the last letter.
        ("The Answer is (C), or maybe B", "B", "last standalone letter"),
        ("the answer is (c)", None, "no answer letter"),
        ("Answer: D", "D", "'Answer: X'"),
        ("answer:\n  E", "E", "'Answer: X'"),  # \s* crosses the newline
        # `.*` is greedy on the first line that has an "Answer:": its last one counts.
        ("Answer: A then Answer: C\nAnswer: F", "C", "'Answer: X'"),
        ("ANSWER: D", "D", "last standalone letter"),  # only [aA]nswer
        ("I think it must be option\nJ", "J", "last standalone letter"),
        ("A or B? Surely C.\nThat is my view.", "C", "last standalone letter"),
        ("the answer is (K)", None, "no answer letter"),  # K is no letter of theirs
        ("no idea", None, "no answer letter"),
    ],
)
def test_lenient_extraction(text: str, letter: str | None, rule: str) -> None:
    assert mmlu_pro.extract_lenient(text) == (letter, rule)


def test_verify_strict_and_lenient() -> None:
    right = mmlu_pro.verify(q(), "Nitrogen is 78%.\nBBBBB")
    assert (right.correct, right.score, right.extracted) == (True, 1.0, "B")
    wrong = mmlu_pro.verify(q(), "AAAAA")
    assert (wrong.correct, wrong.extracted) == (False, "A")
    assert "!= key B" in wrong.reason
    missing = mmlu_pro.verify(q(), "The answer is (B)")
    assert (missing.correct, missing.extracted) == (False, None)
    assert mmlu_pro.verify(q("lenient"), "The answer is (B)").correct is True


def test_question_fields_follow_judgebench() -> None:
    question = q()
    assert question.id == "mmlu-pro:70"
    assert question.source == "mmlu-pro-computer science"
    assert question.original_id == 70
    # "N/A" padding is dropped; options are "(A) text" lines under the stem.
    assert question.question == (
        "Which gas is most abundant in air?\n(A) Oxygen\n(B) Nitrogen\n(C) Argon"
    )
    assert question.prompt.startswith(question.question)
    assert "five times" in question.prompt
    assert question.ground_truth == "B"


def _write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_loader_filters_and_limit(tmp_path: Path) -> None:
    recs = [dict(REC, question_id=i, category=c) for i, c in enumerate(["law", "math", "law"])]
    path = _write_jsonl(tmp_path / "q.jsonl", [json.dumps(r) for r in recs])
    assert [x.id for x in mmlu_pro.load(path)] == ["mmlu-pro:0", "mmlu-pro:1", "mmlu-pro:2"]
    assert [x.id for x in mmlu_pro.load(path, categories=["LAW"])] == ["mmlu-pro:0", "mmlu-pro:2"]
    assert [x.id for x in mmlu_pro.load(path, limit=2)] == ["mmlu-pro:0", "mmlu-pro:1"]
    assert [x.id for x in mmlu_pro.load(path, question_ids=[1])] == ["mmlu-pro:1"]


def test_loader_reads_a_json_array(tmp_path: Path) -> None:
    path = tmp_path / "q.json"
    path.write_text(json.dumps([REC, dict(REC, question_id=71)]), encoding="utf-8")
    assert [x.original_id for x in mmlu_pro.load(path)] == [70, 71]


def test_loader_reads_parquet(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "q.parquet"
    pq.write_table(pa.Table.from_pylist([REC, dict(REC, question_id=72)]), path)
    assert [x.original_id for x in mmlu_pro.load(path)] == [70, 72]


def test_bad_lines_are_reported_with_file_and_line(tmp_path: Path) -> None:
    lines = [
        json.dumps(REC),
        "{not json",
        json.dumps({k: v for k, v in REC.items() if k != "options"}),
        json.dumps(dict(REC, answer="Q")),
        json.dumps(dict(REC, question_id=99)),
    ]
    path = _write_jsonl(tmp_path / "bad.jsonl", lines)
    reports: list[str] = []
    got = list(mmlu_pro.load(path, on_error="skip", report=reports.append))
    assert [x.original_id for x in got] == [70, 99]
    assert len(reports) == 3
    assert reports[0].startswith(f"{path}:2: invalid JSON")
    assert reports[1] == f"{path}:3: missing field 'options'"
    assert reports[2].startswith(f"{path}:4: field 'answer'")

    with pytest.raises(SourceError) as err:
        list(mmlu_pro.load(path))
    assert (err.value.path, err.value.line) == (str(path), 2)


def test_loader_streams_one_record_at_a_time(tmp_path: Path) -> None:
    # The bad second line is only reached when the second record is asked for.
    path = _write_jsonl(tmp_path / "q.jsonl", [json.dumps(REC), "garbage"])
    it = mmlu_pro.load(path)
    assert next(it).original_id == 70
    with pytest.raises(SourceError):
        next(it)


def test_unknown_options_are_refused(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "q.jsonl", [json.dumps(REC)])
    with pytest.raises(ValueError, match="on_error"):
        list(mmlu_pro.load(path, on_error="ignore"))
    with pytest.raises(SourceError, match="file not found"):
        list(mmlu_pro.load(tmp_path / "missing.jsonl"))
