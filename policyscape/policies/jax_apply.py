"""Any JAX ``apply(params, obs)`` as a policy family: Flax, Equinox, Brax … need no file format.

``apply(params, obs [E, D]) → mean [E, K]`` or ``(mean [E, K], log_std [E, K] or [K])``: the
parameters of a Gaussian action distribution for a batch of observations. The params pytree
becomes θ through ``jax.flatten_util.ravel_pytree`` (θ0 = the given params, leaves cast to
float64; all computation in float64 under ``jax.enable_x64`` locally, policyscape never changes
JAX's global configuration). A batch ``thetas [B, n]`` on ``obs [B, E, D]`` is ONE jitted call,
``vmap`` over B of ``apply(unravel(θ_b), obs_b)``.

Actions: ``u = mean + σ ⊙ ε`` with σ = exp(log_std) (the function's own distribution, ``sigma=None``)
or a fixed σ given at call time (mean-only functions need it; σ = 0: deterministic); then, with
``squash=True``, ``tanh(u)`` rescaled to ``[low, high]`` when bounds are given. Without squashing
the rollout engine clips actions to the environment's bounds.

Layout: one group per leaf in ``ravel_pytree`` order, named by its key path; a leaf of two or more
axes is a weight whose output units lie along ``filter_axis`` (default −1: Flax's ``kernel [in, out]``;
pass 0 for Equinox/torch-style ``weight [out, in]``), so filter-normalized directions work per unit.
"""

from __future__ import annotations

import math

import numpy as np

from policyscape.errors import InputError
from policyscape.policies.continuous import _HALF_LOG_2PI, _HALF_LOG_2PIE, _check_obs, _check_thetas, check_sigma
from policyscape.policies.layout import Group, Layout


