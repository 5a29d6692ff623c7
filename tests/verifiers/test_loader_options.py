"""Loader options are typed (checked by `validate` with FILE:LINE), a repeated question id
is reported with file, line and id, and a source left empty by its filters is a warning
that names them."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import orjson
import pytest

from engine.jobload import JobError, load_job
from engine.run import run_job
from fakes.server import FakeServer
from tests.engine.helpers import write_questions
from tests.engine.scripts import answer_or_judge
from verifiers import livebench, mmlu_pro, registry
from verifiers.errors import SourceError
from verifiers.seen_keys import SeenKeys

JOB = """\
name: opts
output_dir: {out}
providers:
  fake: {{type: openai_compatible, base_url: "{url}"}}
sources:
  - format: mmlu_pro
    path: q.jsonl
    options: {options}
response_model: {{provider: fake, model: answerer}}
"""


def _job(tmp_path: Path, options: str, url: str = "http://127.0.0.1:1/v1") -> Path:
    write_questions(tmp_path / "q.jsonl", 4)
    path = tmp_path / "job.yaml"
    path.write_text(JOB.format(out=tmp_path / "runs", url=url, options=options))
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(JobError) as exc:
        load_job(path, env={})
    return exc.value.problems


def test_a_string_where_a_list_belongs_is_a_job_error_with_file_and_line(tmp_path: Path) -> None:
    path = _job(tmp_path, "{categories: law}")  # selected 0 questions and exited 0 before
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:8: sources.0.options.categories: Input should be a")
    assert "(got 'law')" in problem


def test_a_number_where_a_list_belongs_and_a_bad_mode_are_reported_together(
    tmp_path: Path,
) -> None:
    path = _job(tmp_path, "{categories: 5, mode: loose, question_ids: [x]}")
    problems = _problems(path)
    assert [p.split(": ")[1] for p in problems] == [
        "sources.0.options.categories",
        "sources.0.options.question_ids.0",
        "sources.0.options.mode",
    ]
    assert all(p.startswith(f"{path}:8: ") for p in problems)


@pytest.mark.parametrize(
    ("fmt", "options", "field"),
    [
        ("livebench", {"release_date_max": "last week"}, "release_date_max"),
        ("livebench", {"tasks": "zebra_puzzle"}, "tasks"),
        ("livecodebench", {"timeout_s": 0}, "timeout_s"),
        ("livecodebench", {"private_tests": "sometimes"}, "private_tests"),
        ("livecodebench", {"platforms": "atcoder"}, "platforms"),
    ],
)
def test_every_format_types_its_options(fmt: str, options: dict, field: str) -> None:
    problems = registry.loader(fmt).problems(options)
    assert [loc for loc, _ in problems] == [(field,)]
    with pytest.raises(ValueError, match=f"option {field}: "):
        registry.loader(fmt).parse(options)


def test_dates_may_be_given_as_yaml_dates_or_strings() -> None:
    import datetime as dt

    a = livebench.load.parse({"release_date_max": "2024-06-24"})
    b = livebench.load.parse({"release_date_max": dt.date(2024, 6, 24)})
    assert a == b


def _mmlu(qid: int) -> dict:
    return {
        "question_id": qid,
        "question": f"Stem {qid}?",
        "options": ["one", "two", "three"],
        "answer": "B",
        "category": "law",
    }


def test_a_repeated_question_id_names_file_line_and_id(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(_mmlu(q)) for q in (1, 2, 1)) + "\n")
    with pytest.raises(SourceError) as exc:
        list(mmlu_pro.load(path))
    assert str(exc.value) == (f"{path}:3: duplicate question id 'mmlu-pro:1' (first at {path}:1)")
    reports: list[str] = []
    kept = list(mmlu_pro.load(path, on_error="skip", report=reports.append))
    assert [q.id for q in kept] == ["mmlu-pro:1", "mmlu-pro:2"]
    assert reports == [str(exc.value)]


def test_a_question_id_repeated_in_another_source_names_both(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(json.dumps(_mmlu(7)) + "\n")
    second.write_text(json.dumps(_mmlu(8)) + "\n" + json.dumps(_mmlu(7)) + "\n")
    seen = SeenKeys()
    assert len(list(mmlu_pro.load(first, seen=seen))) == 1
    with pytest.raises(
        SourceError,
        match=rf"{second}:2: duplicate question id 'mmlu-pro:7' "
        rf"\(first at {first}:1\)",
    ):
        list(mmlu_pro.load(second, seen=seen))


def test_an_empty_source_warns_naming_its_filter(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps(_mmlu(1)) + "\n")
    said: list[str] = []
    assert list(mmlu_pro.load(path, categories=["laww"], on_empty=said.append)) == []
    assert said == [f"{path}: 0 questions: no record passed the filters categories=['laww']"]
    said.clear()
    assert len(list(mmlu_pro.load(path, on_empty=said.append))) == 1
    assert said == []


def test_a_run_whose_source_filters_everything_out_says_so(tmp_path: Path) -> None:
    async def main() -> None:
        async with FakeServer(answer_or_judge) as srv:
            path = _job(tmp_path, "{categories: [laww]}", url=srv.base_url_openai)
            result = await run_job(load_job(path, env={}), quiet=True, report=False)
            assert result.exit_code == 0

    anyio.run(main)
    stats = orjson.loads((tmp_path / "runs" / "opts" / "stats.json").read_bytes())
    assert stats["warnings"] == [
        f"sources.0: {tmp_path / 'q.jsonl'}: 0 questions: "
        "no record passed the filters categories=['laww']"
    ]


@pytest.mark.parametrize("job", ["full.yaml", "judgebench.yaml"])
def test_the_shipped_jobs_validate_on_a_fresh_clone(job: str) -> None:
    """Their data comes from Hugging Face: nothing needs downloading for `validate` (the
    keys are given here; whether they are needed at all is the run-integrity issue's)."""
    path = Path(__file__).resolve().parents[2] / "jobs" / job
    keys = {k: "sk-test" for k in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY")}
    loaded = load_job(path, env=keys)
    specs = loaded.job.sources or loaded.job.pairs
    assert specs and all(getattr(s, "path", None) is None for s in specs)
