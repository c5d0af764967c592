"""Policies for sampled objectives on Gymnasium environments: flat θ, batched forward passes.

Every policy is a NamedTuple of shapes with pure methods. A batch is ``thetas [B, n]``
(one row per parameter vector) acting on ``obs [B, E, obs_dim]`` (E episodes per θ, all
stepping in lockstep). Each layer is ONE batched matmul over B (``matmul`` of
``[B, E, in] @ [B, in, out]``, i.e. ``einsum('bei,bio->beo')``); there is no Python loop
over B or E.

Each policy's forward pass (``mean`` / ``logits``), ``log_prob`` and ``entropy`` are written
once and take the array namespace ``xp``: numpy (the default: inputs validated, float64; the
rollout hot path) or ``jax.numpy`` (inputs used as they are, any leading batch axes, e.g. one
θ [n] with obs [N, T, D]; REINFORCE differentiates them with ``jax.grad``). Sampling (``act``,
``mode``) is numpy only.

Layouts of θ (all matrices row-major, ``W[i, j]`` = weight from input i to output j), each
also a layout object, ``policy.layout`` (``policies.layout``: named groups ↔ θ, filters)::

    LinearGaussian(obs_dim=D, act_dim=K), n = D·K + K
        θ[i·K + j]   = W[i, j]        W [D, K]
        θ[D·K + j]   = b[j]           b [K]
        μ(s) = Wᵀs + b,   a ~ N(μ(s), σ² I),   σ given at call time

    LinearGaussianLearnedStd(obs_dim=D, act_dim=K), n = D·K + 2K
        (W, b) as above, then θ[D·K + K + j] = log σ[j]

    LinearSoftmax(obs_dim=D, num_actions=A, one_hot=False), n = D·A + A
        θ[i·A + j] = W[i, j], θ[D·A + j] = b[j];   logits = Wᵀφ(s) + b
        φ(s) = s (Box observations) or one-hot(s) ∈ R^D (Discrete observations, one_hot=True)

    MLPGaussian(obs_dim=D, act_dim=K, hidden=(H1, …, HL)), sizes = (D, H1, …, HL, K)
        for layer l = 0 … L, in order: W_l [sizes[l], sizes[l+1]] row-major, then b_l [sizes[l+1]]
        h_0 = s,  h_{l+1} = tanh(W_lᵀ h_l + b_l) for hidden layers,  μ = W_Lᵀ h_L + b_L (linear output)

Gaussian sampling is reparameterized: ``a = μ + σ·ε`` with the caller's standard normal
``ε [B, E, K]``; softmax sampling inverts the CDF of π(·|s) at the caller's uniform
``u [B, E]``. The same noise therefore gives identical actions (common random numbers).

Clipping: ``act(..., low, high)`` clips the sample to the action bounds with
:func:`clip_actions`; called without bounds it returns the raw sample. As in the paper's
code, REINFORCE uses the log-probability of the **unclipped** sample
(``log_prob(thetas, obs, raw_actions, σ)``), and only the environment sees the clipped one.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from policyscape.errors import InputError
from policyscape.policies.layout import Group, Layout

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_HALF_LOG_2PIE = 0.5 * math.log(2.0 * math.pi * math.e)


# --------------------------------------------------------------------------- helpers


def clip_actions(actions: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Clip ``actions [..., K]`` elementwise to ``[low, high]`` (``low``, ``high`` [K]).

    What the environment receives; the log-probability for REINFORCE stays that of the
    unclipped sample.
    """
    low = np.asarray(low, dtype=np.float64)
    high = np.asarray(high, dtype=np.float64)
    if low.shape != high.shape or low.ndim != 1 or np.shape(actions)[-1:] != low.shape:
        raise InputError(
            f"action bounds low {low.shape} / high {high.shape} must both have shape [act_dim] "
            f"matching the actions' last axis {np.shape(actions)[-1:]}"
        )
    if np.any(low > high):
        raise InputError(f"action bounds must satisfy low <= high, got low={low!r}, high={high!r}")
    return np.clip(actions, low, high)


