"""The error a source loader raises for a bad record, naming the file and the line."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

# What a loader does with a malformed record: report it and go on, or stop the run.
OnError = Literal["skip", "fail"]


class SourceError(ValueError):
    """A malformed record in a source or pair file.

    `line` is the 1-based line of a JSON Lines file, or the 1-based record number of a
    JSON array / parquet file (which have no useful line numbers).
    """

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")
