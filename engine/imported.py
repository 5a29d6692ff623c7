"""Answers from an earlier run (`responses:` in a job): the generate stage is skipped for them.

The file is indexed by question id (offsets only); each answer keeps its own request key,
so verdicts and pairs made from it are keyed exactly as in the run that paid for it.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from engine.checkpoint import JsonlLog
from engine.records import ResponseRecord


class ImportedResponses:
    def __init__(self, path: Path) -> None:
        self.log = JsonlLog(path, durable=False)
        self.by_question: dict[str, list[int]] = defaultdict(list)

    def load(self) -> int:
        """Index successful answers; return how many there are."""
        n = 0
        for offset, obj in self.log.scan():
            if obj.get("error") or obj.get("text") is None or "question_id" not in obj:
                continue
            self.by_question[obj["question_id"]].append(offset)
            n += 1
        return n

    def answers_for(self, question_id: str) -> list[ResponseRecord]:
        records = [
            ResponseRecord.from_dict(self.log.read_at(o))
            for o in self.by_question.get(question_id, ())
        ]
        return sorted(records, key=lambda r: (r.model, r.sample_index, r.request_key))
