"""Random directions in parameter space, reproducible from a seed.

Direction ``i`` is row ``i mod 64`` of a block of 64 Gaussian vectors drawn from
``SeedSequence(seed, spawn_key=(i // 64,))``, so it depends only on the run seed and its
own index: asking for more directions extends a set, and any worker can rebuild any
direction (blocks only save generator set-ups). Directions are saved with every run
(``directions.npy``).

- ``gaussian_directions``: ``d ~ N(0, I)`` normalized to unit length (the paper).
- ``filter_normalized``: Li et al. (2018): within each parameter group (a "filter": for the
  tabular softmax, the weights of one action; the bias is its own group) the direction is
  rescaled to the norm of θ in that group, ``d_g ← d_g · ‖θ_g‖ / ‖d_g‖``, so that α measures
  a relative change of every filter. Groups where θ is zero are left at zero.
"""

from __future__ import annotations

import numpy as np

from policyscape.errors import InputError


BLOCK = 64


def gaussian_directions(num_params: int, num_directions: int, seed: int, first: int = 0) -> np.ndarray:
    """Unit-norm Gaussian directions ``first … first + num_directions − 1`` → [num_directions, n]."""
    if num_directions < 1:
        raise InputError(f"number of directions must be >= 1, got {num_directions}")
    if seed < 0:
        raise InputError(f"seed must be an integer >= 0, got {seed}")
    last = first + num_directions
    blocks = [
        np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(b,))).standard_normal((BLOCK, num_params))
        for b in range(first // BLOCK, (last - 1) // BLOCK + 1)
    ]
    d = np.concatenate(blocks)[first - (first // BLOCK) * BLOCK :][:num_directions]
    return d / np.linalg.norm(d, axis=1, keepdims=True)


def filter_normalized(directions: np.ndarray, theta: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """Rescale each group of each direction to θ's norm in that group (Li et al. 2018) → [N, n]."""
    directions = np.array(directions, dtype=np.float64)
    covered = np.concatenate(groups) if groups else np.zeros(0, dtype=int)
    if np.sort(covered).tolist() != list(range(directions.shape[1])):
        raise InputError("parameter groups must partition the parameter indices 0 … n − 1")
    for g in groups:
        d_norm = np.linalg.norm(directions[:, g], axis=1, keepdims=True)
        scale = np.linalg.norm(theta[g]) / np.where(d_norm > 0, d_norm, 1.0)
        directions[:, g] *= scale
    return directions


def check_directions(directions: np.ndarray, num_params: int, source: str = "directions") -> np.ndarray:
    """Validate a loaded direction matrix: ``[N, n]``, finite, no zero rows."""
    d = np.asarray(directions, dtype=np.float64)
    if d.ndim != 2 or d.shape[1] != num_params or d.shape[0] < 1:
        raise InputError(f"{source} must have shape [N, {num_params}] with N >= 1, got shape {d.shape}")
    if not np.all(np.isfinite(d)):
        raise InputError(f"{source} must be finite")
    if np.any(np.linalg.norm(d, axis=1) == 0):
        raise InputError(f"{source} has a zero row; every direction must be non-zero")
    return d
