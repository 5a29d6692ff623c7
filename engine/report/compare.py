"""Judge against judge on the pairs both scored: the report's comparisons, pure."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from engine.report.columns import joined
from engine.report.model import Comparison, Row
from engine.scoring import Accuracy
from engine.stats import cohen_kappa, mcnemar_exact, newcombe_paired


def compare(a: Row, b: Row) -> Comparison | None:
    """The paired comparison of two rows; None when they share no scored pair."""
    x, y = joined(a.judge.scores, b.judge.scores)
    n = len(x)
    if not n:
        return None
    both = int(np.count_nonzero(x & y))
    only_a = int(np.count_nonzero(x & ~y))
    only_b = int(np.count_nonzero(y & ~x))
    neither = n - both - only_a - only_b
    return Comparison(
        a=a.index,
        b=b.index,
        n=n,
        both=both,
        only_a=only_a,
        only_b=only_b,
        neither=neither,
        accuracy_a=Accuracy.of(both + only_a, n),
        accuracy_b=Accuracy.of(both + only_b, n),
        difference=newcombe_paired(both, only_a, only_b, neither).scaled(100.0),
        mcnemar_p=mcnemar_exact(only_a, only_b),
        kappa=cohen_kappa(both, only_a, only_b, neither),
    )


def all_comparisons(rows: Sequence[Row]) -> tuple[Comparison, ...]:
    """Every pair of rows that judged at least one pair in common, in row order."""
    out = (compare(a, b) for a, b in combinations(rows, 2))
    return tuple(c for c in out if c is not None)
