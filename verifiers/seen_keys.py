"""The question ids a run has read so far, in memory that stays small at a million.

A repeated id is a malformed record that names where the id was first seen, so every id read
must be remembered. A dict of id -> "file:line" costs ~200 bytes per id (the whole graph's
own state is flat, so this alone made peak RSS grow with the questions read: +5 MiB per
25,000). Here the most recent `RECENT` ids are kept exactly, with their line. Older ones are
folded away, per file:

* an id that ends in a number (MMLU-Pro's "mmlu-pro:123", most sources' running ids) joins
  a set of runs of consecutive numbers for its prefix, when many ids share that prefix:
  ids read in order cost nothing at all. A prefix of few ids (a hash that happens to end
  in digits), or a file whose numbers scatter into more than `MAX_RUNS` runs, goes on to:
* every other id becomes a 64-bit BLAKE2b digest in a sorted array, 8 bytes per id. Two
  different ids are taken for one only if their digests collide: about n² / 2⁶⁵, 3 × 10⁻⁸
  at a million ids.

A repeat of a folded id names its file, not its line.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from bisect import bisect_left, bisect_right

RECENT = 16_384
MAX_RUNS = 4_096  # per file and prefix: ~300 KiB at most
MIN_RUN_IDS = 64  # ids of one prefix in one fold before it is kept as runs
MAX_PREFIXES = 256  # (file, prefix) pairs kept as runs
# A decimal number as `str(int)` writes it, so the id is exactly prefix + str(number).
_NUMBERED = re.compile(r"(.*?)(0|[1-9][0-9]{0,17})")


def digest(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")


class Runs:
    """A set of integers as sorted, disjoint runs of consecutive numbers."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def __len__(self) -> int:
        return len(self.starts)

    def __contains__(self, x: int) -> bool:
        i = bisect_right(self.starts, x) - 1
        return i >= 0 and x <= self.ends[i]

    def add(self, x: int) -> None:
        """Add `x` (not in the set yet)."""
        starts, ends = self.starts, self.ends
        i = bisect_right(starts, x)
        left = i > 0 and ends[i - 1] == x - 1
        right = i < len(starts) and starts[i] == x + 1
        if left and right:
            ends[i - 1] = ends[i]
            del starts[i], ends[i]
        elif left:
            ends[i - 1] = x
        elif right:
            starts[i] = x
        else:
            starts.insert(i, x)
            ends.insert(i, x)


class SeenKeys:
    """Ids with where each was first seen (shared by the sources of one run)."""

    def __init__(
        self, recent: int = RECENT, max_runs: int = MAX_RUNS, min_run_ids: int = MIN_RUN_IDS
    ) -> None:
        self._max_recent = recent
        self._max_runs = max_runs
        self._min_run_ids = min_run_ids
        self._recent: dict[str, tuple[str, int]] = {}  # id -> (file, line)
        self._runs: dict[str, list[tuple[Runs, str]]] = {}  # prefix -> [(runs, file)]
        self._folded: list[tuple[array[int], str]] = []  # sorted digests, their file
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def first(self, key: str) -> str | None:
        """Where `key` was first seen ("file:line", or "file" once folded), or None."""
        hit = self._recent.get(key)
        if hit is not None:
            return f"{hit[0]}:{hit[1]}"
        if self._runs and (m := _NUMBERED.fullmatch(key)) is not None:
            number = int(m[2])
            for runs, path in self._runs.get(m[1], ()):
                if number in runs:
                    return path
        if not self._folded:
            return None
        d = digest(key)
        for digests, path in self._folded:
            i = bisect_left(digests, d)
            if i < len(digests) and digests[i] == d:
                return path
        return None

    def add(self, key: str, path: str, line: int) -> None:
        """Remember `key` as first seen at `path`:`line` (the caller checked `first`)."""
        self._recent[key] = (path, line)
        self._count += 1
        if len(self._recent) >= self._max_recent:
            self._fold()

    def _fold(self) -> None:
        numbered: dict[tuple[str, str], list[int]] = {}
        hashed: dict[str, list[int]] = {}
        for key, (path, _) in self._recent.items():
            m = _NUMBERED.fullmatch(key)
            if m is not None:
                numbered.setdefault((path, m[1]), []).append(int(m[2]))
            else:
                hashed.setdefault(path, []).append(digest(key))
        for (path, prefix), numbers in numbered.items():
            runs = self._runs_of(path, prefix, len(numbers))
            if runs is None:  # a prefix of few ids (a hash that ends in digits): digests
                hashed.setdefault(path, []).extend(digest(f"{prefix}{n}") for n in numbers)
                continue
            for n in sorted(numbers):
                if len(runs) < self._max_runs:
                    runs.add(n)
                else:  # scattered numbers: digests from here on
                    hashed.setdefault(path, []).append(digest(f"{prefix}{n}"))
        for path, digests in hashed.items():
            self._folded.append((array("Q", sorted(digests)), path))
        self._recent = {}

    def _runs_of(self, path: str, prefix: str, count: int) -> Runs | None:
        """The runs of `prefix` in `path`; new ones only for a prefix that numbers many ids
        (`min_run_ids` in one fold) while there are few prefixes (`MAX_PREFIXES`)."""
        entries = self._runs.get(prefix, [])
        for runs, where in entries:
            if where == path:
                return runs
        if count < self._min_run_ids or sum(map(len, self._runs.values())) >= MAX_PREFIXES:
            return None
        runs = Runs()
        self._runs.setdefault(prefix, []).append((runs, path))
        return runs
