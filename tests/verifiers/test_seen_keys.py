"""verifiers.seen_keys: every id read is remembered, in a few bytes or none once it is not
recent, and a repeat still names where the id was first seen."""

from __future__ import annotations

import random
import tracemalloc

from verifiers.seen_keys import Runs, SeenKeys


def test_recent_ids_name_their_line_and_folded_ones_their_file() -> None:
    seen = SeenKeys(recent=4)
    keys = [f"lb-{'ab'[i % 2]}{i:x}z" for i in range(10)]  # not numbered: digests
    for i, key in enumerate(keys):
        assert seen.first(key) is None
        seen.add(key, "a.jsonl" if i < 6 else "b.jsonl", i + 1)
    assert len(seen) == 10
    # 0-7 were folded (two folds of four); 8 and 9 are recent.
    assert seen.first(keys[9]) == "b.jsonl:10"
    assert seen.first(keys[1]) == "a.jsonl"
    assert seen.first(keys[7]) == "b.jsonl"
    assert seen.first(keys[5]) == "a.jsonl"  # a fold holding two files keeps them apart
    assert seen.first("lb-x") is None


def test_numbered_ids_fold_into_runs_per_file_and_prefix() -> None:
    seen = SeenKeys(recent=8, max_runs=3, min_run_ids=4)
    for i in range(40):
        seen.add(f"mmlu-pro:{i}", "a.jsonl", i + 1)
    for i in (100, 102, 104, 106, 108, 110, 112, 114):  # scattered: 3 runs, then digests
        seen.add(f"mmlu-pro:{i}", "b.jsonl", i)
    seen.add("mmlu-pro:0007", "b.jsonl", 200)  # not as str(int) writes it: a digest
    for i in range(16):
        seen.add(f"other:{i}", "b.jsonl", 300 + i)  # the same numbers, another prefix
    assert seen.first("mmlu-pro:3") == "a.jsonl"
    assert seen.first("mmlu-pro:39") == "a.jsonl"
    assert seen.first("mmlu-pro:40") is None
    assert all(seen.first(f"mmlu-pro:{i}") == "b.jsonl" for i in range(100, 115, 2))
    assert seen.first("mmlu-pro:101") is None and seen.first("mmlu-pro:7") == "a.jsonl"
    assert seen.first("mmlu-pro:0007") == "b.jsonl"
    assert seen.first("other:3") == "b.jsonl" and seen.first("other:16") is None
    assert seen.first("other:x") is None


def test_runs_merge_and_split_as_numbers_arrive() -> None:
    runs, plain, rng = Runs(), set(), random.Random(3)
    for x in rng.sample(range(500), 400):
        assert (x in runs) == (x in plain)
        runs.add(x)
        plain.add(x)
    assert all((x in runs) == (x in plain) for x in range(-2, 505))
    assert all(s <= e for s, e in zip(runs.starts, runs.ends, strict=True))
    assert all(e + 1 < s for e, s in zip(runs.ends, runs.starts[1:], strict=False))


def held_bytes(keys: list[str]) -> int:
    tracemalloc.start()
    try:
        seen = SeenKeys()
        for i, key in enumerate(keys):
            seen.add(key, "q.jsonl", i + 1)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(seen) == len(keys)
    assert all(seen.first(k) is not None for k in keys[::997])
    return held


def test_a_million_ids_cost_bytes_not_hundreds_of_bytes_each() -> None:
    n = 300_000
    # The dict it replaces held ~200 bytes per id (60 MB here). Ids read in order are runs:
    # only the RECENT (16,384) exact ones are held; other ids take 8 bytes each.
    in_order = held_bytes([f"mmlu-pro:{i}" for i in range(n)])
    assert in_order < 5 * 1024 * 1024, in_order
    hashed = held_bytes([f"q-{i:x}-{i * 7919 % 1000:x}" for i in range(n)])
    assert hashed < 9 * 1024 * 1024, hashed
    assert in_order < hashed / 2
