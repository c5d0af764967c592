"""2-D planes through θ0: ``θ(u, v) = θ0 + u·d1 + v·d2`` on a G × G grid.

The spanning directions are either random (unit Gaussian or filter-normalized, from a seed;
the grid then spans ``[−r, r]²``) or towards two other parameter vectors B and C
(``d1 = B − θ0``, ``d2 = C − θ0``; the grid spans ``[lo, hi]²`` with default −0.5 … 1.5, so
(0, 0) is θ0, (1, 0) is B and (0, 1) is C).

Points, by index: grid row i (v) and column j (u) give point ``i · G + j``.
"""

from __future__ import annotations

import numpy as np

from policyscape.errors import InputError


def grid_axis(lo: float, hi: float, size: int) -> np.ndarray:
    if size < 2:
        raise InputError(f"grid size must be >= 2, got {size}")
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise InputError(f"grid range must satisfy lo < hi (finite), got {lo}, {hi}")
    return np.linspace(lo, hi, size)


def plane_thetas(theta0: np.ndarray, d1: np.ndarray, d2: np.ndarray, axis: np.ndarray, points: np.ndarray,
                 axis_v: np.ndarray | None = None) -> np.ndarray:
    """θ of the given point indices on the grid ``axis × axis`` (u × v; ``axis_v``: another v axis of the same
    size) → [len(points), n]."""
    axis_v = axis if axis_v is None else axis_v
    i, j = np.divmod(np.asarray(points), axis.size)
    return theta0[None, :] + axis[j][:, None] * d1[None, :] + axis_v[i][:, None] * d2[None, :]
