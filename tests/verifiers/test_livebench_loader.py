"""LiveBench question.jsonl loader, task dispatch and the registry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verifiers import livebench, mmlu_pro, registry
from verifiers.base import Question
from verifiers.errors import SourceError


def rec(n: int, task: str = "spatial", **extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "question_id": f"q{n}",
        "category": "math" if task in ("math_comp", "AMPS_Hard", "olympiad") else "reasoning",
        "task": task,
        "turns": [f"Question {n}? Answer in **bold**."],
        "ground_truth": "3",
        "livebench_release_date": "2024-06-24",
    }
    base.update(extra)
    return base


def write(path: Path, recs: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return path


def test_question_fields(tmp_path: Path) -> None:
    path = write(tmp_path / "question.jsonl", [rec(1), rec(2, "math_comp", subtask="smc")])
    q1, q2 = livebench.load(path)
    assert (q1.id, q1.source, q1.task) == ("livebench:q1", "livebench-reasoning", "spatial")
    assert q1.question == q1.prompt == "Question 1? Answer in **bold**."  # verbatim
    assert q1.original_id is None
    assert (q2.source, q2.meta["subtask"]) == ("livebench-math", "smc")


def test_filters(tmp_path: Path) -> None:
    recs = [
        rec(1),
        rec(2, "web_of_lies_v2"),
        rec(3, "math_comp", subtask="smc", livebench_release_date="2024-08-31"),
        rec(4, "math_comp", subtask="aime_i_2024"),
    ]
    path = write(tmp_path / "question.jsonl", recs)

    def ids(**opts: object) -> list[str]:
        return [q.id for q in livebench.load(path, **opts)]  # type: ignore[arg-type]

    assert ids(tasks=["math_comp"]) == ["livebench:q3", "livebench:q4"]
    assert ids(categories=["reasoning"]) == ["livebench:q1", "livebench:q2"]
    assert ids(subtasks=["aime_i_2024"]) == ["livebench:q4"]
    assert ids(release_date_max="2024-07-01") == ["livebench:q1", "livebench:q2", "livebench:q4"]
    assert ids(release_date_min="2024-07-01") == ["livebench:q3"]
    assert ids(limit=1, tasks=["web_of_lies_v2"]) == ["livebench:q2"]


def test_bad_records_name_file_line_and_field(tmp_path: Path) -> None:
    recs = [rec(1), rec(2, turns=[]), rec(3, task="connections"), {"question_id": "x"}, rec(5)]
    path = write(tmp_path / "question.jsonl", recs)
    reports: list[str] = []
    assert [q.id for q in livebench.load(path, on_error="skip", report=reports.append)] == [
        "livebench:q1",
        "livebench:q5",
    ]
    assert reports[0].startswith(f"{path}:2: field 'turns'")
    assert reports[1].startswith(f"{path}:3: field 'task'")
    assert reports[2] == f"{path}:4: missing field 'category'"
    with pytest.raises(SourceError, match=r":2: field 'turns'"):
        list(livebench.load(path))


def test_dispatch_by_task() -> None:
    def q(task: str, truth: str, text: str = "") -> Question:
        return Question("livebench:x", "livebench-math", task, text, text, truth)

    assert livebench.verify(q("spatial", "3"), "**3**").correct is True
    assert livebench.verify(q("web_of_lies_v2", "yes, no, yes"), "**yes, no, yes**").correct
    assert livebench.verify(q("math_comp", "025"), "answer: 025").correct is True
    assert livebench.verify(q("math_comp", "B"), "BBBBB").correct is True
    assert livebench.verify(q("olympiad", "1,2"), "Answer: 1, 2").correct is True
    unknown = livebench.verify(q("connections", "a"), "a")
    assert unknown.correct is None
    assert livebench.verify(q("spatial", "3"), None).correct is False  # type: ignore[arg-type]


def test_registry_maps_formats_and_tasks(tmp_path: Path) -> None:
    for task in ("spatial", "zebra_puzzle", "web_of_lies_v2", "math_comp", "AMPS_Hard"):
        assert registry.verifier_for(task) is livebench.verify
    assert registry.verifier_for("mmlu_pro") is mmlu_pro.verify
    path = write(tmp_path / "question.jsonl", [rec(1)])
    assert [q.id for q in registry.load("livebench", path)] == ["livebench:q1"]
    with pytest.raises(ValueError, match="unknown source format"):
        registry.source_module("nope")


def test_a_hugging_face_source_without_the_extra_says_what_to_install(tmp_path: Path) -> None:
    try:
        import datasets  # noqa: F401
    except ModuleNotFoundError:
        pass
    else:
        pytest.skip("the hf extra is installed (and tests have no network)")
    with pytest.raises(SourceError, match=r"hf:livebench/reasoning\[test\].*judgeflow\[hf\]"):
        list(livebench.load(tmp_path / "unused", hf_dataset="livebench/reasoning"))
