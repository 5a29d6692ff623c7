"""Interval estimates and exact tests for proportions; pure, standard library only.

Chosen so that small and extreme samples get honest answers (the report's judges often
score 0% or 100% on a category with a handful of pairs):

* `wilson`: Wilson's score interval for one proportion. Unlike a bootstrap or the Wald
  interval it keeps a real width at 0/n and n/n (0/4 -> [0, 0.490]).
* `newcombe_paired`: difference of two proportions measured on the same items (two judges
  on the same pairs): Newcombe's square-and-add interval from the two Wilson intervals,
  with his corrected correlation term (method 10 of Newcombe 1998, Stat Med 17:2635).
* `newcombe_independent`: difference of two proportions from different items (own-family
  pairs vs the others; judge accuracy vs solve accuracy): Newcombe's hybrid score interval
  (method 10 of Newcombe 1998, Stat Med 17:873).
* `binomial_test_half`: exact two-sided binomial test against p = 1/2 (position bias), and
  `mcnemar_exact`, the same test on the discordant counts of a paired 2x2 table.
* `cohen_kappa`: agreement of two raters on a 2x2 table, beyond what chance gives.

Proportions and intervals here are fractions (0-1); the report scales them to percent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the 97.5% point of the standard normal: two-sided 95%
_EXACT_LIMIT = 4000  # up to this n binomial tails are summed in exact integers


@dataclass(frozen=True, slots=True)
class Interval:
    """A point estimate with a two-sided 95% interval (NaN throughout when undefined)."""

    estimate: float
    low: float
    high: float

    def scaled(self, factor: float) -> Interval:
        return Interval(self.estimate * factor, self.low * factor, self.high * factor)


NAN_INTERVAL = Interval(math.nan, math.nan, math.nan)


def wilson(k: int, n: int, z: float = Z95) -> Interval:
    """Wilson score interval for k successes out of n; NaN for n = 0."""
    if n <= 0:
        return NAN_INTERVAL
    if not 0 <= k <= n:
        raise ValueError(f"wilson: need 0 <= k <= n, got k={k}, n={n}")
    p = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # At the edges the bound is exact in theory; pin it so rounding cannot leave 1e-17.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return Interval(p, low, high)


def binom_cdf_half(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if n <= _EXACT_LIMIT:
        return sum(math.comb(n, i) for i in range(k + 1)) / (1 << n)
    if 2 * k >= n:  # sum the short side: P(X <= k) = 1 - P(X <= n - k - 1) by symmetry
        return 1.0 - binom_cdf_half(n - k - 1, n)
    # Below the mean the terms fall geometrically as i goes down: sum from k until they
    # stop adding anything a double can hold.
    log_term = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) - n * math.log(2)
    term = math.exp(log_term)
    total, i = 0.0, k
    while i >= 0 and term > 0.0:
        total += term
        if term < total * 1e-17:
            break
        term *= i / (n - i + 1)  # C(n, i-1) / C(n, i)
        i -= 1
    return min(1.0, total)


def binomial_test_half(k: int, n: int) -> float:
    """Exact two-sided p-value of k successes in n trials against p = 1/2 (NaN if n = 0).

    The null distribution is symmetric, so the two-sided p-value is twice the smaller tail.
    """
    if n <= 0:
        return math.nan
    return min(1.0, 2.0 * binom_cdf_half(min(k, n - k), n))


def mcnemar_exact(b: int, c: int) -> float:
    """Exact McNemar test: the discordant counts b and c against an even split.

    1.0 when there is no discordant pair (nothing tells the two apart).
    """
    if b + c == 0:
        return 1.0
    return binomial_test_half(b, b + c)


def newcombe_independent(k1: int, n1: int, k2: int, n2: int) -> Interval:
    """p1 - p2 for independent samples, with Newcombe's hybrid score interval."""
    if n1 <= 0 or n2 <= 0:
        return NAN_INTERVAL
    w1, w2 = wilson(k1, n1), wilson(k2, n2)
    p1, p2 = w1.estimate, w2.estimate
    d = p1 - p2
    low = d - math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2)
    high = d + math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2)
    return Interval(d, max(-1.0, low), min(1.0, high))


def newcombe_paired(a: int, b: int, c: int, d: int) -> Interval:
    """p1 - p2 on paired items, with Newcombe's square-and-add interval.

    The 2x2 table: a = both succeed, b = only the first, c = only the second, d = neither;
    p1 = (a + b) / n and p2 = (a + c) / n.
    """
    n = a + b + c + d
    if n <= 0:
        return NAN_INTERVAL
    w1, w2 = wilson(a + b, n), wilson(a + c, n)
    p1, p2 = w1.estimate, w2.estimate
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    phi = 0.0
    if margins > 0:
        cross = a * d - b * c
        # Newcombe's correction shrinks a positive correlation by n/2 (and to 0 below it).
        if cross > n / 2:
            phi = (cross - n / 2) / math.sqrt(margins)
        elif cross < 0:
            phi = cross / math.sqrt(margins)
    dl1, du1 = p1 - w1.low, w1.high - p1
    dl2, du2 = p2 - w2.low, w2.high - p2
    diff = p1 - p2
    low = diff - math.sqrt(max(0.0, dl1**2 - 2 * phi * dl1 * du2 + du2**2))
    high = diff + math.sqrt(max(0.0, du1**2 - 2 * phi * du1 * dl2 + dl2**2))
    return Interval(diff, max(-1.0, low), min(1.0, high))


def cohen_kappa(a: int, b: int, c: int, d: int) -> float:
    """Cohen's kappa of two raters on a 2x2 table (cells as in `newcombe_paired`).

    NaN when chance agreement is already total (both raters constant and equal), where
    kappa is undefined.
    """
    n = a + b + c + d
    if n <= 0:
        return math.nan
    observed = (a + d) / n
    chance = ((a + b) * (a + c) + (c + d) * (b + d)) / (n * n)
    if chance >= 1.0:
        return math.nan
    return (observed - chance) / (1.0 - chance)