def gaussian_entropy(sigma: float, act_dim: int) -> float:
    """Differential entropy of ``N(μ, σ² I_K)``: ``K/2 · log(2πeσ²)``.

    At σ = 0 (deterministic policy) the distribution is a point mass and the differential
    entropy is −∞ (the σ → 0 limit); returned as ``-inf`` without a numpy warning.
    """
    sigma = check_sigma(sigma)
    if sigma == 0.0:
        return -math.inf
    return act_dim * (_HALF_LOG_2PIE + math.log(sigma))


def check_sigma(sigma: float | None, *, required: bool = True) -> float | None:
    """σ as a float, or None where allowed; σ must be a finite number >= 0."""
    if sigma is None:
        if required:
            raise InputError("sigma (Gaussian action std) is required for this policy, got None")
        return None
    try:
        value = float(sigma)
    except (TypeError, ValueError):
        raise InputError(f"sigma must be a finite number >= 0, got {sigma!r}") from None
    if not (math.isfinite(value) and value >= 0.0):
        raise InputError(f"sigma must be a finite number >= 0, got {sigma!r}")
    return value


def _check_thetas(policy, thetas) -> np.ndarray:
    thetas = np.asarray(thetas, dtype=np.float64)
    if thetas.ndim == 1:
        thetas = thetas[None, :]
    if thetas.ndim != 2:
        raise InputError(f"thetas must have shape [B, n] (n = {policy.num_params}), got shape {thetas.shape}")
    if thetas.shape[1] != policy.num_params:
        raise InputError(
            f"theta has length {thetas.shape[1]}, expected {policy.param_count_formula()} for {policy!r}"
        )
    return thetas


def _check_obs(obs, B: int, obs_dim: int) -> np.ndarray:
    obs = np.asarray(obs, dtype=np.float64)
    if obs.ndim != 3 or obs.shape[0] != B or obs.shape[2] != obs_dim:
        raise InputError(f"obs must have shape [B={B}, E, obs_dim={obs_dim}], got shape {obs.shape}")
    return obs