class JaxApplyPolicy:
    """A Gaussian policy family from a JAX ``apply`` and its params pytree (module docstring)."""

    def __init__(self, apply, params, obs_dim: int, act_dim: int, *, squash: bool = False, low=None, high=None,
                 filter_axis: int = -1, name: str = "jax apply"):
        import jax
        from jax.flatten_util import ravel_pytree

        self.apply, self.obs_dim, self.act_dim = apply, int(obs_dim), int(act_dim)
        self.squash = bool(squash)
        self.low = None if low is None else np.asarray(low, np.float64).reshape(self.act_dim)
        self.high = None if high is None else np.asarray(high, np.float64).reshape(self.act_dim)
        if (self.low is None) != (self.high is None):
            raise InputError("pass both low and high (the bounds tanh-squashed actions are rescaled to) or neither")
        self.kind, self.normalized = name, False
        with jax.enable_x64(True):
            params = jax.tree_util.tree_map(lambda x: np.asarray(x, np.float64), params)
            flat, self._unravel = ravel_pytree(params)
            self.theta0 = np.asarray(flat, np.float64)
            leaves = jax.tree_util.tree_flatten_with_path(params)[0]
            groups = []
            for path, leaf in leaves:
                shape = tuple(int(d) for d in np.shape(leaf))
                axis = None if len(shape) < 2 else filter_axis % len(shape)
                groups.append(Group(jax.tree_util.keystr(path) or "params", shape, axis))
            self.layout = Layout(tuple(groups))
            if self.layout.size != self.theta0.size:
                raise InputError(f"the params pytree has {self.theta0.size} numbers but its leaves {self.layout.size}")
            out = apply(params, np.zeros((2, self.obs_dim)))
            self.own_sigma = isinstance(out, (tuple, list))
            mean = out[0] if self.own_sigma else out
            if self.own_sigma and len(out) != 2:
                raise InputError(f"apply must return mean or (mean, log_std), got a tuple of {len(out)}")
            if np.shape(mean) != (2, self.act_dim):
                raise InputError(f"apply(params, obs [E, {self.obs_dim}]) must give a mean [E, {self.act_dim}], got "
                                 f"shape {np.shape(mean)}")

        def batched(thetas, obs):
            def one(theta, o):
                out = apply(self._unravel(theta), o)
                if not self.own_sigma:
                    return out, jax.numpy.zeros_like(out)
                mean, log_std = out
                return mean, jax.numpy.broadcast_to(log_std, mean.shape)

            return jax.vmap(one)(thetas, obs)

        self._batched = batched
        self._jitted = jax.jit(batched)

    @property
    def num_params(self) -> int:
        return self.layout.size

    def param_count_formula(self) -> str:
        return f"{self.layout.describe()} ({self.kind})"

    def initial_params(self, seed: int = 0, num: int = 1) -> np.ndarray:
        return np.tile(self.theta0, (int(num), 1))

    def check_spaces(self, observation_space, action_space, env_id: str) -> None:
        from gymnasium import spaces

        if not (isinstance(observation_space, spaces.Box) and isinstance(action_space, spaces.Box)
                and observation_space.shape == (self.obs_dim,) and action_space.shape == (self.act_dim,)):
            raise InputError(f"{self.kind}: {self.obs_dim} observations → {self.act_dim} actions, but {env_id} has "
                             f"{observation_space} and {action_space}")

    def describe(self) -> str:
        sigma = "its own log σ" if self.own_sigma else "mean only (σ fixed at call time)"
        return f"{self.kind} policy, {sigma}; observations not normalized; θ = {self.layout.describe()}"

    # ------------------------------------------------------------------ forward pass

    def _forward(self, thetas, obs, xp=np):
        """(mean, log_std) [B, E, K]; numpy in → numpy out through the jitted call, jax.numpy traced as is."""
        import jax

        if xp is not np:
            return self._batched(thetas, obs)
        thetas = _check_thetas(self, thetas)
        obs = _check_obs(obs, thetas.shape[0], self.obs_dim)
        with jax.enable_x64(True):
            mean, log_std = self._jitted(thetas, obs)
            return np.asarray(mean, np.float64), np.asarray(log_std, np.float64)

    def _scale(self, log_std, sigma, xp=np):
        if sigma is not None:
            return check_sigma(sigma)
        if not self.own_sigma:
            raise InputError(f"{self.kind}: apply returns a mean only; pass a fixed sigma (σ = 0: deterministic)")
        return xp.exp(log_std)

    def _to_env(self, u):
        if not self.squash:
            return u
        a = np.tanh(u)
        return a if self.low is None else self.low + 0.5 * (a + 1.0) * (self.high - self.low)

    def mean(self, thetas, obs, xp=np):
        return self._forward(thetas, obs, xp)[0]

    def mode(self, thetas, obs) -> np.ndarray:
        return self._to_env(self.mean(thetas, obs))

    def act(self, thetas, obs, noise, sigma=None) -> np.ndarray:
        mean, log_std = self._forward(thetas, obs)
        noise = np.asarray(noise, np.float64)
        if noise.shape != mean.shape:
            raise InputError(f"noise must have shape {mean.shape} (standard normal), got {noise.shape}")
        return self._to_env(mean + self._scale(log_std, sigma) * noise)

    def log_prob(self, thetas, obs, actions, sigma=None, xp=np):
        """Gaussian log-density of the raw (unsquashed) action → [B, E]; ``xp``: numpy or jax.numpy."""
        if self.squash:
            raise InputError(f"{self.kind}: log_prob of squashed actions is not implemented (evaluation only samples)")
        mean, log_std = self._forward(thetas, obs, xp)
        if sigma is not None:
            if check_sigma(sigma) == 0.0:
                raise InputError("log_prob needs sigma > 0 (a σ = 0 policy is deterministic), got sigma=0")
            log_std = math.log(sigma)
        elif not self.own_sigma:
            raise InputError(f"{self.kind}: apply returns a mean only; pass a fixed sigma")
        z = (actions - mean) * xp.exp(-log_std)
        return xp.sum(-0.5 * z * z - log_std - _HALF_LOG_2PI, axis=-1)

    def entropy(self, thetas, obs, sigma=None, xp=np):
        """Differential entropy of the Gaussian (before any squashing) per state → [B, E]."""
        mean, log_std = self._forward(thetas, obs, xp)
        if sigma is not None:
            s = check_sigma(sigma)
            return xp.full(mean.shape[:-1], -math.inf if s == 0 else self.act_dim * (_HALF_LOG_2PIE + math.log(s)))
        if not self.own_sigma:
            raise InputError(f"{self.kind}: apply returns a mean only; pass a fixed sigma")
        return xp.sum(log_std + _HALF_LOG_2PIE, axis=-1)
