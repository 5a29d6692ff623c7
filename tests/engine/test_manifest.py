"""Resume safety: which job changes may continue a run, and which must refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import manifest
from engine.jobload import LoadedJob, load_job
from engine.run import ResumeRefused, prepare_run_dir
from tests.engine.test_jobload import GOOD


def _loaded(tmp_path: Path, *overrides: str) -> LoadedJob:
    (tmp_path / "q.jsonl").write_text("")
    path = tmp_path / "job.yaml"
    path.write_text(GOOD + f"output_dir: {tmp_path / 'runs'}\n")
    return load_job(path, overrides, env={"TEST_KEY": "x"})


def test_safe_changes_continue(tmp_path: Path) -> None:
    first = prepare_run_dir(_loaded(tmp_path), fresh=False)
    # A higher limit, other rate limits and an added judge are all safe.
    again = prepare_run_dir(
        _loaded(
            tmp_path,
            "sources.0.limit=50",
            "providers.oa.requests_per_minute=10",
            "judges=[{name: j1, type: vanilla, provider: oa, model: gpt-4o-mini},"
            " {name: j2, type: vanilla, provider: oa, model: gpt-4o}]",
        ),
        fresh=False,
    )
    assert again == first


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ("seed=2", "seed"),
        ("response_model.samples=3", "response_model"),
        ("pairing.per_question=2", "pairing"),
        ("judges.j1.model=other", "judge 'j1' changed"),
    ],
)
def test_result_changing_edits_refuse_unless_fresh(
    tmp_path: Path, override: str, reason: str
) -> None:
    run_dir = prepare_run_dir(_loaded(tmp_path), fresh=False)
    (run_dir / "responses.jsonl").write_text("{}\n")
    with pytest.raises(ResumeRefused) as exc:
        prepare_run_dir(_loaded(tmp_path, override), fresh=False)
    assert reason in str(exc.value) and "--fresh" in str(exc.value)
    assert (run_dir / "responses.jsonl").exists()  # refusing touches nothing
    prepare_run_dir(_loaded(tmp_path, override), fresh=True)
    assert not (run_dir / "responses.jsonl").exists()
    assert manifest.read(run_dir)["job"]["seed"] == (2 if override == "seed=2" else 1)
