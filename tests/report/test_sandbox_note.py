"""The report says so when a run's code answers ran without a sandbox."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from engine.jobspec import Job
from engine.report import write_report
from tests.report.test_summary import make_run

NOTE = "Code answers ran without a sandbox"


@pytest.mark.parametrize("isolation", ["auto", "none"])
def test_report_names_a_run_without_a_sandbox(tmp_path: Path, isolation: str) -> None:
    run = tmp_path / "run"
    make_run(run)
    manifest = orjson.loads((run / "manifest.json").read_bytes())
    manifest["job"]["sandbox"] = {"isolation": isolation}
    (run / "manifest.json").write_bytes(orjson.dumps(manifest))
    summary = write_report([run], tmp_path / "out")
    assert summary["runs"][0]["sandbox"] == isolation
    assert (NOTE in (tmp_path / "out" / "report.md").read_text()) == (isolation == "none")
    assert (NOTE in (tmp_path / "out" / "report.html").read_text()) == (isolation == "none")


def test_the_job_field_is_validated() -> None:
    base = {"name": "x", "pairs": [{"path": "p.jsonl"}]}
    assert Job.model_validate(base).sandbox.isolation == "auto"
    assert Job.model_validate({**base, "sandbox": {"isolation": "none"}}).sandbox.isolation == (
        "none"
    )
    with pytest.raises(ValueError, match="isolation"):
        Job.model_validate({**base, "sandbox": {"isolation": "off"}})
