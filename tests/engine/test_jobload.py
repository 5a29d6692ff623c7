"""Job validation: every error names the file, the line and the field; nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli import main
from engine.jobload import JobError, load_job

GOOD = """\
name: t
seed: 1
providers:
  oa:
    type: openai
    api_key_env: TEST_KEY
    requests_per_minute: 100
sources:
  - format: mmlu_pro
    path: q.jsonl
response_model:
  provider: oa
  model: gpt-4o
  samples: 4
judges:
  - name: j1
    type: vanilla
    provider: oa
    model: gpt-4o-mini
"""


def _job(tmp_path: Path, text: str = GOOD) -> Path:
    (tmp_path / "q.jsonl").write_text("")
    path = tmp_path / "job.yaml"
    path.write_text(text)
    return path


def _problems(path: Path, overrides: tuple[str, ...] = (), env: dict | None = None) -> list[str]:
    with pytest.raises(JobError) as exc:
        load_job(path, overrides, env={"TEST_KEY": "sk-secret"} if env is None else env)
    return exc.value.problems


def test_good_job_loads_with_overrides(tmp_path: Path) -> None:
    loaded = load_job(
        _job(tmp_path),
        ["judges.j1.model=gpt-5", "seed=7", "response_model.samples=2"],
        env={"TEST_KEY": "x"},
    )
    assert loaded.job.judges[0].model == "gpt-5"
    assert loaded.job.seed == 7 and loaded.job.response_model.samples == 2
    assert loaded.job.start == "sources"


def test_unknown_key_has_line_and_did_you_mean(tmp_path: Path) -> None:
    path = _job(tmp_path, GOOD.replace("requests_per_minute", "requests_per_minut"))
    [problem] = _problems(path)
    assert problem == (
        f"{path}:7: providers.oa.requests_per_minut: unknown key; "
        "did you mean 'requests_per_minute'?"
    )


def test_wrong_type_names_field_and_value(tmp_path: Path) -> None:
    path = _job(tmp_path, GOOD.replace("samples: 4", "samples: many"))
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:14: response_model.samples: ")
    assert "'many'" in problem


def test_missing_required_field(tmp_path: Path) -> None:
    path = _job(tmp_path, GOOD.replace("    model: gpt-4o-mini\n", ""))
    [problem] = _problems(path)
    assert problem == f"{path}:16: judges.0.model: required field is missing"


def test_missing_file_named_with_line(tmp_path: Path) -> None:
    path = _job(tmp_path, GOOD.replace("q.jsonl", "nope.jsonl"))
    [problem] = _problems(path)
    assert problem == f"{path}:10: sources.0.path: file not found: {tmp_path / 'nope.jsonl'}"


def test_missing_api_key_is_named_never_printed(tmp_path: Path) -> None:
    path = _job(tmp_path)
    [problem] = _problems(path, env={})
    assert problem == f"{path}:4: providers.oa: API key not set: export TEST_KEY"


def test_unknown_provider_reference(tmp_path: Path) -> None:
    path = _job(
        tmp_path,
        GOOD.replace(
            "    provider: oa\n    model: gpt-4o-mini", "    provider: oai\n    model: gpt-4o-mini"
        ),
    )
    [problem] = _problems(path)
    assert problem == (
        f"{path}:18: judges.0.provider: provider 'oai' is not defined under "
        "`providers`; did you mean 'oa'?"
    )


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    path = _job(tmp_path, GOOD + "judges: [\n")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:") and "invalid YAML" in problem


def test_bad_override_is_reported(tmp_path: Path) -> None:
    [problem] = _problems(_job(tmp_path), ("judges.nobody.model=x",))
    assert problem == "--set judges.nobody.model=x: no item 'nobody' in judges"


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    path = _job(tmp_path, GOOD.replace("q.jsonl", "nope.jsonl"))
    problems = _problems(path, env={})
    assert len(problems) == 2


def test_cli_validate_exit_code_and_no_files_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _job(tmp_path, GOOD.replace("requests_per_minute", "rpm"))
    monkeypatch.setenv("TEST_KEY", "sk-do-not-print")
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["run", str(path)]) == 2
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "providers.oa.rpm: unknown key" in err
    assert "sk-do-not-print" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_unknown_loader_option_named_with_line(tmp_path: Path) -> None:
    path = _job(
        tmp_path,
        GOOD.replace("    path: q.jsonl\n", "    path: q.jsonl\n    options: {categorys: [law]}\n"),
    )
    [problem] = _problems(path)
    assert problem == (
        f"{path}:11: sources.0.options.categorys: unknown option for mmlu_pro; "
        "did you mean 'categories'?"
    )


def test_bad_judge_template_is_a_job_error(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_text("--- nonsense ---\n{{nope}}\n")
    path = _job(tmp_path, GOOD + "    template: bad.txt\n")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:16: judges.0: ")
    assert "bad.txt" in problem


def test_a_source_needs_a_path_or_a_hugging_face_dataset(tmp_path: Path) -> None:
    path = _job(tmp_path, GOOD.replace("    path: q.jsonl\n", ""))
    [problem] = _problems(path)
    assert problem == (
        f"{path}:9: sources.0: Value error, give a `path`, or `options: {{hf_dataset: NAME}}`"
    )
    hf = _job(
        tmp_path,
        GOOD.replace("    path: q.jsonl\n", "    options: {hf_dataset: TIGER-Lab/MMLU-Pro}\n"),
    )
    assert load_job(hf, env={"TEST_KEY": "x"}).job.sources[0].path is None


def test_bad_judge_settings_are_job_errors(tmp_path: Path) -> None:
    path = _job(
        tmp_path, GOOD.replace("type: vanilla", "type: arena_hard") + "    params: {followup: 2}\n"
    )
    with pytest.raises(JobError) as err:
        load_job(path, env={"TEST_KEY": "x"})
    (problem,) = err.value.problems
    assert problem.startswith(f"{path}:")
    assert "judges.0: judge 'j1': params.followup: unknown setting" in problem
    assert "(known: followups)" in problem
    # Decoding options under params are still read as decoding options, and checked as such.
    path = _job(tmp_path, GOOD + "    params: {max_tokens: 0}\n")
    with pytest.raises(JobError, match=r"judges\.0: .*max_tokens"):
        load_job(path, env={"TEST_KEY": "x"})


def test_verify_backend_and_address_are_checked(tmp_path: Path) -> None:
    loaded = load_job(_job(tmp_path), env={"TEST_KEY": "x"})
    assert loaded.job.verify.backend == "local"  # the default: nothing needs Ray
    ok = GOOD + "verify: {backend: ray, address: 'ray://head:10001', max_in_flight: 8}\n"
    spec = load_job(_job(tmp_path, ok), env={"TEST_KEY": "x"}).job.verify
    assert (spec.backend, spec.address, spec.max_in_flight) == ("ray", "ray://head:10001", 8)
    [problem] = _problems(_job(tmp_path, GOOD + "verify: {backend: ray, address: head}\n"))
    assert problem.startswith(f"{tmp_path / 'job.yaml'}:20: verify")
    assert "host:port" in problem
    [problem] = _problems(_job(tmp_path, GOOD + "verify: {backend: dask}\n"))
    assert problem.startswith(f"{tmp_path / 'job.yaml'}:20: verify.backend")
