"""CleanRL ``.cleanrl_model`` files (vwxyzjn/cleanrl, checked against the scripts of April 2026).

* ``ppo_continuous_action.py`` saves ``torch.save(agent.state_dict())`` of its ``Agent``:
  ``actor_mean`` = Sequential(Linear(obs, 64), Tanh, Linear(64, 64), Tanh, Linear(64, act)) as
  ``actor_mean.{0,2,4}.{weight,bias}``, ``actor_logstd`` of shape [1, act] (state-independent
  log σ), and the critic. The script trains inside ``ClipAction`` (actions clipped to the
  bounds), ``NormalizeObservation`` (ε = 1e-8) and ``TransformObservation(clip ±10)``; those
  statistics are not in the file: pass them as frozen normalization (``--obs-norm``).
* ``td3_continuous_action.py`` / ``ddpg_continuous_action.py`` save a tuple of state dicts whose
  first is the actor: ``fc1``, ``fc2``, ``fc_mu`` (ReLU, ReLU, tanh) and the buffers
  ``action_scale``, ``action_bias`` (so ``a = tanh(μ)·scale + bias``, i.e. bounds
  ``bias ± scale``).
* ``td3_continuous_action_jax.py`` / ``ddpg_continuous_action_jax.py`` save
  ``flax.serialization.to_bytes([actor_params, qf1_params, …])``: a msgpack map ``{"0":
  {"params": {"Dense_0": {"kernel", "bias"}, "Dense_1", "Dense_2"}}, …}`` (kernels [in, out]).
  ``action_scale``/``action_bias`` are module attributes there, not parameters: the bounds come
  from the environment.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from policyscape.agents.flax_msgpack import read_flax
from policyscape.agents.spec import AgentSpec, Dense, ObsNormalization
from policyscape.agents.torch_zip import read_torch_bytes
from policyscape.errors import InputError

__all__ = ["load_cleanrl", "load_cleanrl_flax", "load_cleanrl_torch"]


def _bounds(action_low: Any, action_high: Any, n: int, what: str) -> tuple[np.ndarray | None, np.ndarray | None]:
    if action_low is None and action_high is None:
        return None, None
    if action_low is None or action_high is None:
        raise InputError(f"{what}: give both action bounds or neither")
    low = np.broadcast_to(np.asarray(action_low, dtype=np.float64), (n,)).copy()
    high = np.broadcast_to(np.asarray(action_high, dtype=np.float64), (n,)).copy()
    if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high)) and np.all(low < high)):
        raise InputError(f"{what}: action bounds must be finite with low < high")
    return low, high


def _linear_chain(state: dict, prefix: str, what: str) -> list[Dense]:
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.(weight|bias)$")
    found: dict[int, dict[str, np.ndarray]] = {}
    for key, value in state.items():
        match = pattern.match(key)
        if match:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = value
    indices = sorted(found)
    if not indices or indices != list(range(0, 2 * len(indices), 2)):
        raise InputError(f"{what}: {prefix}* has layers at {indices}; expected Linear layers at 0, 2, 4, …")
    return [Dense(found[i]["weight"], found[i].get("bias")) for i in indices]


def _ppo(state: dict, what: str, obs_norm, low, high) -> AgentSpec:
    layers = _linear_chain(state, "actor_mean.", what)
    log_std = state.get("actor_logstd")
    if log_std is None:
        raise InputError(f"{what}: the state dict has actor_mean but no actor_logstd")
    low, high = _bounds(low, high, layers[-1].n_out, what)
    return AgentSpec(source="cleanrl", algorithm="PPO (ppo_continuous_action)", path=what,
                     obs_shape=(layers[0].n_in,), layers=tuple(layers[:-1]), activation="tanh", mu=layers[-1],
                     log_std="parameter", log_std_param=log_std, action_transform="clip", action_low=low,
                     action_high=high, obs_norm=obs_norm,
                     notes=("trained with NormalizeObservation (ε = 1e-8, clip ±10): attach its statistics",)
                     if obs_norm is None else ())


def _td3(state: dict, what: str, obs_norm) -> AgentSpec:
    def dense(name: str) -> Dense:
        if f"{name}.weight" not in state:
            raise InputError(f"{what}: the actor state dict has no {name}.weight")
        return Dense(state[f"{name}.weight"], state.get(f"{name}.bias"))

    scale, bias = state.get("action_scale"), state.get("action_bias")
    if scale is None or bias is None:
        raise InputError(f"{what}: the TD3/DDPG actor has no action_scale/action_bias buffers")
    scale, bias = scale.astype(np.float64).reshape(-1), bias.astype(np.float64).reshape(-1)
    layers = [dense("fc1"), dense("fc2")]
    return AgentSpec(source="cleanrl", algorithm="TD3/DDPG (td3/ddpg_continuous_action)", path=what,
                     obs_shape=(layers[0].n_in,), layers=tuple(layers), activation="relu", mu=dense("fc_mu"),
                     log_std="none", squash=True, action_transform="rescale", action_low=bias - scale,
                     action_high=bias + scale, obs_norm=obs_norm,
                     notes=("bounds from the actor's action_scale/action_bias buffers",))


def load_cleanrl_torch(path: str | Path, obs_norm: ObsNormalization | None = None,
                       action_low: Any = None, action_high: Any = None) -> AgentSpec:
    """A torch ``.cleanrl_model``: the PPO ``Agent`` state dict, or TD3/DDPG's (actor, critics…) tuple."""
    what = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{what}: cannot read the file ({exc.strerror or exc})") from None
    obj = read_torch_bytes(data, what)
    if isinstance(obj, dict) and "actor_mean.0.weight" in obj:
        return _ppo(obj, what, obs_norm, action_low, action_high)
    if isinstance(obj, (tuple, list)) and obj and isinstance(obj[0], dict) and "fc_mu.weight" in obj[0]:
        return _td3(obj[0], what, obs_norm)
    keys = sorted(obj)[:4] if isinstance(obj, dict) else type(obj).__name__
    raise InputError(f"{what}: not a CleanRL continuous-action agent (found {keys}); expected the Agent of "
                     "ppo_continuous_action.py (actor_mean.*, actor_logstd) or a TD3/DDPG (actor, critic) tuple")


