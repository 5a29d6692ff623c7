"""Answers from an earlier run (`responses:` in a job): the generate stage is skipped for them.

The file is indexed by question id (offsets only); each answer keeps its own request key
and its own model, so verdicts and pairs made from it are keyed exactly as in the run that
paid for it. Only the answers of one model are paired (the response model): the job's
`response_model` when it names one, else the earlier run's (from the manifest beside the
file), else the only model the file holds. Other models' answers (an earlier run's
solvers) are verified but never paired.

The file must be an earlier run's responses.jsonl: a torn last line (that run was killed)
is passed over, as its own resume would; any other line that is not an answer record is an
error naming the file and the line.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson

from engine.records import ResponseRecord
from verifiers import jsonl
from verifiers.errors import SourceError

# What every answer record of a run holds (records written by any version of the engine).
REQUIRED = ("request_key", "question_id", "source", "sample_index", "provider", "model")


def record_problem(obj: dict[str, Any]) -> str | None:
    """Why a JSON object is not an answer record of a run, or None when it is one."""
    missing = [k for k in REQUIRED if k not in obj]
    if missing:
        return f"not an answer record of a run (missing: {', '.join(missing)})"
    return None


def sniff(path: Path) -> str | None:
    """A quick look at the first line (for `validate`): why the file cannot be a run's
    responses.jsonl, or None when it may be one."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline(1 << 20).strip()
            while not first and fh.tell() < path.stat().st_size:
                first = fh.readline(1 << 20).strip()
    except OSError as exc:
        return f"cannot read it ({exc.strerror})"
    if not first:
        return "it is empty: no answers to start from"
    try:
        obj = orjson.loads(first)
    except orjson.JSONDecodeError:
        return "line 1 is not JSON: expected an earlier run's responses.jsonl"
    if not isinstance(obj, dict):
        return "line 1 is not a JSON object: expected an earlier run's responses.jsonl"
    problem = record_problem(obj)
    return f"line 1 is {problem}" if problem else None


class ImportedResponses:
    def __init__(self, path: Path, response_model: str | None = None) -> None:
        self.path = path
        self.by_question: dict[str, list[int]] = defaultdict(list)
        self.models: set[str] = set()
        self._given = response_model
        self.paired_model: str | None = response_model

    def load(self) -> int:
        """Index successful answers, decide which model's answers are paired; return how
        many answers there are. Raises SourceError (file and line) for a line that is not
        an answer record, or when no answer, or no single response model, can be found."""
        n = 0
        for line in jsonl.read(self.path, torn_tail="skip", on_bad="raise"):
            obj = line.record
            problem = record_problem(obj)
            if problem is not None:
                raise SourceError(self.path, line.number, problem)
            if obj.get("error") or obj.get("text") is None:
                continue
            self.by_question[str(obj["question_id"])].append(line.offset)
            self.models.add(str(obj["model"]))
            n += 1
        if n == 0:
            raise SourceError(self.path, None, "no answers to start from")
        self.paired_model = self._pick_model()
        return n

    def _pick_model(self) -> str:
        models = sorted(self.models)
        if self._given is not None:
            if self._given not in self.models:
                raise SourceError(
                    self.path,
                    None,
                    f"no answers of the response model {self._given!r} "
                    f"(it holds answers of: {', '.join(models)})",
                )
            return self._given
        earlier = _earlier_response_model(self.path.parent)
        if earlier is not None and earlier in self.models:
            return earlier
        if len(models) == 1:
            return models[0]
        raise SourceError(
            self.path,
            None,
            f"it holds answers of several models ({', '.join(models)}) and no manifest.json "
            "beside it says which was the response model: name the one to pair with "
            "`response_model` in the job",
        )

    def answers_for(self, question_id: str) -> list[ResponseRecord]:
        records = [
            ResponseRecord.from_dict(jsonl.read_at(self.path, o))
            for o in self.by_question.get(question_id, ())
        ]
        return sorted(records, key=lambda r: (r.model, r.sample_index, r.request_key))

    def paired(self, record: ResponseRecord) -> bool:
        """Whether pairs are made of this answer (it is the response model's)."""
        return record.model == self.paired_model


def _earlier_response_model(folder: Path) -> str | None:
    """The response model named by the manifest of the run folder holding the file."""
    try:
        manifest = orjson.loads((folder / "manifest.json").read_bytes())
        model = manifest["job"]["response_model"]["model"]
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
        return None
    return str(model) if model is not None else None
