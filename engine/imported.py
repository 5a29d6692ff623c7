"""Answers from an earlier run (`responses:` in a job): the generate stage is skipped for them.

The file is indexed by question id (offsets only); each answer keeps its own request key,
so verdicts and pairs made from it are keyed exactly as in the run that paid for it.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from engine.records import ResponseRecord
from verifiers import jsonl


class ImportedResponses:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.by_question: dict[str, list[int]] = defaultdict(list)

    def load(self) -> int:
        """Index successful answers; return how many there are.

        The file is an earlier run's: a torn last line (that run was killed) and
        unreadable lines are passed over, as that run's own resume would."""
        n = 0
        for line in jsonl.read(self.path, torn_tail="skip", on_bad="skip"):
            obj = line.record
            if obj.get("error") or obj.get("text") is None or "question_id" not in obj:
                continue
            self.by_question[obj["question_id"]].append(line.offset)
            n += 1
        return n

    def answers_for(self, question_id: str) -> list[ResponseRecord]:
        records = [
            ResponseRecord.from_dict(jsonl.read_at(self.path, o))
            for o in self.by_question.get(question_id, ())
        ]
        return sorted(records, key=lambda r: (r.model, r.sample_index, r.request_key))
