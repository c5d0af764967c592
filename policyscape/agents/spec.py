"""What a loaded agent is, as plain arrays: the description every reader returns.

An :class:`AgentSpec` is the actor of a trained agent in forward order, independent of the
library that trained it:

    o' = clip((o − mean) / √(var + ε), −c, c)            (frozen observation normalization, optional)
    h  = act(W_k … act(W_1 o' + b_1) … + b_k)            (hidden layers, one activation)
    μ  = W_μ h + b_μ                                       (clipped to ±mean_clip if set: SAC/TQC gSDE)
    log σ: a vector (``log_std="parameter"``: PPO/A2C/TRPO, CleanRL),
           a layer clamped to [−20, 2] (``"layer"``: SAC/TQC),
           ½ log((h²) · σ_W² + ε) with σ_W = exp(log_std) (``"gsde"``: gSDE),
           none (``"none"``: deterministic ARS/TD3 actors)
    a  = tanh(μ) if ``squash`` else μ, then rescaled from [−1, 1] to [low, high]
         (``action_transform="rescale"``) or clipped to [low, high] (``"clip"``).

:func:`mean_action`, :func:`log_std` and :func:`deterministic_action` are the numpy reference
forward pass (float64; batched over a leading axis of observations), and :func:`describe` is
the text ``policyscape inspect`` prints.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

from policyscape.errors import InputError

__all__ = ["ACTIVATIONS", "AgentSpec", "Dense", "ObsNormalization", "describe", "deterministic_action",
           "hidden", "log_std", "mean_action", "normalize"]


def _leaky_relu(x: np.ndarray) -> np.ndarray:
    return np.where(x >= 0, x, 0.01 * x)


#: Activation name -> numpy function (torch's defaults: LeakyReLU slope 0.01, ELU α = 1).
ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "leaky_relu": _leaky_relu,
    "sigmoid": lambda x: 0.5 * (1.0 + np.tanh(0.5 * x)),  # = 1/(1 + e^−x), without overflow warnings
    "silu": lambda x: x * 0.5 * (1.0 + np.tanh(0.5 * x)),
    "softplus": lambda x: np.logaddexp(0.0, x),
    "identity": lambda x: x,
}


@dataclasses.dataclass(frozen=True, eq=False)
class Dense:
    """A fully connected layer ``y = W x + b`` with ``W`` of shape ``[out, in]`` (torch's layout)."""

    weight: np.ndarray
    bias: np.ndarray | None

    def __post_init__(self) -> None:
        if self.weight.ndim != 2:
            raise InputError(f"a dense layer's weight has shape {self.weight.shape}; expected [out, in]")
        if self.bias is not None and self.bias.shape != (self.weight.shape[0],):
            raise InputError(f"a dense layer's bias has shape {self.bias.shape}; expected ({self.weight.shape[0]},)")

    @property
    def n_in(self) -> int:
        return int(self.weight.shape[1])

    @property
    def n_out(self) -> int:
        return int(self.weight.shape[0])

    @property
    def num_params(self) -> int:
        return int(self.weight.size + (0 if self.bias is None else self.bias.size))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        y = x @ self.weight.astype(np.float64).T
        return y if self.bias is None else y + self.bias.astype(np.float64)


@dataclasses.dataclass(frozen=True, eq=False)
class ObsNormalization:
    """Frozen observation statistics, applied as SB3's ``VecNormalize._normalize_obs`` does:
    ``clip((o − mean) / √(var + epsilon), −clip, clip)``."""

    mean: np.ndarray
    var: np.ndarray
    clip: float
    epsilon: float
    source: str = ""
    count: float | None = None

    def __post_init__(self) -> None:
        if self.mean.shape != self.var.shape:
            raise InputError(f"{self.source or 'normalization'}: mean has shape {self.mean.shape} but var has "
                             f"{self.var.shape}; expected equal shapes")
        if not (np.all(np.isfinite(self.mean)) and np.all(np.isfinite(self.var)) and np.all(self.var >= 0)):
            raise InputError(f"{self.source or 'normalization'}: mean and var must be finite and var ≥ 0")
        if not (self.clip > 0 and self.epsilon >= 0):
            raise InputError(f"{self.source or 'normalization'}: clip = {self.clip}, epsilon = {self.epsilon}; "
                             "expected clip > 0 and epsilon ≥ 0")


Head = Literal["parameter", "layer", "gsde", "none"]


@dataclasses.dataclass(frozen=True, eq=False)
class AgentSpec:
    """The actor of an agent trained elsewhere (see the module docstring for the forward pass)."""

    source: str                    # "stable-baselines3", "sb3-contrib", "cleanrl", "cleanrl (flax)"
    algorithm: str                 # "PPO", "A2C", "TRPO", "SAC", "TQC", "ARS", "CleanRL PPO", ...
    path: str
    obs_shape: tuple[int, ...]
    layers: tuple[Dense, ...]      # hidden layers, each followed by the activation
    activation: str
    mu: Dense
    log_std: Head
    log_std_param: np.ndarray | None = None   # "parameter": [act_dim] (or [1, act_dim]); "gsde": [latent, act|1]
    log_std_layer: Dense | None = None        # "layer"
    log_std_bounds: tuple[float, float] | None = None   # clamp of a "layer" head (SB3: (−20, 2))
    gsde_expln: bool = False                  # gSDE std via expln instead of exp
    gsde_epsilon: float = 1e-6
    mean_clip: float | None = None            # Hardtanh(±mean_clip) after μ (SAC/TQC with gSDE)
    squash: bool = False                      # tanh on the mean
    action_transform: Literal["rescale", "clip", "none"] = "clip"
    action_low: np.ndarray | None = None
    action_high: np.ndarray | None = None
    obs_norm: ObsNormalization | None = None
    notes: tuple[str, ...] = ()               # what the reader found worth saying (versions, defaults used)

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise InputError(f"{self.path}: activation {self.activation!r} is not supported; "
                             f"expected one of {sorted(ACTIVATIONS)}")
        width = int(np.prod(self.obs_shape)) if self.obs_shape else None
        for i, layer in enumerate((*self.layers, self.mu)):
            expected = width if i == 0 else (self.layers[i - 1].n_out)
            if expected is not None and layer.n_in != expected:
                raise InputError(f"{self.path}: layer {i} takes {layer.n_in} inputs but gets {expected}")
        if self.log_std == "parameter" and (self.log_std_param is None
                                            or self.log_std_param.size != self.mu.n_out):
            raise InputError(f"{self.path}: log_std must hold one value per action ({self.mu.n_out})")
        if self.log_std == "layer" and (self.log_std_layer is None or self.log_std_layer.n_out != self.mu.n_out
                                        or self.log_std_layer.n_in != self.mu.n_in):
            raise InputError(f"{self.path}: the log_std layer must map the latent ({self.mu.n_in}) to the actions "
                             f"({self.mu.n_out})")
        if self.log_std == "gsde" and (self.log_std_param is None or self.log_std_param.ndim != 2
                                       or self.log_std_param.shape[0] != self.mu.n_in
                                       or self.log_std_param.shape[1] not in (1, self.mu.n_out)):
            raise InputError(f"{self.path}: the gSDE log_std must have shape [{self.mu.n_in}, {self.mu.n_out} or 1]")
        for name in ("action_low", "action_high"):
            bound = getattr(self, name)
            if bound is not None and bound.shape != (self.mu.n_out,):
                raise InputError(f"{self.path}: {name} has shape {bound.shape}; expected ({self.mu.n_out},)")
        if self.obs_norm is not None and width is not None and self.obs_norm.mean.size != width:
            raise InputError(f"{self.obs_norm.source or self.path}: normalization statistics have shape "
                             f"{self.obs_norm.mean.shape} but the agent's observations have shape {self.obs_shape}")

    @property
    def obs_dim(self) -> int:
        return (self.layers[0] if self.layers else self.mu).n_in

    @property
    def action_dim(self) -> int:
        return self.mu.n_out

    @property
    def num_params(self) -> int:
        """Parameters of the actor (hidden layers, mean head, log σ head or vector)."""
        n = sum(layer.num_params for layer in self.layers) + self.mu.num_params
        if self.log_std_layer is not None:
            n += self.log_std_layer.num_params
        if self.log_std_param is not None:
            n += int(self.log_std_param.size)
        return n

    def with_obs_norm(self, obs_norm: ObsNormalization | None) -> "AgentSpec":
        """The same agent with frozen observation normalization (re-checked against the shapes)."""
        return dataclasses.replace(self, obs_norm=obs_norm)


# ------------------------------------------------------------------ numpy reference forward pass


def _obs_batch(spec: AgentSpec, obs: np.ndarray) -> np.ndarray:
    """Observations ``[..., *obs_shape]`` (or ``[..., obs_dim]``) as float64 ``[..., obs_dim]``."""
    obs = np.asarray(obs, dtype=np.float64)
    k = len(spec.obs_shape)
    if k and obs.shape[obs.ndim - k:] == tuple(spec.obs_shape):
        lead = obs.shape[: obs.ndim - k]
    elif obs.shape[-1:] == (spec.obs_dim,):
        lead = obs.shape[:-1]
    else:
        raise InputError(f"observations of shape {obs.shape} do not end in the agent's {tuple(spec.obs_shape)}")
    return obs.reshape(*lead, spec.obs_dim)


def normalize(norm: ObsNormalization, obs: np.ndarray) -> np.ndarray:
    """``clip((o − mean) / √(var + ε), −clip, clip)``, exactly SB3's ``VecNormalize._normalize_obs``."""
    mean = norm.mean.reshape(-1).astype(np.float64)
    var = norm.var.reshape(-1).astype(np.float64)
    return np.clip((obs - mean) / np.sqrt(var + norm.epsilon), -norm.clip, norm.clip)


def hidden(spec: AgentSpec, obs: np.ndarray) -> np.ndarray:
    """The latent the heads read: observations (normalized if frozen statistics are attached)
    through the hidden layers."""
    h = _obs_batch(spec, obs)
    if spec.obs_norm is not None:
        h = normalize(spec.obs_norm, h)
    act = ACTIVATIONS[spec.activation]
    for layer in spec.layers:
        h = act(layer(h))
    return h


def mean_action(spec: AgentSpec, obs: np.ndarray) -> np.ndarray:
    """μ(o): the Gaussian mean before any tanh squashing or rescaling (after ``mean_clip``)."""
    mu = spec.mu(hidden(spec, obs))
    return mu if spec.mean_clip is None else np.clip(mu, -spec.mean_clip, spec.mean_clip)


def _gsde_std(spec: AgentSpec) -> np.ndarray:
    log_w = spec.log_std_param.astype(np.float64)  # type: ignore[union-attr]
    if spec.gsde_expln:  # SB3 StateDependentNoiseDistribution.get_std with use_expln
        std = np.where(log_w <= 0, np.exp(np.minimum(log_w, 0.0)), np.log1p(np.maximum(log_w, 0.0) + spec.gsde_epsilon)
                       + 1.0)
    else:
        std = np.exp(log_w)
    return np.broadcast_to(std, (log_w.shape[0], spec.action_dim))


def log_std(spec: AgentSpec, obs: np.ndarray) -> np.ndarray:
    """log σ(o) of the Gaussian before squashing, one value per action dimension.

    For gSDE this is the σ SB3 uses in ``log_prob`` (``√((h²)·σ_W² + ε)``); its exploration
    noise itself is ``h · W`` for a weight matrix ``W ~ N(0, σ_W²)`` drawn per episode.
    """
    if spec.log_std == "none":
        raise InputError(f"{spec.path}: {spec.algorithm} is a deterministic actor; it has no log σ")
    h = hidden(spec, obs)
    if spec.log_std == "parameter":
        vec = spec.log_std_param.reshape(-1).astype(np.float64)  # type: ignore[union-attr]
        return np.broadcast_to(vec, (*h.shape[:-1], spec.action_dim)).copy()
    if spec.log_std == "layer":
        out = spec.log_std_layer(h)  # type: ignore[misc]
        if spec.log_std_bounds is not None:
            out = np.clip(out, *spec.log_std_bounds)
        return out
    variance = (h**2) @ (_gsde_std(spec) ** 2)
    return 0.5 * np.log(variance + spec.gsde_epsilon)


def deterministic_action(spec: AgentSpec, obs: np.ndarray) -> np.ndarray:
    """The action the agent's own library returns deterministically (SB3 ``predict(deterministic=True)``):
    tanh if squashed, then rescaled from [−1, 1] to the bounds, or clipped to them."""
    a = mean_action(spec, obs)
    if spec.squash:
        a = np.tanh(a)
    if spec.action_transform == "none":
        return a
    if spec.action_low is None or spec.action_high is None:
        raise InputError(f"{spec.path}: the action bounds are not known; pass the environment's action bounds")
    low, high = spec.action_low.astype(np.float64), spec.action_high.astype(np.float64)
    if spec.action_transform == "rescale":
        return low + 0.5 * (a + 1.0) * (high - low)
    return np.clip(a, low, high)


# ------------------------------------------------------------------ what `policyscape inspect` prints


def _bounds_text(low: np.ndarray | None, high: np.ndarray | None) -> str:
    if low is None or high is None:
        return "unknown (taken from the environment)"
    if np.all(low == low.flat[0]) and np.all(high == high.flat[0]):
        return f"[{float(low.flat[0]):g}, {float(high.flat[0]):g}] in every dimension"
    def fmt(v: np.ndarray) -> str:
        return "[" + ", ".join(f"{float(x):.6g}" for x in v.reshape(-1)) + "]"

    return f"low {fmt(low)}, high {fmt(high)}"


def describe(spec: AgentSpec) -> str:
    """A few lines saying what was loaded: algorithm, architecture, parameter count, activation,
    action distribution and squashing, normalization."""
    sizes = [spec.obs_dim] + [layer.n_out for layer in spec.layers] + [spec.action_dim]
    if spec.log_std == "parameter":
        head = "Gaussian, state-independent log σ (a learned vector)"
    elif spec.log_std == "layer":
        bounds = spec.log_std_bounds
        head = "Gaussian, state-dependent log σ (a layer on the latent" + \
            (f", clamped to [{bounds[0]:g}, {bounds[1]:g}])" if bounds else ")")
    elif spec.log_std == "gsde":
        rows, cols = spec.log_std_param.shape  # type: ignore[union-attr]
        head = (f"gSDE: state-dependent exploration, σ² = (h²)·{'expln' if spec.gsde_expln else 'exp'}(log_std)² "
                f"with log_std {rows}×{cols}")
    else:
        head = "deterministic (no distribution)"
    if spec.squash:
        squash = "tanh, then rescaled to the action bounds" if spec.action_transform == "rescale" else "tanh"
    else:
        squash = {"clip": "none; actions clipped to the bounds", "rescale": "none; rescaled to the bounds",
                  "none": "none"}[spec.action_transform]
    if spec.mean_clip is not None:
        squash += f" (mean clipped to ±{spec.mean_clip:g} first)"
    if spec.obs_norm is None:
        norm = "none"
    else:
        n = spec.obs_norm
        norm = (f"clip((o − mean)/√(var + {n.epsilon:g}), ±{n.clip:g}) with frozen statistics"
                + (f" from {n.source}" if n.source else "")
                + (f" ({n.count:g} samples)" if n.count is not None else ""))
    lines = [
        f"agent         {spec.path}",
        f"algorithm     {spec.algorithm} ({spec.source})",
        f"architecture  {' → '.join(str(s) for s in sizes)} (observations {tuple(spec.obs_shape)}, "
        f"{len(spec.layers)} hidden layer{'s' if len(spec.layers) != 1 else ''})",
        f"parameters    {spec.num_params} in the actor",
        f"activation    {spec.activation}" + ("" if spec.layers else " (unused: no hidden layers)"),
        f"distribution  {head}",
        f"squashing     {squash}",
        f"action bounds {_bounds_text(spec.action_low, spec.action_high)}",
        f"normalization {norm}",
    ]
    lines += [f"note          {note}" for note in spec.notes]
    return "\n".join(lines)
