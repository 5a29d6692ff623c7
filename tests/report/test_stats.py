"""The report's statistics at values computed by hand (or published with the method)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from engine.scoring import Accuracy, accuracy_ci, self_preference
from engine.stats import (
    Z95,
    binom_cdf_half,
    binomial_test_half,
    cohen_kappa,
    mcnemar_exact,
    newcombe_independent,
    newcombe_paired,
    wilson,
)


def test_wilson_at_n4_edges_keeps_a_real_width() -> None:
    # 0/4: centre = (z²/2)/(4 + z²) and half-width the same, so [0, z²/(4 + z²)].
    z2 = Z95**2
    zero = wilson(0, 4)
    assert (zero.estimate, zero.low) == (0.0, 0.0)
    assert zero.high == pytest.approx(z2 / (4 + z2), abs=1e-12) == pytest.approx(0.489891, abs=1e-6)
    full = wilson(4, 4)
    assert (full.estimate, full.high) == (1.0, 1.0)
    assert full.low == pytest.approx(4 / (4 + z2), abs=1e-12) == pytest.approx(0.510109, abs=1e-6)
    # and in the report's percent: 0% at n=4 is "0.0 [0.0, 49.0]", not "[0.0, 0.0]"
    a = accuracy_ci([False] * 4)
    assert (a.accuracy, a.ci_low, round(a.ci_high, 1)) == (0.0, 0.0, 49.0)
    b = Accuracy.of(4, 4)
    assert (b.accuracy, round(b.ci_low, 1), b.ci_high) == (100.0, 51.0, 100.0)


def test_wilson_interior_and_empty() -> None:
    w = wilson(2, 4)  # symmetric about 0.5: 0.5 ± z·sqrt(1/16 + z²/64)/(1 + z²/4)
    half = Z95 * math.sqrt(1 / 16 + Z95**2 / 64) / (1 + Z95**2 / 4)
    assert w.low == pytest.approx(0.5 - half) and w.high == pytest.approx(0.5 + half)
    assert all(math.isnan(x) for x in (wilson(0, 0).estimate, wilson(0, 0).low))
    with pytest.raises(ValueError):
        wilson(5, 4)


def test_exact_binomial_tails() -> None:
    # Binomial(6, 1/2): P(X <= 1) = (1 + 6) / 64
    assert binom_cdf_half(1, 6) == 7 / 64
    assert binomial_test_half(1, 6) == 14 / 64
    assert binomial_test_half(3, 6) == 1.0
    assert binomial_test_half(0, 10) == 2 / 1024
    assert math.isnan(binomial_test_half(0, 0))
    # past the exact-integer limit the log-space sum agrees with exact fractions
    n, k = 5000, 2400
    exact = Fraction(sum(math.comb(n, i) for i in range(k + 1)), 2**n)
    assert binom_cdf_half(k, n) == pytest.approx(float(exact), rel=1e-9)
    # by symmetry P(X <= n - k - 1) = 1 - P(X <= k)
    assert binom_cdf_half(n - k - 1, n) == pytest.approx(1 - float(exact), rel=1e-9)


def test_mcnemar_on_a_hand_table() -> None:
    # Judges a and b on 10 pairs: both right 3, only a 1, only b 5, neither 1.
    # Exact test on the 6 discordant pairs: 2 · P(X <= 1 | n=6) = 2 · 7/64.
    assert mcnemar_exact(1, 5) == 14 / 64 == mcnemar_exact(5, 1)
    assert mcnemar_exact(0, 0) == 1.0
    # Fagerland et al.'s worked example (Cavo 2012: b = 6, c = 16): P = 0.052479
    assert mcnemar_exact(6, 16) == pytest.approx(0.052479, abs=1e-6)


def test_newcombe_paired_matches_the_published_example() -> None:
    # Cavo et al. 2012, as worked by Fagerland, Lydersen & Laake: [[59, 6], [16, 80]]
    # -> difference -0.0621, Newcombe square-and-add 95% CI (-0.1186, -0.0046).
    d = newcombe_paired(59, 6, 16, 80)
    assert round(d.estimate, 4) == -0.0621
    assert (round(d.low, 4), round(d.high, 4)) == (-0.1186, -0.0046)
    # an all-agreeing table has a zero difference with a real width around it
    same = newcombe_paired(4, 0, 0, 0)
    assert same.estimate == 0.0 and same.low < 0 < same.high


def test_newcombe_independent_matches_newcombes_examples() -> None:
    # Newcombe (1998), method 10: 56/70 - 48/80 -> (0.0524, 0.3339); 9/10 - 3/10 -> (0.1705, 0.8090)
    a = newcombe_independent(56, 70, 48, 80)
    assert (round(a.low, 4), round(a.high, 4)) == (0.0524, 0.3339)
    b = newcombe_independent(9, 10, 3, 10)
    assert (round(b.low, 4), round(b.high, 4)) == (0.1705, 0.8090)
    assert math.isnan(newcombe_independent(1, 0, 1, 2).estimate)


def test_cohen_kappa_by_hand() -> None:
    # a=3, b=1, c=5, d=1 (n=10): po = 0.4; pe = (4·8 + 6·2)/100 = 0.44;
    # kappa = (0.4 - 0.44) / 0.56 = -1/14
    assert cohen_kappa(3, 1, 5, 1) == pytest.approx(-1 / 14)
    # a=20, b=5, c=10, d=15: po = 0.7; pe = (25·30 + 25·20)/2500 = 0.5; kappa = 0.4
    assert cohen_kappa(20, 5, 10, 15) == pytest.approx(0.4)
    assert cohen_kappa(5, 0, 0, 5) == 1.0
    assert math.isnan(cohen_kappa(4, 0, 0, 0))  # both always right: chance agreement is 1


def test_self_preference_difference() -> None:
    # own family (openai) 3/4 right, others 1/4: +50 points, Newcombe's interval around it
    items = [("openai", h) for h in (True, True, True, False)]
    items += [("anthropic", h) for h in (True, False, False, False)]
    items.append((None, False))  # an unknown family counts with the others
    sp = self_preference("openai", items)
    assert sp is not None
    assert (sp.own.correct, sp.own.n, sp.others.correct, sp.others.n) == (3, 4, 1, 5)
    assert sp.difference.estimate == pytest.approx(100 * (3 / 4 - 1 / 5))
    ref = newcombe_independent(3, 4, 1, 5)
    assert sp.difference.low == pytest.approx(100 * ref.low)
    assert sp.difference.high == pytest.approx(100 * ref.high)
    assert sp.difference.low < 0 < sp.difference.high  # 4 + 5 pairs prove nothing
    assert self_preference(None, items) is None  # judge family unknown
    assert self_preference("openai", [("openai", True)]) is None  # no others to compare
