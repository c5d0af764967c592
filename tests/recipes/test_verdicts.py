"""Intervals against independent definitions, and every verdict rule on both sides of its thresholds."""

import math

import numpy as np
import pytest

from policyscape.recipes import verdicts as v


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (9, 64), (500, 1000)])
def test_wilson_bounds_solve_the_score_equation(k, n):
    """Wilson's bounds are the p with (p̂ − p)² = z² p(1 − p)/n (or the ends of [0, 1] when p̂ is 0 or 1)."""
    i = v.wilson_interval(k, n)
    p_hat = k / n
    for p in (i.lo, i.hi):
        if p in (0.0, 1.0) and p == p_hat:
            continue
        assert (p_hat - p) ** 2 == pytest.approx(v.Z95**2 * p * (1 - p) / n, rel=1e-9, abs=1e-15)
    assert i.lo <= p_hat <= i.hi


def test_wilson_covers_about_95_percent():
    rng = np.random.default_rng(0)
    p, n = 0.3, 50
    hits = [v.wilson_interval(int(k), n) for k in rng.binomial(n, p, 4000)]
    coverage = np.mean([i.lo <= p <= i.hi for i in hits])
    assert 0.93 < coverage < 0.97


def test_newcombe_difference_matches_the_published_example():
    """Newcombe (1998), Statistics in Medicine 17:873, Table II example (56/70 vs 48/80): 0.0524 to 0.3339."""
    i = v.difference_interval((56, 70), (48, 80))
    assert i.estimate == pytest.approx(0.2)
    assert (i.lo, i.hi) == pytest.approx((0.0524, 0.3339), abs=5e-4)


def test_mean_interval_is_students_t():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    i = v.mean_interval(x)
    half = 3.182446305284263 * x.std(ddof=1) / 2  # t_{0.975, 3}
    assert (i.estimate, i.lo, i.hi) == pytest.approx((3.5, 3.5 - half, 3.5 + half))
    assert v.mean_interval([5.0]) == v.Interval(5.0, 5.0, 5.0)


def test_mean_difference_interval_is_welch():
    a, b = np.array([10.0, 12.0, 11.0, 13.0]), np.array([1.0, 3.0, 2.0])
    i = v.mean_difference_interval(a, b)
    va, vb = a.var(ddof=1) / 4, b.var(ddof=1) / 3
    dof = (va + vb) ** 2 / (va**2 / 3 + vb**2 / 2)
    from scipy import stats

    half = stats.t.ppf(0.975, dof) * math.sqrt(va + vb)
    assert (i.lo, i.hi) == pytest.approx((a.mean() - b.mean() - half, a.mean() - b.mean() + half))


@pytest.mark.parametrize("interval,expected", [
    (v.Interval(0.96, 0.951, 0.99), v.HOLDS),     # lower end just above holds_at
    (v.Interval(0.96, 0.949, 0.99), v.PARTLY),    # lower end just below
    (v.Interval(0.45, 0.40, 0.499), v.FAILS),     # upper end just below fails_below
    (v.Interval(0.45, 0.40, 0.501), v.PARTLY),    # upper end just above
])
def test_at_least(interval, expected):
    assert v.at_least(interval, holds_at=0.95, fails_below=0.5) == expected


@pytest.mark.parametrize("interval,expected", [
    (v.Interval(0.05, 0.0, 0.099), v.HOLDS),
    (v.Interval(0.05, 0.0, 0.101), v.PARTLY),
    (v.Interval(0.6, 0.501, 0.7), v.FAILS),
    (v.Interval(0.6, 0.499, 0.7), v.PARTLY),
])
def test_at_most(interval, expected):
    assert v.at_most(interval, holds_at=0.1, fails_above=0.5) == expected


@pytest.mark.parametrize("interval,expected", [
    (v.Interval(0.2, 1e-9, 0.4), v.HOLDS), (v.Interval(0.0, -1e-9, 0.4), v.PARTLY),
    (v.Interval(-0.2, -0.4, -1e-9), v.FAILS), (v.Interval(-0.2, -0.4, 1e-9), v.PARTLY),
])
def test_positive(interval, expected):
    assert v.positive(interval) == expected


def test_combine_and_exact():
    assert v.exact(True) == v.HOLDS and v.exact(False) == v.FAILS
    assert v.combine([v.HOLDS, v.HOLDS]) == v.HOLDS
    assert v.combine([v.FAILS, v.FAILS]) == v.FAILS
    assert v.combine([v.HOLDS, v.FAILS]) == v.PARTLY
    assert v.combine([v.HOLDS, v.NOT_RUN]) == v.HOLDS
    assert v.combine([v.NOT_RUN]) == v.NOT_RUN
    with pytest.raises(ValueError):
        v.combine(["maybe"])


def test_bad_thresholds_and_intervals_are_refused():
    with pytest.raises(ValueError):
        v.at_least(v.Interval(0.5, 0.4, 0.6), holds_at=0.3, fails_below=0.6)
    with pytest.raises(ValueError):
        v.Interval(0.5, 0.6, 0.7)
    with pytest.raises(ValueError):
        v.wilson_interval(5, 3)
