"""Linear interpolation between parameter vectors (Goodfellow et al. 2015).

``θ(α) = (1 − α) θ0 + α θ1`` for α on a grid, usually wider than [0, 1] (default −0.5 … 1.5).
With more than two anchors θ0, θ1, …, θK the path is piecewise linear and α runs over
``[lo, K − 1 + hi]``: segment k covers ``α ∈ [k, k + 1]`` (extrapolating before the first and
after the last anchor). The x-axis can be shown as distance, ``α · ‖θ1 − θ0‖`` (two anchors).

Points, by index: variant v (an objective variant: τ, mix, σ …) and grid index j give point
``v · J + j``.
"""

from __future__ import annotations

import math

import numpy as np

from policyscape.errors import InputError

DEFAULT_ALPHAS = "-0.5:1.5:81"


def parse_alphas(spec: str) -> np.ndarray:
    """``"start:stop:num"`` (inclusive, like ``numpy.linspace``) or ``"a,b,c"`` → α grid [J]."""
    spec = str(spec).strip()
    try:
        if ":" in spec:
            start, stop, num = spec.split(":")
            start, stop, n = float(start), float(stop), int(num)
        else:
            values = [float(x) for x in spec.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"expected α as start:stop:num (e.g. {DEFAULT_ALPHAS}) or a comma list, got {spec!r}") from None
    if ":" in spec and n < 1:
        raise InputError(f"the α range {spec!r} is empty; expected start:stop:num with num >= 1")
    grid = np.linspace(start, stop, n) if ":" in spec else np.array(values, dtype=np.float64)
    if grid.size == 0:
        raise InputError(f"the α range {spec!r} is empty")
    if not np.all(np.isfinite(grid)):
        raise InputError(f"α values must be finite, got {spec!r}")
    values, counts = np.unique(grid, return_counts=True)
    if np.any(counts > 1):
        raise InputError(f"α values must be distinct, got {values[counts > 1][0]:g} {counts.max()} times in {spec!r}; "
                         "each would be computed again")
    return grid


def path_thetas(anchors: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    """Piecewise-linear path through anchors [K+1, n] at α [J] → θ [J, n] (module docstring)."""
    anchors = np.asarray(anchors, dtype=np.float64)
    if anchors.ndim != 2 or anchors.shape[0] < 2:
        raise InputError(f"interpolation needs at least two parameter vectors, got {anchors.shape[0] if anchors.ndim == 2 else 0}")
    segments = anchors.shape[0] - 1
    seg = np.clip(np.floor(alphas), 0, segments - 1).astype(int)
    local = alphas - seg
    return (1 - local)[:, None] * anchors[seg] + local[:, None] * anchors[seg + 1]


def distance_axis(anchors: np.ndarray, alphas: np.ndarray) -> np.ndarray:
    """α scaled by ‖θ1 − θ0‖ (the first segment's length) → [J]."""
    return alphas * float(np.linalg.norm(anchors[1] - anchors[0]))


def parse_float_list(spec: str, what: str, lo: float = 0.0, hi: float = math.inf) -> tuple[float, ...]:
    """``"0,0.01,0.1"`` → (0.0, 0.01, 0.1), each within [lo, hi]."""
    try:
        values = tuple(float(x) for x in str(spec).split(",") if x.strip())
    except ValueError:
        raise InputError(f"expected {what} as a comma-separated list of numbers, got {spec!r}") from None
    if not values:
        raise InputError(f"expected at least one {what} value, got {spec!r}")
    for v in values:
        if not (math.isfinite(v) and lo <= v <= hi):
            raise InputError(f"{what} must be finite and within [{lo:g}, {hi:g}], got {v!r}")
    return values
