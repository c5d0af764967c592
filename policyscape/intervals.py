"""Confidence intervals of measurements: Wilson score intervals for fractions, Newcombe's hybrid score
interval for a difference of two fractions, Student-t (Welch) intervals for means; 95% unless stated.

The one place intervals are computed: the analyses (``landscape``) summarize with them, and the recipes'
verdicts (``recipes.verdicts``, which re-exports them) turn them into holds / partly / does not hold.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Interval:
    """A point estimate with a confidence interval ``[lo, hi]`` (``lo ≤ estimate ≤ hi``)."""

    estimate: float
    lo: float
    hi: float

    def __post_init__(self) -> None:
        if not (self.lo <= self.estimate <= self.hi):
            raise ValueError(f"interval must satisfy lo <= estimate <= hi, got {self.lo}, {self.estimate}, {self.hi}")

    def format(self, fmt: str = ".3g", percent: bool = False) -> str:
        f = (lambda x: f"{100 * x:.1f}%") if percent else (lambda x: format(x, fmt))
        return f"{f(self.estimate)} [{f(self.lo)}, {f(self.hi)}]"


def wilson_interval(successes: int, trials: int, z: float = Z95) -> Interval:
    """Wilson score interval of a binomial fraction ``successes / trials`` (trials ≥ 1)."""
    if trials < 1 or not (0 <= successes <= trials):
        raise ValueError(f"need 0 <= successes <= trials and trials >= 1, got {successes}/{trials}")
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return Interval(p, max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half)))


def difference_interval(a: tuple[int, int], b: tuple[int, int], z: float = Z95) -> Interval:
    """Newcombe's hybrid score interval of ``p_a − p_b`` for fractions ``a = (k_a, n_a)``, ``b = (k_b, n_b)``."""
    ia, ib = wilson_interval(*a, z=z), wilson_interval(*b, z=z)
    d = ia.estimate - ib.estimate
    lo = d - math.sqrt((ia.estimate - ia.lo) ** 2 + (ib.hi - ib.estimate) ** 2)
    hi = d + math.sqrt((ia.hi - ia.estimate) ** 2 + (ib.estimate - ib.lo) ** 2)
    return Interval(d, lo, hi)


def mean_interval(values: Iterable[float], confidence: float = 0.95) -> Interval:
    """Student-t interval of the mean of ``values`` (one value: a zero-width interval)."""
    from scipy import stats

    x = np.asarray(list(values), dtype=float)
    if x.size == 0:
        raise ValueError("mean_interval needs at least one value")
    m = float(x.mean())
    if x.size == 1:
        return Interval(m, m, m)
    half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return Interval(m, m - half, m + half)


def mean_difference_interval(a: Iterable[float], b: Iterable[float], confidence: float = 0.95) -> Interval:
    """Welch interval of ``mean(a) − mean(b)``; with a single value on a side its variance counts as 0."""
    from scipy import stats

    x, y = np.asarray(list(a), dtype=float), np.asarray(list(b), dtype=float)
    d = float(x.mean() - y.mean())
    vx = x.var(ddof=1) / x.size if x.size > 1 else 0.0
    vy = y.var(ddof=1) / y.size if y.size > 1 else 0.0
    se = math.sqrt(vx + vy)
    if se == 0:
        return Interval(d, d, d)
    dof_terms = [v * v / (n - 1) for v, n in ((vx, x.size), (vy, y.size)) if n > 1 and v > 0]
    dof = (vx + vy) ** 2 / sum(dof_terms) if dof_terms else 1.0
    half = float(stats.t.ppf(0.5 + confidence / 2, max(dof, 1.0)) * se)
    return Interval(d, d - half, d + half)
