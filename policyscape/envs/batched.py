"""What the batched environment backends share (``mujoco_batch``, ``classic_batch``).

Protocol: ``reset(seeds [N]) → obs [N, …]`` (env i starts as Gymnasium's ``reset(seed=seeds[i])``);
``step(actions, active [N] bool) → (obs, reward, terminated, truncated)`` steps only the active
envs; inactive rows keep their last obs, reward 0, and their flags (sticky until ``reset``).
"""

from __future__ import annotations

import numpy as np

from policyscape.errors import InputError


def positive_int(value, name: str) -> int:
    """``value`` as an int >= 1 (bools refused), else an :class:`InputError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def active_env_ids(active, num_envs: int, done: np.ndarray) -> np.ndarray:
    """Validate the ``active`` mask (``None``: all) against finished episodes → indices of active envs."""
    active = np.ones(num_envs, dtype=bool) if active is None else np.asarray(active)
    if active.shape != (num_envs,) or active.dtype != bool:
        raise InputError(f"active must be a bool mask of shape ({num_envs},), got dtype {active.dtype} shape {active.shape}")
    if np.any(active & done):
        bad = np.flatnonzero(active & done)
        raise InputError(f"envs {bad[:10].tolist()} are active but their episodes have ended "
                         f"(terminated or truncated); reset(seeds) first or leave them inactive")
    return np.flatnonzero(active)
