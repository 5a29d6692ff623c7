"""verifiers.seen_keys: every id read is remembered, in ~8 bytes once it is not recent, and a
repeat still names where the id was first seen."""

from __future__ import annotations

import tracemalloc

from verifiers.seen_keys import SeenKeys


def test_recent_ids_name_their_line_and_folded_ones_their_file() -> None:
    seen = SeenKeys(recent=4)
    for i in range(10):
        assert seen.first(f"mmlu-pro:{i}") is None
        seen.add(f"mmlu-pro:{i}", "a.jsonl" if i < 6 else "b.jsonl", i + 1)
    assert len(seen) == 10
    # 0-7 were folded (two folds of four); 8 and 9 are recent.
    assert seen.first("mmlu-pro:9") == "b.jsonl:10"
    assert seen.first("mmlu-pro:1") == "a.jsonl"
    assert seen.first("mmlu-pro:7") == "b.jsonl"
    assert seen.first("mmlu-pro:5") == "a.jsonl"  # a fold holding two files keeps them apart
    assert seen.first("mmlu-pro:10") is None
    assert seen.first("mmlu-pro:") is None


def test_a_million_ids_cost_bytes_not_hundreds_of_bytes_each() -> None:
    n = 300_000
    tracemalloc.start()
    try:
        seen = SeenKeys()
        for i in range(n):
            seen.add(f"mmlu-pro:{i}", "q.jsonl", i + 1)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The dict it replaces held ~200 bytes per id (60 MB here); folded ids take 8 bytes
    # and at most RECENT (16,384) are held exactly.
    assert held < 16 * 1024 * 1024, held
    assert len(seen) == n
    assert all(seen.first(f"mmlu-pro:{i}") is not None for i in range(0, n, 997))
    assert seen.first("mmlu-pro:300000") is None
