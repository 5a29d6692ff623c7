"""The run's manifest: which job produced it, and whether a changed job may continue it.

Safe changes (more judges, higher limits, other rate limits or concurrency) continue the
run. Changes that would alter results already written (seed, sources, response model,
pairing, an existing judge's settings) refuse unless the user asks for `--fresh`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from engine.jobspec import Job, JudgeConfig
from engine.keys import stable_hash
from verifiers.jsonl import sync_dir

MANIFEST = "manifest.json"


# Pair-file fields added after run folders existed: left out while unset (their values
# then), so those folders still resume.
_LATER_PAIR_FIELDS = {"hf_dataset": None, "hf_split": "test", "hf_config": None}


def _without_limits(
    items: list[dict[str, Any]], later: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    later = later or {}
    return [
        {
            k: v
            for k, v in item.items()
            if k not in ("limit", "on_error") and not (k in later and v == later[k])
        }
        for item in items
    ]


def core_fingerprint(job: Job) -> dict[str, Any]:
    """The parts of a job that decide what earlier records mean."""
    # A call's mode (online or batch) changes its price, not its result.
    dump = job.model_dump(
        mode="json", exclude={"response_model": {"mode"}, "solvers": {"__all__": {"mode"}}}
    )
    return {
        "seed": dump["seed"],
        "sources": _without_limits(dump["sources"]),
        "pairs": _without_limits(dump["pairs"], _LATER_PAIR_FIELDS),
        "responses": dump["responses"],
        "response_model": dump["response_model"],
        "solvers": dump["solvers"],
        "pairing": dump["pairing"],
    }


def judge_fingerprints(job: Job) -> dict[str, str]:
    def settings(judge: JudgeConfig) -> dict[str, Any]:
        dump = judge.model_dump(mode="json", exclude={"mode"})
        if dump.get("templates") is None:  # added later: unset leaves old hashes as they were
            dump.pop("templates", None)
        return dump

    return {j.name: stable_hash(settings(j)) for j in job.judges}


def build(job: Job, job_path: Path) -> dict[str, Any]:
    return {
        "job_file": str(job_path),
        "job": job.model_dump(mode="json"),
        "job_hash": stable_hash(job.model_dump(mode="json")),
        "core_hash": stable_hash(core_fingerprint(job)),
        "judges": judge_fingerprints(job),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def read(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / MANIFEST
    if not path.exists():
        return None
    manifest = orjson.loads(path.read_bytes())
    return manifest if isinstance(manifest, dict) else None


def write(run_dir: Path, manifest: Mapping[str, Any]) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / (MANIFEST + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        fh.flush()
        os.fsync(fh.fileno())  # the manifest is what makes the folder a run: keep it
    tmp.replace(run_dir / MANIFEST)  # atomic: a crash never leaves half a manifest
    sync_dir(run_dir)


def incompatibilities(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Why `new` may not continue a run made by `old` (empty when it may)."""
    problems = []
    if old.get("core_hash") != new.get("core_hash"):
        old_core = core_fingerprint(Job.model_validate(old["job"]))
        new_core = core_fingerprint(Job.model_validate(new["job"]))
        changed = sorted(k for k in new_core if old_core.get(k) != new_core.get(k))
        problems.append(f"changed settings that decide existing results: {', '.join(changed)}")
    for name, fp in old.get("judges", {}).items():
        if name in new.get("judges", {}) and new["judges"][name] != fp:
            problems.append(f"judge {name!r} changed (give it a new name to add it instead)")
    return problems
