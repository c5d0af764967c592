"""What every objective shares: the batch-of-flat-θ contract and its input checks.

An objective maps ``thetas [B, n]`` to a dict of ``[B]`` arrays holding at least ``"value"``
(the quantity being maximized). Analyses only build batches of θ and hand them over.
"""

from __future__ import annotations

import numpy as np

from policyscape.errors import InputError


def as_theta_batch(thetas, num_params: int, what: str = "theta") -> np.ndarray:
    """Validate θ as ``[n]`` or ``[B, n]`` float64 with finite entries → ``[B, n]``."""
    arr = np.asarray(thetas, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != num_params:
        raise InputError(f"{what} must have length {num_params} (shape [n] or [B, n]), got shape {np.shape(thetas)}")
    bad = ~np.isfinite(arr)
    if np.any(bad):
        b, i = np.argwhere(bad)[0]
        raise InputError(f"{what} must be finite, got {arr[b, i]} at index {i}" + (f" of row {b}" if arr.shape[0] > 1 else ""))
    return arr