def _flax_actor(state: Any) -> dict | None:
    """The ``{"Dense_0": …}`` parameters of the actor in a CleanRL flax file, or None."""
    candidates = []
    if isinstance(state, dict):
        candidates.append(state.get("0"))
        if isinstance(state.get("1"), dict):  # older scripts saved [vars(args), [actor, qf1, …]]
            candidates.append(state["1"].get("0"))
    for candidate in candidates:
        if isinstance(candidate, dict) and isinstance(candidate.get("params"), dict) \
                and "Dense_0" in candidate["params"]:
            return candidate["params"]
    return None


def load_cleanrl_flax(path: str | Path, obs_norm: ObsNormalization | None = None,
                      action_low: Any = None, action_high: Any = None) -> AgentSpec:
    """The actor of CleanRL's TD3/DDPG JAX scripts (``flax.serialization.to_bytes``).

    The bounds are not in the file (they were module attributes): pass the environment's.
    """
    what = str(path)
    params = _flax_actor(read_flax(path))
    if params is None:
        raise InputError(f"{what}: not a CleanRL flax actor; expected {{'0': {{'params': {{'Dense_0': …}}}}, …}}")
    names = sorted((k for k in params if re.fullmatch(r"Dense_\d+", str(k))), key=lambda k: int(k.split("_")[1]))
    if names != [f"Dense_{i}" for i in range(len(names))] or len(names) != len(params) or len(names) < 1:
        raise InputError(f"{what}: the actor's modules are {sorted(params)}; expected Dense_0 … Dense_k only")
    layers = []
    for name in names:
        module = params[name]
        kernel = module.get("kernel") if isinstance(module, dict) else None
        if not isinstance(kernel, np.ndarray) or kernel.ndim != 2:
            raise InputError(f"{what}: {name}.kernel is missing or not a matrix")
        bias = module.get("bias")
        layers.append(Dense(np.ascontiguousarray(kernel.T), bias if isinstance(bias, np.ndarray) else None))
    low, high = _bounds(action_low, action_high, layers[-1].n_out, what)
    return AgentSpec(source="cleanrl (flax)", algorithm="TD3/DDPG (td3/ddpg_continuous_action_jax)", path=what,
                     obs_shape=(layers[0].n_in,), layers=tuple(layers[:-1]), activation="relu", mu=layers[-1],
                     log_std="none", squash=True, action_transform="rescale", action_low=low, action_high=high,
                     obs_norm=obs_norm)


def load_cleanrl(path: str | Path, obs_norm: ObsNormalization | None = None,
                 action_low: Any = None, action_high: Any = None) -> AgentSpec:
    """A ``.cleanrl_model`` of either kind, told apart by its first bytes (zip/pickle vs msgpack map)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if head[:4] == b"PK\x03\x04" or head[:1] == b"\x80":
        return load_cleanrl_torch(path, obs_norm, action_low, action_high)
    if head[:1] and (0x80 <= head[0] <= 0x8F or head[0] in (0xDE, 0xDF)):
        return load_cleanrl_flax(path, obs_norm, action_low, action_high)
    raise InputError(f"{path}: not a CleanRL model (neither a torch file nor a flax msgpack map)")
