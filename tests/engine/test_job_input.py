"""Dangerous or confusing job input gets a clear error (FILE:LINE where there is a line)
and exit 2, never a traceback, never a deleted folder; a job can be checked without
secrets."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from engine.cli import main
from engine.jobload import JobError, load_job
from tests.engine.helpers import cli, job_yaml, write_questions


def _job(tmp_path: Path, text: str | None = None, name: str = "job.yaml") -> Path:
    questions = tmp_path / "q.jsonl"
    if not questions.exists():
        write_questions(questions, 3)
    path = tmp_path / name
    if text is None:
        text = job_yaml("safe", tmp_path / "runs", questions, "http://127.0.0.1:9/v1")
    path.write_text(text)
    return path


def _problems(path: Path, *overrides: str) -> list[str]:
    with pytest.raises(JobError) as exc:
        load_job(path, overrides, env={})
    return exc.value.problems


# ---- 8: a run name is a plain folder name; --fresh deletes only this job's run ----------


@pytest.mark.parametrize("bad", ["../outside", ".", "..", "a/b"])
def test_run_name_must_be_a_plain_folder_name(tmp_path: Path, bad: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    path = _job(tmp_path)
    for problems in (
        _problems(_job(tmp_path, path.read_text().replace("name: safe", f"name: '{bad}'"))),
        _problems(path, f"name={bad}"),
    ):
        [problem] = problems
        assert "name: " in problem and "not a plain folder name" in problem
    assert _problems(path.with_name("job.yaml"), f"name={bad}")[0].startswith(f"{path}:")
    out = cli("run", str(path), "--fresh", "--set", f"name={bad}", "--quiet")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert (outside / "precious.txt").read_text() == "keep me"
    assert (tmp_path / "runs").exists() is False  # nothing was made, nothing deleted


def test_fresh_removes_only_a_folder_holding_this_jobs_manifest(tmp_path: Path) -> None:
    path = _job(tmp_path)
    runs = tmp_path / "runs"
    # A folder of someone else's files where the run folder would go.
    (runs / "safe").mkdir(parents=True)
    (runs / "safe" / "thesis.tex").write_text("years of work")
    for fresh in ([], ["--fresh"]):
        assert main(["run", str(path), "--quiet", *fresh]) == 2
        assert (runs / "safe" / "thesis.tex").read_text() == "years of work"
    # Another job's run under this name (a folder copied or renamed by hand).
    (runs / "safe" / "thesis.tex").unlink()
    (runs / "safe" / "manifest.json").write_text('{"job": {"name": "other"}}')
    assert main(["run", str(path), "--quiet", "--fresh"]) == 2
    assert (runs / "safe" / "manifest.json").exists()


# ---- 9: YAML alias bombs and duplicate keys ---------------------------------------------

LOL = ", ".join(['"lol"'] * 9)
# Nine levels of nine aliases: under 600 bytes, 9**9 strings once expanded.
BOMB = f"  a: &a [{LOL}]\n" + "".join(
    f"  {b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n"
    for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.mark.parametrize("where", ["top", "extra"])
def test_an_alias_bomb_is_refused_quickly_with_its_line(tmp_path: Path, where: str) -> None:
    base = _job(tmp_path).read_text()
    if where == "top":
        text = base + "bomb:\n" + BOMB
    else:  # where validation passes it on: it would be in the manifest and every request
        text = base.replace(
            "response_model: {provider: fake, model: answerer, samples: 2, temperature: 0.7}",
            "response_model:\n  provider: fake\n  model: answerer\n  extra:\n"
            + BOMB.replace("  ", "    ", 1).replace("\n  ", "\n    "),
        )
    path = _job(tmp_path, text, name=f"bomb-{where}.yaml")
    assert len(BOMB) < 600
    t0 = time.monotonic()
    out = cli("validate", str(path))
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and "MemoryError" not in out.stderr
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "i: &i" in t)
    assert f"{path}:{line}: aliases expand to " in out.stderr
    assert time.monotonic() - t0 < 60  # it was refused, not expanded (that takes minutes)


def test_a_few_aliases_and_merge_keys_are_fine(tmp_path: Path) -> None:
    text = (
        _job(tmp_path)
        .read_text()
        .replace(
            "judges:\n  - {name: j, type: vanilla, provider: fake, model: judge}\n",
            "judges:\n"
            "  - &j1 {name: j1, type: vanilla, provider: fake, model: judge}\n"
            "  - {<<: *j1, name: j2}\n",  # a merge key, then one key overridden
        )
    )
    loaded = load_job(_job(tmp_path, text, name="merge.yaml"), env={})
    assert [(j.name, j.model) for j in loaded.job.judges] == [("j1", "judge"), ("j2", "judge")]


def test_duplicate_keys_are_refused_with_both_lines(tmp_path: Path) -> None:
    base = _job(tmp_path).read_text()
    [problem] = _problems(_job(tmp_path, base + "seed: 12\n", name="dup.yaml"))
    lines = base.splitlines()
    first = next(i for i, line in enumerate(lines, 1) if line.startswith("seed:"))
    dup = tmp_path / "dup.yaml"
    assert problem == f"{dup}:{len(lines) + 1}: duplicate key 'seed' (first given on line {first})"
    nested = base.replace(
        "    max_concurrency: 8\n", "    max_concurrency: 8\n    max_concurrency: 2\n"
    )
    [problem] = _problems(_job(tmp_path, nested, name="dup2.yaml"))
    assert "duplicate key 'max_concurrency'" in problem


# ---- 13: validate needs no secrets; run does ----------------------------------------------


def test_missing_api_key_is_a_warning_for_validate_and_dry_run_an_error_for_run(
    tmp_path: Path,
) -> None:
    text = (
        _job(tmp_path)
        .read_text()
        .replace(
            "    type: openai_compatible\n",
            "    type: openai_compatible\n    api_key_env: NOPE_KEY\n",
        )
    )
    path = _job(tmp_path, text, name="keys.yaml")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.strip() == "fake:")
    expected = f"{path}:{line}: providers.fake: API key not set: export NOPE_KEY"
    checked = cli("validate", str(path))
    assert checked.returncode == 0, checked.stderr
    assert f"warning: {expected}" in checked.stderr and "OK" in checked.stderr
    counted = cli("run", str(path), "--dry-run")
    assert counted.returncode == 0 and f"warning: {expected}" in counted.stderr
    ran = cli("run", str(path), "--quiet")
    assert ran.returncode == 2 and f"error: {expected}" in ran.stderr
    assert not (tmp_path / "runs").exists()


# ---- 14: binary job, output_dir that is a file, garbage responses, all errors at once -----


def test_a_binary_job_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "job.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    for command in ("validate", "run"):
        out = cli(command, str(path))
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert f"error: {path}: not a job file: not UTF-8 text" in out.stderr


def test_an_output_dir_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "runs").write_text("a file, not a folder")
    path = _job(tmp_path)
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "output_dir" in t)
    for command in ("validate", "run"):
        out = cli(command, str(path))
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert f"{path}:{line}: output_dir: {tmp_path / 'runs'} is a file" in out.stderr


def _from_answers(tmp_path: Path, content: bytes, name: str) -> tuple[Path, Path, str]:
    """A job starting from `responses:` (a file holding `content`): (job, file, job text)."""
    answers = tmp_path / "answers.jsonl"
    answers.write_bytes(content)
    text = (
        _job(tmp_path)
        .read_text()
        .replace(
            "response_model: {provider: fake, model: answerer, samples: 2, temperature: 0.7}",
            f"responses: {answers}",
        )
    )
    return _job(tmp_path, text, name=name), answers, text


@pytest.mark.parametrize(
    "garbage",
    [b"\x00\x01\x02binary\xff\n", b"hello, these are not answers\n", b'{"a": 1}\n', b"[1, 2]\n"],
)
def test_a_garbage_responses_file_is_a_clear_error(tmp_path: Path, garbage: bytes) -> None:
    path, _, text = _from_answers(tmp_path, garbage, "garbage.yaml")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("responses:"))
    for command in ("validate", "run"):
        out = cli(command, str(path), "--quiet") if command == "run" else cli(command, str(path))
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert f"{path}:{line}: responses: not an earlier run's responses.jsonl" in out.stderr


def test_a_bad_line_deeper_in_the_responses_file_stops_the_run_naming_it(tmp_path: Path) -> None:
    good = (
        b'{"request_key": "k1", "question_id": "mmlu-pro:0", "source": "mmlu-pro-math", '
        b'"sample_index": 0, "provider": "fake", "model": "m", "text": "B"}\n'
    )
    content = good + good.replace(b"k1", b"k2") + b"not json at all\n"
    path, bad, _ = _from_answers(tmp_path, content, "deep.yaml")
    out = cli("run", str(path), "--quiet")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"error: responses: {bad}:3: invalid JSON" in out.stderr
    assert not (tmp_path / "runs").exists()


def test_an_unknown_judge_type_is_reported_with_the_other_errors(tmp_path: Path) -> None:
    text = _job(tmp_path).read_text()
    text = text.replace("type: vanilla", "type: vanila").replace("seed: 11", "sed: 11")
    problems = _problems(_job(tmp_path, text, name="two.yaml"))
    assert len(problems) == 2
    assert any("sed: unknown key" in p for p in problems)
    assert any(
        "judges.0.type: unknown judge type 'vanila'; did you mean 'vanilla'?" in p for p in problems
    )