def _check_trailing(name: str, x, B: int, E: int, K: int, what: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.shape != (B, E, K):
        raise InputError(f"{name} must have shape [B={B}, E={E}, {K}] ({what}), got shape {x.shape}")
    return x


def _unravel(policy, theta) -> dict:
    """θ [..., n] → the policy's named groups (``policy.layout``), with its own error message."""
    if theta.shape[-1:] != (policy.num_params,):
        raise InputError(f"theta has length {theta.shape[-1:]}, expected {policy.param_count_formula()}")
    return policy.layout.unravel(theta)


def _affine(xp, h, W, b):
    """``h [..., E, in] @ W [..., in, out] + b [..., 1, out]``: one batched matmul over the leading axes."""
    return xp.matmul(h, W) + b[..., None, :]


def _gaussian_log_prob(xp, mean, log_sigma, actions):
    """Σ_j log N(a_j; μ_j, σ_j²) over the last axis; ``log_sigma`` broadcasts against mean."""
    z = (actions - mean) * xp.exp(-log_sigma)
    return xp.sum(-0.5 * z * z - log_sigma - _HALF_LOG_2PI, axis=-1)


def constant(xp, x):
    """``x`` with no gradient flowing through it (JAX's ``stop_gradient``); numpy: ``x`` itself."""
    if xp is np:
        return x
    import jax

    return jax.lax.stop_gradient(x)


def _zeros(num: int, n: int) -> np.ndarray:
    if int(num) < 0:
        raise InputError(f"num (number of initial parameter vectors) must be >= 0, got {num!r}")
    return np.zeros((int(num), n))


# --------------------------------------------------------------------------- linear Gaussian


@functools.cache
def _linear_layout(D: int, K: int, *extra: Group) -> Layout:
    return Layout((Group("weight", (D, K), filter_axis=1), Group("bias", (K,)), *extra))


class _GaussianMethods:
    """act / log_prob / entropy / mode of a Gaussian policy with σ fixed at call time, from its ``mean``.

    A namespace of functions that the NamedTuple policies take as their methods (a NamedTuple
    cannot have another base class).
    """

    def mode(self, thetas, obs) -> np.ndarray:
        """The most likely action, μ(s) → [B, E, K]."""
        return self.mean(thetas, obs)

    def act(self, thetas, obs, noise, sigma, low=None, high=None) -> np.ndarray:
        """``a = μ(s) + σ·ε`` → [B, E, K]; ε = ``noise`` [B, E, K] standard normal.

        Clipped to ``[low, high]`` when both bounds are given (see the module docstring).
        """
        sigma = check_sigma(sigma)
        mu = self.mean(thetas, obs)
        noise = _check_trailing("noise", noise, *mu.shape, "standard normal")
        actions = mu + sigma * noise if sigma > 0 else mu
        return actions if low is None and high is None else clip_actions(actions, low, high)

    def log_prob(self, thetas, obs, actions, sigma, xp=np):
        """log N(a; μ(s), σ² I) of the unclipped ``actions`` [B, E, K] → [B, E]; needs σ > 0.

        ``xp``: numpy (validated inputs, thetas [B, n]) or jax.numpy (thetas [..., n], obs
        [..., E, D], actions [..., E, K] as they are, for autodiff).
        """
        sigma = check_sigma(sigma)
        if sigma == 0.0:
            raise InputError("log_prob needs sigma > 0 (a σ = 0 policy is deterministic), got sigma=0")
        mu = self.mean(thetas, obs, xp)
        if xp is np:
            actions = _check_trailing("actions", actions, *mu.shape, "unclipped samples")
        return _gaussian_log_prob(xp, mu, xp.log(sigma), actions)

    def entropy(self, sigma: float) -> float:
        """``act_dim/2 · log(2πeσ²)``, independent of θ; −inf at σ = 0."""
        return gaussian_entropy(sigma, self.act_dim)


class LinearGaussian(NamedTuple):
    """``a ~ N(Wᵀs + b, σ² I)`` with σ fixed at call time (σ = 0: the mean, deterministic)."""

    obs_dim: int
    act_dim: int

    @property
    def layout(self) -> Layout:
        """weight [D, K] (one filter per action dimension), bias [K]."""
        return _linear_layout(self.obs_dim, self.act_dim)

    @property
    def num_params(self) -> int:
        return self.obs_dim * self.act_dim + self.act_dim

    def param_count_formula(self) -> str:
        D, K = self.obs_dim, self.act_dim
        return f"obs_dim·act_dim + act_dim = {D}·{K} + {K} = {self.num_params}"

    def unflatten(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """θ [n] or [B, n] → (W [..., D, K], b [..., K])."""
        return tuple(_unravel(self, np.asarray(theta, dtype=np.float64)).values())

    def flatten(self, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        """(W [D, K], b [K]) → θ [n]."""
        return self.layout.ravel({"weight": np.asarray(W, dtype=np.float64), "bias": np.asarray(b, dtype=np.float64)})

    def initial_params(self, seed: int, num: int) -> np.ndarray:
        """Zeros [num, n], as in the paper's code (``seed`` unused, kept for a common signature)."""
        return _zeros(num, self.num_params)

    def mean(self, thetas, obs, xp=np):
        """μ = Wᵀs + b: thetas [B, n], obs [B, E, D] → [B, E, K] (``xp``: see ``log_prob``)."""
        if xp is np:
            thetas = _check_thetas(self, thetas)
            obs = _check_obs(obs, thetas.shape[0], self.obs_dim)
        p = self.layout.unravel(thetas)
        return _affine(xp, obs, p["weight"], p["bias"])

    mode = _GaussianMethods.mode
    act = _GaussianMethods.act
    log_prob = _GaussianMethods.log_prob
    entropy = _GaussianMethods.entropy


class LinearGaussianLearnedStd(NamedTuple):
    """``a ~ N(Wᵀs + b, diag(σ²))`` with ``log σ [K]`` the last K entries of θ."""

    obs_dim: int
    act_dim: int

    @property
    def layout(self) -> Layout:
        """weight [D, K] (one filter per action dimension), bias [K], log_std [K]."""
        return _linear_layout(self.obs_dim, self.act_dim, Group("log_std", (self.act_dim,)))

    @property
    def num_params(self) -> int:
        return self.obs_dim * self.act_dim + 2 * self.act_dim

    def param_count_formula(self) -> str:
        D, K = self.obs_dim, self.act_dim
        return f"obs_dim·act_dim + 2·act_dim = {D}·{K} + 2·{K} = {self.num_params}"

    def unflatten(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """θ [n] or [B, n] → (W [..., D, K], b [..., K], log_sigma [..., K])."""
        return tuple(_unravel(self, np.asarray(theta, dtype=np.float64)).values())

    def flatten(self, W: np.ndarray, b: np.ndarray, log_sigma: np.ndarray) -> np.ndarray:
        """(W [D, K], b [K], log_sigma [K]) → θ [n]."""
        return self.layout.ravel({name: np.asarray(x, dtype=np.float64)
                                  for name, x in zip(self.layout.names, (W, b, log_sigma))})

    def initial_params(self, seed: int, num: int, log_sigma: float = 0.0) -> np.ndarray:
        """W = 0, b = 0, log σ = ``log_sigma`` (default 0, i.e. σ = 1) → [num, n]."""
        thetas = _zeros(num, self.num_params)
        thetas[:, self.layout.slices()["log_std"]] = float(log_sigma)
        return thetas

    mean = LinearGaussian.mean
    mode = _GaussianMethods.mode

    def act(self, thetas, obs, noise, sigma=None, low=None, high=None) -> np.ndarray:
        """``a = μ(s) + σ ⊙ ε`` → [B, E, K] with σ = exp(log σ) from θ.

        A float ``sigma`` overrides the learned σ for evaluation (e.g. σ = 0: the mean).
        Clipped to ``[low, high]`` when both bounds are given.
        """
        sigma = check_sigma(sigma, required=False)
        thetas = _check_thetas(self, thetas)
        mu = self.mean(thetas, obs)
        noise = _check_trailing("noise", noise, *mu.shape, "standard normal")
        scale = np.exp(self.layout.unravel(thetas)["log_std"])[:, None, :] if sigma is None else sigma
        actions = mu + scale * noise
        return actions if low is None and high is None else clip_actions(actions, low, high)

    def log_prob(self, thetas, obs, actions, sigma=None, xp=np):
        """log N(a; μ(s), diag σ²) of unclipped ``actions`` [B, E, K] → [B, E] (σ from θ unless given > 0).

        ``xp``: numpy or jax.numpy, as for :meth:`LinearGaussian.log_prob`.
        """
        sigma = check_sigma(sigma, required=False)
        if sigma == 0.0:
            raise InputError("log_prob needs sigma > 0 (a σ = 0 policy is deterministic), got sigma=0")
        if xp is np:
            thetas = _check_thetas(self, thetas)
        mu = self.mean(thetas, obs, xp)
        if xp is np:
            actions = _check_trailing("actions", actions, *mu.shape, "unclipped samples")
        log_sigma = self.layout.unravel(thetas)["log_std"][..., None, :] if sigma is None else xp.log(sigma)
        return _gaussian_log_prob(xp, mu, log_sigma, actions)

    def entropy(self, thetas, xp=np):
        """``Σ_j (log σ_j + ½ log(2πe))`` per θ: thetas [B, n] → [B] (``xp``: numpy or jax.numpy)."""
        if xp is np:
            thetas = _check_thetas(self, thetas)
        return xp.sum(self.layout.unravel(thetas)["log_std"] + _HALF_LOG_2PIE, axis=-1)


# --------------------------------------------------------------------------- linear softmax


class LinearSoftmax(NamedTuple):
    """``π(·|s) = softmax(Wᵀφ(s) + b)`` over ``num_actions`` discrete actions.

    ``one_hot=True``: observations are integer states in ``[0, obs_dim)``, given as
    ``obs [B, E]`` (or ``[B, E, 1]``), and φ(s) is their one-hot vector; otherwise
    ``obs [B, E, obs_dim]`` raw. Actions are integers ``[B, E]``.
    """

    obs_dim: int
    num_actions: int
    one_hot: bool = False

    @property
    def layout(self) -> Layout:
        """weight [D, A] (one filter per action), bias [A]."""
        return _linear_layout(self.obs_dim, self.num_actions)

    @property
    def num_params(self) -> int:
        return self.obs_dim * self.num_actions + self.num_actions

    def param_count_formula(self) -> str:
        D, A = self.obs_dim, self.num_actions
        return f"obs_dim·num_actions + num_actions = {D}·{A} + {A} = {self.num_params}"

    def unflatten(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """θ [n] or [B, n] → (W [..., D, A], b [..., A])."""
        return tuple(_unravel(self, np.asarray(theta, dtype=np.float64)).values())

    flatten = LinearGaussian.flatten

    def initial_params(self, seed: int, num: int) -> np.ndarray:
        """Zeros [num, n] (uniform policy), as in the paper's code (``seed`` unused)."""
        return _zeros(num, self.num_params)

    def features(self, obs, B: int | None = None, xp=np):
        """φ(s) [B, E, D]: the raw observation, or the one-hot state when ``one_hot``.

        ``xp`` = jax.numpy: ``obs`` as it is (integer states ``[...]`` without a trailing axis).
        """
        if xp is not np:
            return xp.eye(self.obs_dim, dtype=xp.float64)[obs.astype(xp.int32)] if self.one_hot else obs
        if not self.one_hot:
            return _check_obs(obs, B, self.obs_dim)
        s = np.asarray(obs)
        if s.ndim == 3 and s.shape[2] == 1:
            s = s[..., 0]
        if s.ndim != 2 or s.shape[0] != B:
            raise InputError(f"obs (integer states) must have shape [B={B}, E], got shape {np.shape(obs)}")
        if s.size and (np.any(s != np.round(s)) or s.min() < 0 or s.max() >= self.obs_dim):
            raise InputError(f"obs (integer states) must be integers in [0, {self.obs_dim}), got {s!r}")
        return np.eye(self.obs_dim)[s.astype(np.int64)]

    def logits(self, thetas, obs, xp=np):
        """Wᵀφ(s) + b: thetas [B, n], obs → [B, E, A]."""
        if xp is np:
            thetas = _check_thetas(self, thetas)
        p = self.layout.unravel(thetas)
        return _affine(xp, self.features(obs, thetas.shape[0], xp), p["weight"], p["bias"])

    def log_probs(self, thetas, obs, xp=np):
        """log π(·|s) [B, E, A] (stable log-softmax; in JAX the shift is a constant, as in jax.nn.log_softmax)."""
        z = self.logits(thetas, obs, xp)
        z = z - constant(xp, z.max(axis=-1, keepdims=True))
        return z - xp.log(xp.sum(xp.exp(z), axis=-1, keepdims=True))

    def mode(self, thetas, obs) -> np.ndarray:
        """The most likely action (greedy; ties: the lowest index) → [B, E] int."""
        return np.argmax(self.logits(thetas, obs), axis=-1)

    def act(self, thetas, obs, noise, sigma=None) -> np.ndarray:
        """Inverse-CDF sample: ``a = #{j : F_j <= u}`` with ``F = cumsum π(·|s)``, u = ``noise`` → [B, E] int.

        ``noise`` [B, E] (or [B, E, 1]) uniform on [0, 1). Actions of probability 0 are
        never drawn (up to rounding). ``sigma`` must be None (no σ for a softmax policy).
        """
        if sigma is not None:
            raise InputError(f"sigma applies to Gaussian policies only; LinearSoftmax takes sigma=None, got {sigma!r}")
        probs = np.exp(self.log_probs(thetas, obs))
        B, E, A = probs.shape
        u = np.asarray(noise, dtype=np.float64)
        if u.shape == (B, E, 1):
            u = u[..., 0]
        if u.shape != (B, E):
            raise InputError(f"noise must have shape [B={B}, E={E}] (uniform on [0, 1)), got shape {np.shape(noise)}")
        cdf = np.cumsum(probs, axis=-1)
        a = np.sum(cdf <= u[..., None], axis=-1)
        return np.minimum(a, A - 1).astype(np.int64)

    def log_prob(self, thetas, obs, actions, sigma=None, xp=np):
        """log π(a|s) of integer ``actions`` [B, E] (or [B, E, 1]) → [B, E] (``xp``: numpy or jax.numpy)."""
        if sigma is not None:
            raise InputError(f"sigma applies to Gaussian policies only; LinearSoftmax takes sigma=None, got {sigma!r}")
        lp = self.log_probs(thetas, obs, xp)
        if xp is np:
            a = np.asarray(actions)
            if a.shape == lp.shape[:2] + (1,):
                a = a[..., 0]
            if a.shape != lp.shape[:2]:
                raise InputError(f"actions must have shape [B, E] = {lp.shape[:2]}, got shape {np.shape(actions)}")
            if a.size and (np.any(a != np.round(a)) or a.min() < 0 or a.max() >= self.num_actions):
                raise InputError(f"actions must be integers in [0, {self.num_actions}), got {a!r}")
            a = a.astype(np.int64)
        else:
            a = actions.astype(xp.int32)
        return xp.take_along_axis(lp, a[..., None], axis=-1)[..., 0]

    def entropy(self, thetas, obs, xp=np):
        """Per-state entropy ``H = −Σ_a π(a|s) log π(a|s)`` → [B, E]."""
        lp = self.log_probs(thetas, obs, xp)
        return -xp.sum(xp.exp(lp) * lp, axis=-1)


# --------------------------------------------------------------------------- MLP Gaussian


class MLPGaussian(NamedTuple):
    """``a ~ N(μ(s), σ² I)``, μ a tanh MLP with a linear output layer; σ fixed at call time."""

    obs_dim: int
    act_dim: int
    hidden: tuple[int, ...] = (32,)

    @property
    def sizes(self) -> tuple[int, ...]:
        return (self.obs_dim, *tuple(self.hidden), self.act_dim)

    @property
    def layout(self) -> Layout:
        """Per layer l: weight_l [in, out] (one filter per output unit), then bias_l [out]."""
        return _mlp_layout(self.sizes)

    @property
    def num_params(self) -> int:
        s = self.sizes
        return sum(s[i] * s[i + 1] + s[i + 1] for i in range(len(s) - 1))

    def param_count_formula(self) -> str:
        s = self.sizes
        terms = " + ".join(f"{s[i]}·{s[i + 1]} + {s[i + 1]}" for i in range(len(s) - 1))
        return f"Σ_layers (fan_in·fan_out + fan_out) for sizes (obs_dim, *hidden, act_dim) = {s}: {terms} = {self.num_params}"

    def _layers(self, theta) -> list:
        p = self.layout.unravel(theta)
        return [(p[f"weight_{i}"], p[f"bias_{i}"]) for i in range(len(self.sizes) - 1)]

    def unflatten(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """θ [n] or [B, n] → [(W_l [..., in, out], b_l [..., out]) for each layer l]."""
        theta = np.asarray(theta, dtype=np.float64)
        _unravel(self, theta)
        return self._layers(theta)

    def flatten(self, layers) -> np.ndarray:
        """[(W_l [in, out], b_l [out]), …] → θ [n]."""
        return self.layout.ravel({f"{kind}_{i}": np.asarray(x, dtype=np.float64)
                                  for i, Wb in enumerate(layers) for kind, x in zip(("weight", "bias"), Wb)})

    def initial_params(self, seed: int, num: int, scale: float = 1.0) -> np.ndarray:
        """Glorot-uniform weights ``U(±scale·√(6/(fan_in + fan_out)))``, zero biases → [num, n].

        Row ``k`` depends only on ``(seed, k)`` via ``SeedSequence(seed, spawn_key=(k,))``.
        """
        scale = float(scale)
        if not (math.isfinite(scale) and scale >= 0):
            raise InputError(f"init scale must be a finite number >= 0, got {scale!r}")
        thetas = _zeros(num, self.num_params)
        s = self.sizes
        for row in range(thetas.shape[0]):
            rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(row,)))
            layers = []
            for i in range(len(s) - 1):
                lim = scale * math.sqrt(6.0 / (s[i] + s[i + 1]))
                layers.append((rng.uniform(-lim, lim, (s[i], s[i + 1])), np.zeros(s[i + 1])))
            thetas[row] = self.flatten(layers)
        return thetas

    def mean(self, thetas, obs, xp=np):
        """μ(s): thetas [B, n], obs [B, E, D] → [B, E, K]; one batched matmul per layer."""
        if xp is np:
            thetas = _check_thetas(self, thetas)
            obs = _check_obs(obs, thetas.shape[0], self.obs_dim)
        layers, h = self._layers(thetas), obs
        for W, b in layers[:-1]:
            h = xp.tanh(_affine(xp, h, W, b))
        W, b = layers[-1]
        return _affine(xp, h, W, b)

    mode = _GaussianMethods.mode
    act = _GaussianMethods.act
    log_prob = _GaussianMethods.log_prob
    entropy = _GaussianMethods.entropy


@functools.cache
def _mlp_layout(s: tuple[int, ...]) -> Layout:
    return Layout(tuple(g for i in range(len(s) - 1) for g in (Group(f"weight_{i}", (s[i], s[i + 1]), filter_axis=1),
                                                               Group(f"bias_{i}", (s[i + 1],)))))


# --------------------------------------------------------------------------- factory

POLICY_KINDS = ("linear_gaussian", "linear_gaussian_learned_std", "linear_softmax", "mlp_gaussian")


def default_policy_kind(action_space) -> str:
    """The kind that follows the action space: Discrete → ``linear_softmax``, else ``linear_gaussian``."""
    from gymnasium import spaces

    return "linear_softmax" if isinstance(action_space, spaces.Discrete) else "linear_gaussian"


def make_policy(kind: str | None, observation_space, action_space, **kw):
    """Policy of ``kind`` for Gymnasium spaces; ``kw`` goes to the constructor (e.g. ``hidden``).

    ``kind=None``: :func:`default_policy_kind` of the action space.

    Observation spaces: 1-D ``Box`` (raw vector) for all kinds; ``Discrete`` (one-hot)
    for ``linear_softmax`` only. Action spaces: 1-D ``Box`` for the Gaussian kinds
    (bounds for :func:`clip_actions` are ``action_space.low`` / ``.high``), ``Discrete``
    for ``linear_softmax``.
    """
    from gymnasium import spaces

    kind = default_policy_kind(action_space) if kind is None else kind
    if kind not in POLICY_KINDS:
        raise InputError(f"unknown policy kind {kind!r}; known kinds: {', '.join(POLICY_KINDS)}")

    def discrete_n(space, what):
        if int(space.start) != 0:
            raise InputError(f"{what} Discrete space must start at 0, got start={space.start}")
        return int(space.n)

    def box_dim(space, what):
        if len(space.shape) != 1:
            raise InputError(f"{what} Box space must be 1-D (flatten it first), got shape {space.shape}")
        return int(space.shape[0])

    if kind == "linear_softmax":
        if not isinstance(action_space, spaces.Discrete):
            raise InputError(
                f"policy kind 'linear_softmax' needs a Discrete action space, got {action_space!r}; "
                "use a Gaussian kind for continuous (Box) actions"
            )
        A = discrete_n(action_space, "action")
        if isinstance(observation_space, spaces.Discrete):
            return LinearSoftmax(discrete_n(observation_space, "observation"), A, one_hot=True, **kw)
        if isinstance(observation_space, spaces.Box):
            return LinearSoftmax(box_dim(observation_space, "observation"), A, **kw)
        raise InputError(f"observation space must be Box or Discrete, got {observation_space!r}")

    if not isinstance(action_space, spaces.Box):
        raise InputError(
            f"policy kind {kind!r} needs a continuous (Box) action space, got {action_space!r}; "
            "use 'linear_softmax' for Discrete actions"
        )
    if not isinstance(observation_space, spaces.Box):
        raise InputError(f"policy kind {kind!r} needs a Box observation space, got {observation_space!r}")
    D, K = box_dim(observation_space, "observation"), box_dim(action_space, "action")
    cls = {"linear_gaussian": LinearGaussian, "linear_gaussian_learned_std": LinearGaussianLearnedStd,
           "mlp_gaussian": MLPGaussian}[kind]
    if "hidden" in kw:
        kw["hidden"] = tuple(int(h) for h in kw["hidden"])
    return cls(D, K, **kw)
