"""The question ids a run has read so far, in memory that stays small at a million.

A repeated id is a malformed record that names where the id was first seen, so every id read
must be remembered. A dict of id -> "file:line" costs ~200 bytes per id (the whole graph's
own state is flat, so this alone made peak RSS grow with the questions read: +5 MiB per
25,000). Here the most recent `RECENT` ids are kept exactly, with their line; older ones are
folded into sorted arrays of 64-bit digests, one array per fold and file: 8 bytes per id.
A repeat of an old id still names its file, not its line. Two different ids are taken for
one only if their 64-bit BLAKE2b digests collide: about n² / 2⁶⁵, 3 × 10⁻⁸ at a million ids.
"""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_left

RECENT = 16_384


def digest(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")


class SeenKeys:
    """Ids with where each was first seen (shared by the sources of one run)."""

    def __init__(self, recent: int = RECENT) -> None:
        self._max_recent = recent
        self._recent: dict[str, tuple[str, int]] = {}  # id -> (file, line)
        self._folded: list[tuple[array[int], str]] = []  # sorted digests, their file

    def __len__(self) -> int:
        return len(self._recent) + sum(len(a) for a, _ in self._folded)

    def first(self, key: str) -> str | None:
        """Where `key` was first seen ("file:line", or "file" once folded), or None."""
        hit = self._recent.get(key)
        if hit is not None:
            return f"{hit[0]}:{hit[1]}"
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
        if len(self._recent) >= self._max_recent:
            self._fold()

    def _fold(self) -> None:
        by_path: dict[str, list[int]] = {}
        for key, (path, _) in self._recent.items():
            by_path.setdefault(path, []).append(digest(key))
        for path, digests in by_path.items():
            self._folded.append((array("Q", sorted(digests)), path))
        self._recent = {}
