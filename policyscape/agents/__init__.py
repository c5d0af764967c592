"""Agents trained elsewhere, read as data ("bring your own agent").

Readers (numpy and the standard library only; every refusal is an
:class:`~policyscape.errors.InputError` naming the file and what was wrong or refused):

* :func:`~policyscape.agents.sb3.load_sb3`: Stable-Baselines3 / sb3-contrib ``.zip`` (PPO, A2C,
  TRPO, SAC, TQC, ARS MlpPolicy actors);
* :func:`~policyscape.agents.cleanrl.load_cleanrl`: CleanRL ``.cleanrl_model`` (torch PPO Agent,
  torch TD3/DDPG actor, flax TD3/DDPG actor);
* :func:`~policyscape.agents.normalization.load_obs_norm`: VecNormalize ``.pkl`` or ``.npz``
  statistics, frozen into the policy;
* :mod:`~policyscape.agents.torch_zip`: ``torch.save`` files through an allow-listed unpickler.

Each returns an :class:`~policyscape.agents.spec.AgentSpec`; :mod:`~policyscape.agents.spec`
holds its numpy reference forward pass and :func:`~policyscape.agents.spec.describe`.
An ``AgentSpec`` becomes a policy family through :class:`~policyscape.policies.agent.AgentPolicy`
(θ0 = the loaded weights), the sampled objective of its environment through
``objectives.registry.make_objective(..., agent=AgentRef.of(path, obs_norm))``, and the CLI's
``--at AGENT [--obs-norm FILE]`` and ``policyscape inspect``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from policyscape.agents.cleanrl import load_cleanrl
from policyscape.agents.normalization import load_obs_norm
from policyscape.agents.sb3 import load_sb3
from policyscape.agents.spec import (AgentSpec, Dense, ObsNormalization, describe, deterministic_action, log_std,
                                     mean_action)
from policyscape.errors import InputError

__all__ = ["AgentSpec", "Dense", "ObsNormalization", "describe", "deterministic_action", "load_agent",
           "load_cleanrl", "load_obs_norm", "load_sb3", "log_std", "mean_action"]


def _is_sb3_zip(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
    return "data" in names and "policy.pth" in names


def load_agent(path: str | Path, obs_norm: str | Path | ObsNormalization | None = None,
               algorithm: str | None = None, action_low: Any = None, action_high: Any = None) -> AgentSpec:
    """Read an agent file of any supported kind, with optional frozen observation normalization.

    ``obs_norm`` is a path (VecNormalize ``.pkl`` or ``.npz``) or already loaded statistics;
    ``algorithm`` overrides the SB3 algorithm name; ``action_low``/``action_high`` give the
    bounds of CleanRL agents whose files do not record them.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such agent file")
    norm = obs_norm if isinstance(obs_norm, ObsNormalization) or obs_norm is None else load_obs_norm(obs_norm)
    if path.suffix == ".cleanrl_model" or not _is_sb3_zip(path):
        if path.suffix == ".zip":
            raise InputError(f"{path}: not a Stable-Baselines3 model (expected a zip with data and policy.pth)")
        if algorithm is not None:
            raise InputError(f"{path}: algorithm={algorithm!r} applies to Stable-Baselines3 files only")
        return load_cleanrl(path, norm, action_low, action_high)
    if action_low is not None or action_high is not None:
        raise InputError(f"{path}: a Stable-Baselines3 file records its action bounds; do not pass them")
    return load_sb3(path, algorithm, norm)
