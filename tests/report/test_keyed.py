"""`Keyed` spilled to disk gives the lines held in memory would, in bounded memory."""

from __future__ import annotations

import random
import tracemalloc

import numpy as np

from engine.report.keyed import PARTS, Keyed, first_and_last, frozen


def _fill(k: Keyed, n: int, seed: int) -> list[tuple[int, int, int]]:
    """n lines over ~n/3 distinct keys (later lines repeat earlier keys, as resume does)."""
    rng = random.Random(seed)
    keys = [rng.getrandbits(64) - (1 << 63) for _ in range(max(1, n // 3))]
    lines = []
    for i in range(n):
        line = (rng.choice(keys), rng.randrange(5), i % 251)
        k.add(*line)
        lines.append(line)
    return lines


def test_spilled_lines_read_back_as_the_held_ones() -> None:
    held, spilled = Keyed("H", "B"), Keyed("H", "B", spill_lines=97)
    lines = _fill(held, 5000, 1)
    assert _fill(spilled, 5000, 1) == lines
    assert spilled.spilled and not held.spilled
    assert len(spilled) == len(held) == 5000

    # Same ranges, same lines in each, in file order.
    n_parts = 0
    for (ka, fa), (kb, fb) in zip(held.parts(), spilled.parts(), strict=True):
        assert np.array_equal(ka, kb)
        assert all(np.array_equal(a, b) for a, b in zip(fa, fb, strict=True))
        n_parts += 1
    assert n_parts == PARTS

    # The last line per key wins, on both sides, and equals a dict's update.
    last = {key: (judge, flag) for key, judge, flag in lines}
    for k in (held, spilled):
        keys, (judge, flag) = k.freeze()
        assert list(keys) == sorted(last)
        assert [(int(j), int(f)) for j, f in zip(judge, flag, strict=True)] == [
            last[int(x)] for x in keys
        ]
        assert k.distinct() == len(last)

    # Lines added after the file was read back, even part of it, are appended, not
    # written over what is there.
    first_range = next(iter(spilled.parts()))
    assert len(first_range[0])
    more = [*_fill(spilled, 600, 5), (lines[0][0], 4, 250)]
    spilled.add(*more[-1])
    last.update({key: (judge, flag) for key, judge, flag in more})
    keys, (judge, flag) = spilled.freeze()
    assert list(keys) == sorted(last) and len(spilled) == 5601
    assert [(int(j), int(f)) for j, f in zip(judge, flag, strict=True)] == [
        last[int(x)] for x in keys
    ]


def test_each_key_lives_in_one_range_in_key_order() -> None:
    k = Keyed("H", "B", spill_lines=50)
    _fill(k, 2000, 2)
    tops = []
    for keys, _ in k.parts():
        if len(keys):
            assert len(np.unique(keys >> 56)) == 1  # one top byte per range
            tops.append(int(keys[0] >> 56))
    assert tops == sorted(tops) and len(tops) > 100


def test_counting_range_by_range_holds_a_range_not_the_lines() -> None:
    """A million lines counted through `parts()`: the traced peak is the write buffer and
    one range, not the ~12 MB of lines (and the sort's copies) held at once."""
    n = 1_000_000
    k = Keyed("H", "B", "B", spill_lines=1 << 15)
    keys = np.random.default_rng(3).integers(-(1 << 63), (1 << 63) - 1, n // 2, dtype=np.int64)
    tracemalloc.start()
    try:
        add = k.add
        for i in range(n):
            add(int(keys[i % len(keys)]), i % 7, i & 1, 0)
        calls = np.zeros(7, np.int64)
        for part_keys, (judge, _, _) in k.parts():
            _, first, _ = first_and_last(part_keys)
            calls += np.bincount(judge[first], minlength=7)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        k.close()
    assert int(calls.sum()) == len(np.unique(keys))
    # Held in memory, the lines alone are 12 MB; the buffer is 32k lines (~0.4 MB) and a
    # range ~4k lines.
    assert peak < 4 * 2**20, peak


def test_freeze_of_a_range_is_the_whole_freeze_cut() -> None:
    k = Keyed("d", spill_lines=10)
    for i in range(300):
        k.add(hash(f"key-{i % 40}"), float(i))
    keys, (score,) = k.freeze()
    parts = [frozen(p) for p in k.parts()]
    assert np.array_equal(keys, np.concatenate([p[0] for p in parts]))
    assert np.array_equal(score, np.concatenate([p[1][0] for p in parts]))
    assert len(keys) == 40 and float(score.max()) == 299.0
