"""Agents trained elsewhere as a policy family: the loaded weights are θ0, the rest is fixed.

:class:`AgentPolicy` is built from an :class:`~policyscape.agents.spec.AgentSpec` (SB3 / sb3-contrib
/ CleanRL, read as data by ``policyscape.agents``). Its forward pass, for ``thetas [B, n]`` acting on
``obs [B, E, D]`` (one batched matmul per layer for all B·E observations), written once for numpy
and jax.numpy (``xp``)::

    o' = clip((o − mean)/√(var + ε), ±c)     frozen observation normalization (part of the policy, not of θ)
    h  = act(… act(o' W_0 + b_0) …)          hidden layers, the agent's activation
    μ  = h W_μ + b_μ                         (clipped to ±mean_clip for SAC/TQC with gSDE)
    u  = μ + σ ⊙ ε                           ε: the rollout engine's standard normal noise
    a  = tanh(u) if squashed, then rescaled from [−1, 1] to [low, high] where the agent rescales;
         otherwise u as it is (the engine clips it to the bounds, as SB3's ``predict`` does)

σ: with ``sigma_mode="own"`` the agent's own distribution: ``exp(log σ)`` of a learned vector
(PPO/A2C/TRPO, CleanRL PPO) or of a layer on h clamped to its bounds (SAC/TQC); deterministic
actors (TD3, DDPG, ARS) have none and act with μ. With ``sigma_mode="fixed"`` σ is given at
call time (the paper's knob: ``--sigma X``; σ = 0 is the deterministic policy), and the agent's
σ parameters are not part of θ. gSDE agents draw their exploration noise as a weight matrix per
episode (``h·W``), which the per-step noise of the rollout engine cannot express: their own
distribution is refused with that reason; a fixed σ works.

θ layout (:attr:`AgentPolicy.layout`, weights as ``[in, out]``, i.e. the transpose of torch's
``[out, in]``; one filter per output unit)::

    hidden_0.weight [D, H1], hidden_0.bias [H1], …, mu.weight [H_L, K], mu.bias [K]   (biases when present)
    then, with sigma_mode="own": log_std [K] (a vector) or log_std.weight [H_L, K], log_std.bias [K] (a layer)

Log-probabilities (training only; evaluation samples): the Gaussian density of the raw sample,
and for squashed actions the change of variables ``log p(a) = log N(u) − Σ log(1 − tanh²u) −
Σ log((high − low)/2)`` with ``u = atanh`` of the action mapped back to [−1, 1] (as SAC).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from policyscape.errors import InputError
from policyscape.policies.continuous import _HALF_LOG_2PI, _HALF_LOG_2PIE, _check_obs, _check_thetas, check_sigma
from policyscape.policies.layout import Group, Layout

SIGMA_MODES = ("own", "fixed")


class _OneBlasThread:
    """BLAS on one thread during a numpy forward pass: the per-θ matmuls of a rollout step are small
    (E × 256 × 256), and OpenBLAS's threads cost far more than they save there, the more so on a busy
    machine (measured on 2 cores: 4.4 ms per step of 16 θ × 16 episodes on one thread, 30–60 ms on two).
    Through threadpoolctl (scikit-learn's dependency) when it is installed; otherwise a no-op."""

    _controller = None

    def __enter__(self):
        cls = type(self)
        if cls._controller is None:
            try:
                from threadpoolctl import ThreadpoolController

                cls._controller = ThreadpoolController()
            except ImportError:  # pragma: no cover
                cls._controller = False
        self._limit = cls._controller.limit(limits=1, user_api="blas") if cls._controller else None
        return self

    def __exit__(self, *exc):
        if self._limit is not None:
            self._limit.restore_original_limits()
        return False


def activation(name: str, xp, x):
    """The agent's activation with array namespace ``xp`` (same definitions as ``agents.spec.ACTIVATIONS``)."""
    if name == "tanh":
        return xp.tanh(x)
    if name == "relu":
        return xp.maximum(x, 0.0)
    if name == "elu":
        return xp.where(x > 0, x, xp.expm1(xp.minimum(x, 0.0)))
    if name == "leaky_relu":
        return xp.where(x >= 0, x, 0.01 * x)
    if name == "sigmoid":
        return 0.5 * (1.0 + xp.tanh(0.5 * x))
    if name == "silu":
        return x * 0.5 * (1.0 + xp.tanh(0.5 * x))
    if name == "softplus":
        return xp.logaddexp(0.0, x)
    if name == "identity":
        return x
    raise InputError(f"activation {name!r} is not supported")


def _dense(xp, h, p, name):
    y = xp.matmul(h, p[f"{name}.weight"])
    bias = p.get(f"{name}.bias")
    return y if bias is None else y + bias[..., None, :]


class AgentPolicy:
    """A loaded agent's actor as a policy family over θ (module docstring).

    Args:
      spec: the agent (``policyscape.agents.load_agent``), with its frozen normalization if any.
      sigma_mode: ``"own"`` (the agent's own action distribution) or ``"fixed"`` (σ at call time).
    """

    def __init__(self, spec, sigma_mode: str = "own"):
        if sigma_mode not in SIGMA_MODES:
            raise InputError(f"sigma_mode must be one of {SIGMA_MODES}, got {sigma_mode!r}")
        if sigma_mode == "own" and spec.log_std == "gsde":
            raise InputError(f"{spec.path}: {spec.algorithm} explores with gSDE (a noise matrix drawn per episode, "
                             "h·W), which per-step Gaussian noise cannot reproduce; pass --sigma X to evaluate its "
                             "mean action under a fixed Gaussian σ (--sigma 0: the deterministic policy)")
        self.spec = spec
        self.sigma_mode = sigma_mode
        self.obs_dim, self.act_dim = spec.obs_dim, spec.action_dim
        self.activation = spec.activation
        self.head = "fixed" if sigma_mode == "fixed" else spec.log_std  # "parameter", "layer", "none" or "fixed"
        self.log_std_bounds = spec.log_std_bounds if self.head == "layer" else None
        self.mean_clip = spec.mean_clip
        self.squash = bool(spec.squash)
        self.transform = spec.action_transform
        self.low = None if spec.action_low is None else np.asarray(spec.action_low, np.float64)
        self.high = None if spec.action_high is None else np.asarray(spec.action_high, np.float64)
        if self.transform == "rescale" and (self.low is None or self.high is None):
            raise InputError(f"{spec.path}: the agent rescales its actions to bounds that are not known")
        norm = spec.obs_norm
        self.normalized = norm is not None
        if norm is not None:
            self.norm_mean = norm.mean.reshape(-1).astype(np.float64)
            self.norm_scale = np.sqrt(norm.var.reshape(-1).astype(np.float64) + norm.epsilon)
            self.norm_clip = float(norm.clip)
        self.num_hidden = len(spec.layers)
        self.layout, self.theta0 = self._layout_and_theta(spec)
        self.kind = f"agent {spec.algorithm}"

    # ------------------------------------------------------------------ layout and θ

    def _named_layers(self, spec):
        out = [(f"hidden_{i}", layer) for i, layer in enumerate(spec.layers)] + [("mu", spec.mu)]
        if self.head == "layer":
            out.append(("log_std", spec.log_std_layer))
        return out

    def _layout_and_theta(self, spec) -> tuple[Layout, np.ndarray]:
        groups, parts = [], []
        for name, layer in self._named_layers(spec):
            groups.append(Group(f"{name}.weight", (layer.n_in, layer.n_out), filter_axis=1))
            parts.append(np.asarray(layer.weight, np.float64).T.ravel())
            if layer.bias is not None:
                groups.append(Group(f"{name}.bias", (layer.n_out,)))
                parts.append(np.asarray(layer.bias, np.float64).ravel())
        if self.head == "parameter":
            groups.append(Group("log_std", (self.act_dim,)))
            parts.append(np.asarray(spec.log_std_param, np.float64).reshape(-1))
        return Layout(tuple(groups)), np.concatenate(parts)

    def architecture(self) -> dict:
        """What two agents must share for their θ to live in one family (θ itself aside)."""
        return {"layout": self.layout, "activation": self.activation, "head": self.head,
                "log_std_bounds": self.log_std_bounds, "mean_clip": self.mean_clip, "squash": self.squash,
                "action_transform": self.transform,
                "action bounds": None if self.low is None else (tuple(self.low), tuple(self.high))}

    def theta_of(self, spec) -> np.ndarray:
        """θ of another agent of the same architecture (e.g. another checkpoint of one training run) in
        this family; a different architecture is an InputError naming the difference. The frozen
        normalization stays this policy's."""
        if spec.action_low is None and self.low is not None and spec.source.startswith("cleanrl"):
            spec = dataclasses.replace(spec, action_low=self.low, action_high=self.high)  # not recorded in the file
        other = AgentPolicy(spec, self.sigma_mode)
        mine, theirs = self.architecture(), other.architecture()
        diff = [k for k in mine if mine[k] != theirs[k]]
        if diff:
            what = "; ".join(
                f"layout {self.layout.describe()} vs {other.layout.describe()}" if k == "layout"
                else f"{k} {mine[k]!r} vs {theirs[k]!r}" for k in diff)
            raise InputError(f"{spec.path} does not have the architecture of {self.spec.path}: {what}")
        return other.theta0

    @property
    def num_params(self) -> int:
        return self.layout.size

    def param_count_formula(self) -> str:
        return f"{self.layout.describe()} ({self.spec.algorithm} agent {self.spec.path}, σ {self.sigma_mode})"

    def initial_params(self, seed: int = 0, num: int = 1) -> np.ndarray:
        """The loaded weights, ``num`` times → [num, n] (``seed`` unused)."""
        return np.tile(self.theta0, (int(num), 1))

    def check_spaces(self, observation_space, action_space, env_id: str) -> None:
        """Refuse an environment whose observations, actions or bounds are not the agent's."""
        from gymnasium import spaces

        who = f"{self.spec.path} ({self.spec.algorithm})"
        if not isinstance(action_space, spaces.Box) or not isinstance(observation_space, spaces.Box):
            raise InputError(f"{who} acts on Box observations and actions; {env_id} has {observation_space} and "
                             f"{action_space}")
        if int(np.prod(observation_space.shape)) != self.obs_dim or len(observation_space.shape) != 1:
            raise InputError(f"{who} takes observations of size {self.obs_dim} but {env_id} has "
                             f"{observation_space.shape}; wrong --env?")
        if action_space.shape != (self.act_dim,):
            raise InputError(f"{who} has {self.act_dim} actions but {env_id} has {action_space.shape}; wrong --env?")
        if self.low is not None and not (np.allclose(self.low, action_space.low, rtol=1e-6, atol=1e-6)
                                         and np.allclose(self.high, action_space.high, rtol=1e-6, atol=1e-6)):
            raise InputError(f"{who} was trained with action bounds [{self.low}, {self.high}] but {env_id} has "
                             f"[{action_space.low}, {action_space.high}]; wrong --env?")

    # ------------------------------------------------------------------ forward pass (numpy or jax.numpy)

    def _inputs(self, thetas, obs, xp):
        if xp is np:
            thetas = _check_thetas(self, thetas)
            obs = _check_obs(obs, thetas.shape[0], self.obs_dim)
        return thetas, obs

    def _latent(self, p, obs, xp):
        h = obs
        if self.normalized:
            h = xp.clip((h - self.norm_mean) / self.norm_scale, -self.norm_clip, self.norm_clip)
        for i in range(self.num_hidden):
            h = activation(self.activation, xp, _dense(xp, h, p, f"hidden_{i}"))
        return h

    def _mean_and_log_std(self, thetas, obs, xp):
        p = self.layout.unravel(thetas)
        h = self._latent(p, obs, xp)
        mu = _dense(xp, h, p, "mu")
        if self.mean_clip is not None:
            mu = xp.clip(mu, -self.mean_clip, self.mean_clip)
        if self.head == "parameter":
            log_std = p["log_std"][..., None, :]
        elif self.head == "layer":
            log_std = _dense(xp, h, p, "log_std")
            if self.log_std_bounds is not None:
                log_std = xp.clip(log_std, *self.log_std_bounds)
        else:
            log_std = None
        return mu, log_std

    def mean(self, thetas, obs, xp=np):
        """μ(s), the Gaussian mean before squashing: thetas [B, n], obs [B, E, D] → [B, E, K]."""
        thetas, obs = self._inputs(thetas, obs, xp)
        return self._mean_and_log_std(thetas, obs, xp)[0]

    def log_std(self, thetas, obs, xp=np):
        """log σ(s) [B, E, K] of the agent's own distribution (sigma_mode="own" with a Gaussian head)."""
        thetas, obs = self._inputs(thetas, obs, xp)
        log_std = self._mean_and_log_std(thetas, obs, xp)[1]
        if log_std is None:
            raise InputError(f"{self.spec.path}: no log σ of its own here (head {self.head!r})")
        return xp.broadcast_to(log_std, (*obs.shape[:-1], self.act_dim))

    def _to_env(self, u, xp=np):
        a = xp.tanh(u) if self.squash else u
        if self.transform == "rescale":
            a = self.low + 0.5 * (a + 1.0) * (self.high - self.low)
        return a

    def _check_sigma(self, sigma):
        if self.sigma_mode == "fixed":
            return check_sigma(sigma)
        if sigma is not None:
            raise InputError(f"this {self.kind} policy acts with its own distribution; build it with "
                             f"sigma_mode='fixed' to give σ (got sigma={sigma!r})")
        return None

    def mode(self, thetas, obs) -> np.ndarray:
        """The deterministic action (SB3's ``predict(deterministic=True)`` before clipping) → [B, E, K]."""
        with _OneBlasThread():
            return self._to_env(self.mean(thetas, obs))

    def act(self, thetas, obs, noise, sigma=None) -> np.ndarray:
        """``a = squash/rescale(μ + σ ⊙ ε)`` → [B, E, K] (module docstring); ``noise`` [B, E, K] standard
        normal."""
        sigma = self._check_sigma(sigma)
        thetas, obs = self._inputs(thetas, obs, np)
        with _OneBlasThread():
            mu, log_std = self._mean_and_log_std(thetas, obs, np)
        noise = np.asarray(noise, dtype=np.float64)
        if noise.shape != mu.shape:
            raise InputError(f"noise must have shape {mu.shape} (standard normal), got {noise.shape}")
        if self.head == "fixed":
            u = mu + sigma * noise if sigma > 0 else mu
        elif log_std is None:  # a deterministic actor
            u = mu
        else:
            u = mu + np.exp(log_std) * noise
        return self._to_env(u)

    def log_prob(self, thetas, obs, actions, sigma=None, xp=np):
        """log-density of actions as :meth:`act` returns them → [B, E] (module docstring)."""
        sigma = self._check_sigma(sigma)
        if xp is np:
            thetas, obs = self._inputs(thetas, obs, np)
            actions = np.asarray(actions, dtype=np.float64)
        mu, log_std = self._mean_and_log_std(thetas, obs, xp)
        if self.head == "fixed":
            if sigma == 0.0:
                raise InputError("log_prob needs sigma > 0 (a σ = 0 policy is deterministic), got sigma=0")
            log_std = math.log(sigma)
        elif log_std is None:
            raise InputError(f"{self.spec.path}: a deterministic actor has no log-probability")
        correction = 0.0
        u = actions
        if self.squash:
            y = actions
            if self.transform == "rescale":
                y = 2.0 * (actions - self.low) / (self.high - self.low) - 1.0
                correction = float(np.sum(np.log(0.5 * (self.high - self.low))))
            y = xp.clip(y, -1.0 + 1e-12, 1.0 - 1e-12)
            u = xp.arctanh(y)
            correction = correction + xp.sum(xp.log(1.0 - y * y), axis=-1)
        z = (u - mu) * xp.exp(-log_std)
        return xp.sum(-0.5 * z * z - log_std - _HALF_LOG_2PI, axis=-1) - correction

    def entropy(self, thetas, obs, sigma=None, xp=np):
        """Differential entropy of the Gaussian before squashing, per state → [B, E]."""
        sigma = self._check_sigma(sigma)
        if self.head == "fixed":
            value = -math.inf if sigma == 0 else self.act_dim * (_HALF_LOG_2PIE + math.log(sigma))
            thetas, obs = self._inputs(thetas, obs, xp)
            return xp.full(obs.shape[:-1], value)
        if self.head == "none":
            thetas, obs = self._inputs(thetas, obs, xp)
            return xp.full(obs.shape[:-1], -math.inf)
        return xp.sum(self.log_std(thetas, obs, xp) + _HALF_LOG_2PIE, axis=-1)

    @property
    def has_own_distribution(self) -> bool:
        """Whether the agent's own Gaussian gives log-probabilities without a σ (sigma_mode="own", a log σ head)."""
        return self.head in ("parameter", "layer")

    def describe(self) -> str:
        source = self.spec.obs_norm.source if self.normalized else ""
        norm = (f"observations normalized (frozen statistics{' from ' + source if source else ''})"
                if self.normalized else "observations not normalized")
        sigma = {"own": "the agent's own action distribution", "fixed": "its mean action under a fixed Gaussian σ"}
        return (f"{self.spec.algorithm} agent {self.spec.path}: {sigma[self.sigma_mode]}; {norm}; "
                f"θ = {self.layout.describe()}")
