"""Paired random perturbations (Ahmed et al. 2019, Section 2.2).

For unit directions ``d_i`` and step sizes α, with a maximized objective O::

    Δ+ = O(θ0 + α d) − O(θ0),    Δ− = O(θ0 − α d) − O(θ0)

Under the local quadratic model ``O(θ0 + x) ≈ O(θ0) + gᵀx + ½ xᵀHx``::

    gradient  = (Δ+ − Δ−) / (2α)  ≈ gᵀd           (directional derivative)
    curvature = (Δ+ + Δ−) / α²    ≈ dᵀHd          (exact for a quadratic)
    gradient_axis  = (Δ+ − Δ−) / √2               (the paper's projection on x = −y)
    curvature_axis = (Δ+ + Δ−) / √2               (the paper's projection on x = y)

Classes (``tol`` = the larger of 2 noise standard deviations of O(θ0) and the flat tolerance;
a Δ within ±tol of zero is "not significant"):

    flat                both |Δ+|, |Δ−| <= tol
    local maximum       otherwise, if neither Δ is significantly positive (max(Δ+, Δ−) <= tol)
    convex              otherwise, if neither Δ is significantly negative (min(Δ+, Δ−) >= −tol)
    gradient-dominated  otherwise: one side significantly up, the other significantly down

A direction whose Δ+ or Δ− is not finite (NaN/inf: an overflow, an unstable simulation) is never
classified or averaged: its class is ``"non-finite"``, and the summary counts such directions per α
(``nonfinite_directions``); fractions and means are over the finite directions only.

*Curvature of the direction of most improvement*: the curvature estimate of the direction
whose Δ+ is at the 90th percentile of all Δ+ (for each α).

Points evaluated, by index: 0 is θ0; then for α index a, direction i and sign s (0: +, 1: −)
the point ``1 + 2·N·a + 2·i + s`` is ``θ0 ± α d_i``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from policyscape.errors import InputError

CLASSES = ("local maximum", "convex", "gradient-dominated", "flat")
#: The label of a direction whose Δ+ or Δ− is NaN/inf: never one of :data:`CLASSES`.
NONFINITE = "non-finite"
FLAT_TOLERANCE = 1e-6


def check_alphas(alphas) -> tuple[float, ...]:
    alphas = tuple(float(a) for a in alphas)
    if not alphas:
        raise InputError("expected at least one step size α, got none")
    if len(set(alphas)) != len(alphas):
        dup = next(a for a in alphas if alphas.count(a) > 1)
        raise InputError(f"step sizes α must be distinct, got {dup!r} {alphas.count(dup)} times; each would be "
                         "computed again")
    for a in alphas:
        if not (math.isfinite(a) and a > 0):
            raise InputError(f"step size α must be a finite number > 0, got {a!r}")
        if not math.isfinite(a * a):
            raise InputError(f"step size α = {a!r} is too large: the curvature (Δ+ + Δ−)/α² needs a finite α², "
                             f"expected α < 1e154")
    return alphas


def perturbation_thetas(theta0: np.ndarray, directions: np.ndarray, alphas: tuple[float, ...], points: np.ndarray) -> np.ndarray:
    """θ of the given point indices (layout in the module docstring) → [len(points), n]."""
    N = directions.shape[0]
    points = np.asarray(points)
    k = np.maximum(points - 1, 0)
    a, rest = np.divmod(k, 2 * N)
    i, s = np.divmod(rest, 2)
    step = np.asarray(alphas)[a] * np.where(s == 0, 1.0, -1.0) * (points > 0)
    return theta0[None, :] + step[:, None] * directions[i]


def num_points(num_directions: int, num_alphas: int) -> int:
    return 1 + 2 * num_directions * num_alphas


def paired_deltas(values: np.ndarray, num_directions: int, num_alphas: int) -> tuple[np.ndarray, np.ndarray]:
    """Point values [1 + 2·N·A] → (Δ+ [A, N], Δ− [A, N])."""
    pairs = values[1:].reshape(num_alphas, num_directions, 2) - values[0]
    return pairs[..., 0], pairs[..., 1]


def projections(delta_plus: np.ndarray, delta_minus: np.ndarray, alpha: float | np.ndarray) -> dict[str, np.ndarray]:
    """Calibrated estimates and the paper's axis projections (module docstring)."""
    alpha = np.asarray(alpha, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is a non-finite estimate, labelled as such
        return _projections(delta_plus, delta_minus, alpha)


def _projections(delta_plus: np.ndarray, delta_minus: np.ndarray, alpha: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "gradient": (delta_plus - delta_minus) / (2 * alpha),
        "curvature": (delta_plus + delta_minus) / alpha**2,
        "gradient_axis": (delta_plus - delta_minus) / np.sqrt(2),
        "curvature_axis": (delta_plus + delta_minus) / np.sqrt(2),
    }


def classify(delta_plus: np.ndarray, delta_minus: np.ndarray, tol: float) -> np.ndarray:
    """Class of every direction (rule in the module docstring) → array of class names."""
    hi = np.maximum(delta_plus, delta_minus)
    lo = np.minimum(delta_plus, delta_minus)
    flat = np.maximum(np.abs(hi), np.abs(lo)) <= tol
    local_max = ~flat & (hi <= tol)
    convex = ~flat & ~local_max & (lo >= -tol)
    labels = np.full(delta_plus.shape, "gradient-dominated", dtype=object)
    labels[convex] = "convex"
    labels[local_max] = "local maximum"
    labels[flat] = "flat"
    labels[~(np.isfinite(delta_plus) & np.isfinite(delta_minus))] = NONFINITE
    return labels


def class_fractions(labels: np.ndarray) -> dict[str, float]:
    """Fraction of each class among the classified (finite) directions; 0 for all when none is finite."""
    finite = labels != NONFINITE
    if not finite.any():
        return {c: 0.0 for c in CLASSES}
    return {c: float(np.mean(labels[finite] == c)) for c in CLASSES}


def most_improvement_curvature(delta_plus: np.ndarray, curvature: np.ndarray, percentile: float = 90.0) -> tuple[float, int]:
    """(curvature, direction index) of the direction whose Δ+ sits at the given percentile, among the
    directions with finite Δ+ and curvature; (nan, -1) when there is none."""
    finite = np.flatnonzero(np.isfinite(delta_plus) & np.isfinite(curvature))
    if finite.size == 0:
        return math.nan, -1
    if finite.size < len(delta_plus):
        curv, k = most_improvement_curvature(delta_plus[finite], curvature[finite], percentile)
        return curv, int(finite[k])
    order = np.argsort(delta_plus, kind="stable")
    index = int(order[int(round(percentile / 100.0 * (len(order) - 1)))])
    return float(curvature[index]), index


def significance_tolerance(noise_std: float, value0: float, flat_tolerance: float = FLAT_TOLERANCE) -> float:
    """``max(2·noise_std, flat_tolerance · max(1, |O(θ0)|))``: below it a Δ is not significant."""
    return max(2.0 * noise_std, flat_tolerance * max(1.0, abs(value0)))


@dataclass(frozen=True)
class PerturbConfig:
    """Paired random perturbations around one θ0."""

    alphas: tuple[float, ...] = (0.1,)
    """Step sizes α (several allowed)."""
    directions: int = 1000
    """Number of random directions N."""
    seed: int = 0
    """Seed of the directions (direction i depends only on (seed, i))."""
    normalization: str = "unit"
    """'unit': unit-norm Gaussian (the paper); 'filter': filter-normalized (Li et al. 2018)."""
    flat_tolerance: float = FLAT_TOLERANCE
    """|Δ| below flat_tolerance·max(1, |O(θ0)|) is not significant (exact objectives)."""
    chunk_size: int = 1024
    """Points per evaluated batch (and per resumable chunk)."""
    noise_evaluations: int = 16
    """Re-evaluations of O(θ0) with fresh seeds that measure the noise of sampled objectives."""

    def validate(self) -> None:
        check_alphas(self.alphas)
        if self.directions < 1:
            raise InputError(f"number of directions must be >= 1, got {self.directions}")
        if self.normalization not in ("unit", "filter"):
            raise InputError(f"normalization must be 'unit' or 'filter', got {self.normalization!r}")
        if not (math.isfinite(self.flat_tolerance) and self.flat_tolerance >= 0):
            raise InputError(f"flat tolerance must be a finite number >= 0, got {self.flat_tolerance!r}")
        if self.chunk_size < 1:
            raise InputError(f"chunk size must be >= 1, got {self.chunk_size}")
        if self.noise_evaluations < 0:
            raise InputError(f"noise evaluations must be >= 0, got {self.noise_evaluations}")

    def to_dict(self) -> dict:
        return asdict(self)


def analyse(values: np.ndarray, alphas: tuple[float, ...], num_directions: int, noise_std: float = 0.0,
            flat_tolerance: float = FLAT_TOLERANCE) -> tuple[dict[str, np.ndarray], dict]:
    """Point values → (per-(α, direction) table, summary). Table rows are α-major."""
    if not np.isfinite(values[0]):
        raise InputError(f"the objective at θ0 is not finite ({values[0]!r}); no perturbation can be classified there")
    dp, dm = paired_deltas(values, num_directions, len(alphas))
    tol = significance_tolerance(noise_std, float(values[0]), flat_tolerance)
    alpha_col = np.repeat(np.asarray(alphas), num_directions).reshape(len(alphas), num_directions)
    proj = projections(dp, dm, alpha_col)
    labels = classify(dp, dm, tol)
    table = {
        "direction": np.tile(np.arange(num_directions), len(alphas)),
        "alpha": alpha_col.ravel(),
        "delta_plus": dp.ravel(),
        "delta_minus": dm.ravel(),
        **{k: v.ravel() for k, v in proj.items()},
        "class": labels.ravel(),
    }
    per_alpha = []
    for a, alpha in enumerate(alphas):
        curv, idx = most_improvement_curvature(dp[a], proj["curvature"][a])
        ok = labels[a] != NONFINITE
        per_alpha.append({
            "alpha": alpha,
            "fractions": class_fractions(labels[a]),
            "most_improvement_curvature": curv,
            "most_improvement_direction": idx,
            "mean_curvature": float(proj["curvature"][a][ok].mean()) if ok.any() else math.nan,
            "fraction_significant_negative_curvature": float(np.mean((dp[a] + dm[a])[ok] < -2 * tol)) if ok.any() else math.nan,
            "max_delta_plus": float(dp[a][ok].max()) if ok.any() else math.nan,
            "nonfinite_directions": int((~ok).sum()),
            "classified_directions": int(ok.sum()),
        })
    summary = {
        "value_at_theta0": float(values[0]),
        "noise_std": noise_std,
        "significance_tolerance": tol,
        "fractions": per_alpha[0]["fractions"] if len(alphas) == 1 else {str(p["alpha"]): p["fractions"] for p in per_alpha},
        "most_improvement_curvature": per_alpha[0]["most_improvement_curvature"] if len(alphas) == 1 else {
            str(p["alpha"]): p["most_improvement_curvature"] for p in per_alpha},
        "per_alpha": per_alpha,
        "nonfinite_directions": int(sum(p["nonfinite_directions"] for p in per_alpha)),
    }
    return table, summary


def table_rows(table: dict[str, np.ndarray]) -> tuple[list[str], list[list]]:
    header = list(table)
    return header, [list(row) for row in zip(*table.values())]


__all__ = [
    "CLASSES",
    "NONFINITE",
    "PerturbConfig",
    "analyse",
    "check_alphas",
    "classify",
    "most_improvement_curvature",
    "num_points",
    "paired_deltas",
    "perturbation_thetas",
    "projections",
    "significance_tolerance",
    "table_rows",
]
