"""The collector's setting for a run: young collections far less often than CPython's default.

A run keeps hundreds of calls in flight, each holding a few dozen young container objects
(request, response, parsed body, record), so at the default threshold (700 allocations) a
young collection runs every few calls and walks all of them, only to promote them. Measured
on the provider path (bench/provider_overhead.py): ~40 µs of collector time per call at the
default, ~0 at 10,000, with no change to a bare aiohttp loop's. Cycles are still collected,
a little later; peak memory is unchanged within noise (bench/graph_memory.py)."""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def tune_gc() -> None:
    """Set the thresholds for this process (the older generations keep their defaults)."""
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
