"""The trajectory plane (Li et al. 2018, "Visualizing the loss landscape of neural nets", Section 7): the
plane through the final parameters that best holds a training trajectory.

With the trajectory θ_1 … θ_T and the centre c (its last point), the plane's directions are the two
leading principal directions of ``X = [θ_t − c]`` (right singular vectors of X), each of unit norm;
point t projects to ``(u_t, v_t) = (X d1, X d2)`` and lies ``r_t = ‖θ_t − c − u_t d1 − v_t d2‖`` off the
plane. ``explained`` holds ``s_1², s_2²`` over ``Σ s_i²`` (how much of the trajectory's spread the plane
holds). Directions are signed so that the trajectory's first point has u ≤ 0 and v ≤ 0 (training moves
towards +u, +v).

The plane's grid spans the projected trajectory plus ``margin`` of its extent on every side (and always
the centre, (0, 0)). Points, by index: grid row i (v) and column j (u) give point ``i · G + j`` (as
``landscape.plane``), then trajectory point t gives point ``G² + t``.
"""

from __future__ import annotations

import numpy as np

from policyscape.errors import InputError


def pca_plane(thetas: np.ndarray, center: np.ndarray) -> dict:
    """Directions [2, n], coordinates [T, 2], explained-variance ratios [2] and residuals [T] (module docstring)."""
    thetas = np.asarray(thetas, dtype=np.float64)
    if thetas.ndim != 2 or thetas.shape[0] < 3:
        raise InputError(f"a trajectory plane needs at least three parameter vectors [T, n], got shape {thetas.shape}")
    X = thetas - np.asarray(center, dtype=np.float64)[None, :]
    _, s, vt = np.linalg.svd(X, full_matrices=False)
    if s.size < 2 or s[1] <= 1e-12 * max(s[0], 1e-300):
        raise InputError("the trajectory spans fewer than two directions (its points lie on a line); a plane needs two")
    directions = vt[:2].copy()
    coords = X @ directions.T
    for k in range(2):
        if coords[0, k] > 0:
            directions[k], coords[:, k] = -directions[k], -coords[:, k]
    residual = np.linalg.norm(X - coords @ directions, axis=1)
    return {"directions": directions, "coords": coords, "explained": s[:2] ** 2 / np.sum(s**2), "residual": residual}


def grid_axes(coords: np.ndarray, grid: int, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """u and v axes [grid] covering the projected trajectory, the centre and ``margin`` of the extent either side."""
    if grid < 2:
        raise InputError(f"grid size must be >= 2, got {grid}")
    if not (np.isfinite(margin) and margin >= 0):
        raise InputError(f"margin must be finite and >= 0, got {margin}")
    axes = []
    for k in range(2):
        lo, hi = min(coords[:, k].min(), 0.0), max(coords[:, k].max(), 0.0)
        pad = margin * (hi - lo)
        axes.append(np.linspace(lo - pad, hi + pad, grid))
    return axes[0], axes[1]
