"""Sampled objectives: Monte Carlo returns of a policy family on a Gymnasium environment.

For a batch ``thetas [B, n]`` and E episodes per θ, all B·E (θ, episode) pairs step in
lockstep: at every time step ONE batched policy forward pass (``policy.act`` on
``obs [B, E, ...]``) and one backend step of the still-running episodes (``active`` mask).
An episode ends on termination or at the time limit. Per θ, with ``G_k = Σ_t r_t`` and
``G^γ_k = Σ_t γ^t r_t`` (t counted from 0 within episode k)::

    value              = return = (1/E) Σ_k G_k          (mean UNDISCOUNTED episodic return)
    return_stderr      = std_k(G_k) / √E                 (sample std, ddof = 1; NaN when E = 1)
    discounted_return  = (1/E) Σ_k G^γ_k,   discounted_stderr likewise
    env_steps          = Σ_k (steps of episode k)        (environment steps spent on this θ)
    nonfinite_episodes = episodes stopped because the environment returned a NaN/inf reward or
                         observation; they are left out of every mean above (counted, never
                         averaged in; all episodes non-finite → NaN)

``value`` is the undiscounted return, the quantity the paper's continuous-control curves
report; ``discounted_return`` with ``discount = mdp.gamma`` estimates the exact tabular
objective's ``"return"`` (``ExactObjective``), which is what the tests compare.

Randomness (all from explicit seeds, never the clock). ``evaluate(thetas, seed=None)``
uses ``seed`` (default: the objective's ``seed``); an int or a tuple of non-negative
ints, e.g. ``(run_seed, point_index)`` for the i-th point of an analysis, so a call's
result depends only on (seed, θ) — not on call order, batch split or worker count.
Episode k of θ-row b draws everything from one ``numpy.random.SeedSequence``
(:func:`episode_seed_sequence`)::

    crn=True:   SeedSequence(seed, spawn_key=(0, k))       shared by every θ in the call
    crn=False:  SeedSequence(seed, spawn_key=(1, b, k))    own stream per (θ-row, episode)

whose two children give the reset seed (``env.reset(seed=s)``, an int < 2³²) and the
action-noise generator; the noise of step t is that generator's t-th draw (standard
normal ``[act_dim]`` for Gaussian policies, one uniform for softmax), drawn whether or
not the episode is still running. With CRN, episode k of every θ therefore starts from
the same state and sees the same noise sequence: two equal θ in a batch get equal
returns, and differences ``O(θ + αd) − O(θ)`` have much lower variance.

Backends (``reset(seeds [N]) -> obs [N, ...]``, ``step(actions [N, ...], active [N]) ->
(obs, reward, terminated, truncated)``, flags sticky, inactive rows: reward 0):
:class:`~policyscape.envs.mujoco_batch.BatchedLocomotion` for Hopper-v5, Walker2d-v5 and
HalfCheetah-v5 (fast, bit-identical to Gymnasium); :class:`GymLoopBackend` for any other
Gymnasium id (``policyscape/`` tabular ids, classic control): N ``gymnasium.make(id)``
envs stepped one after the other in Python — correct but slow.

Actions of Box action spaces are clipped to the bounds before the env sees them (paper
Section 3.2); the policy's noise is added before clipping.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from policyscape.errors import InputError
from policyscape.objectives.base import StochasticObjective
from policyscape.policies.continuous import LinearSoftmax, check_sigma, make_policy

FIELDS = ("value", "value_stderr", "return", "return_stderr", "discounted_return", "discounted_stderr", "env_steps",
          "nonfinite_episodes")

_NOISE_CHUNK = 64  # steps of noise drawn per generator call (does not change the numbers)


# --------------------------------------------------------------------------- seeds


def _check_seed(seed, what: str = "seed") -> int | tuple[int, ...]:
    """An int >= 0 or a non-empty tuple of ints >= 0 (``SeedSequence`` entropy)."""
    items = seed if isinstance(seed, (tuple, list)) else (seed,)
    ok = len(items) > 0 and all(
        isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)) and x >= 0 for x in items
    )
    if not ok:
        raise InputError(f"{what} must be a non-negative int or a tuple of non-negative ints, got {seed!r}")
    return tuple(int(x) for x in items) if isinstance(seed, (tuple, list)) else int(seed)


def episode_seed_sequence(seed, k: int, b: int | None = None) -> tuple[int, np.random.Generator]:
    """(reset seed, noise generator) of episode ``k`` (CRN: ``b=None``; else of θ-row ``b``).

    See the module docstring: ``SeedSequence(seed, spawn_key=(0, k))`` with CRN,
    ``(1, b, k)`` without; its first child gives the reset seed, its second the noise.
    """
    key = (0, int(k)) if b is None else (1, int(b), int(k))
    reset_ss, noise_ss = np.random.SeedSequence(seed, spawn_key=key).spawn(2)
    return int(reset_ss.generate_state(1, np.uint32)[0]), np.random.default_rng(noise_ss)


# --------------------------------------------------------------------------- backends


class Backend(Protocol):
    """N episodes stepped in lockstep; see the module docstring."""

    num_envs: int

    def reset(self, seeds: np.ndarray) -> np.ndarray: ...

    def step(self, actions: np.ndarray, active: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]: ...


class GymLoopBackend:
    """N ``gymnasium.make(env_id, max_episode_steps=…)`` envs, the active ones stepped in a loop.

    The fallback for every id that has no batched backend; rows of inactive envs keep their
    last observation, reward 0 and their (sticky) flags, as :class:`BatchedLocomotion` does.
    """

    def __init__(self, env_id: str, num_envs: int, max_episode_steps: int):
        import gymnasium

        self.env_id = env_id
        self.num_envs = int(num_envs)
        self.envs = [gymnasium.make(env_id, max_episode_steps=int(max_episode_steps)) for _ in range(self.num_envs)]
        self._obs: np.ndarray | None = None
        self._terminated = np.zeros(self.num_envs, dtype=bool)
        self._truncated = np.zeros(self.num_envs, dtype=bool)

    def reset(self, seeds: np.ndarray) -> np.ndarray:
        seeds = np.asarray(seeds)
        if seeds.shape != (self.num_envs,):
            raise InputError(f"seeds must have shape ({self.num_envs},) (one per env), got {seeds.shape}")
        self._obs = np.stack([np.asarray(env.reset(seed=int(s))[0]) for env, s in zip(self.envs, seeds)])
        self._terminated[:] = False
        self._truncated[:] = False
        return self._obs.copy()

    def step(self, actions: np.ndarray, active: np.ndarray):
        if self._obs is None:
            raise InputError("step() called before reset(seeds)")
        active = np.asarray(active, dtype=bool)
        if np.any(active & (self._terminated | self._truncated)):
            raise InputError("some active envs have ended their episodes; leave them inactive")
        rewards = np.zeros(self.num_envs)
        for i in np.flatnonzero(active):
            obs, r, term, trunc, _ = self.envs[i].step(actions[i])
            self._obs[i] = np.asarray(obs)
            rewards[i] = float(r)
            self._terminated[i] = bool(term)
            self._truncated[i] = bool(trunc)
        return self._obs.copy(), rewards, self._terminated.copy(), self._truncated.copy()

    def close(self) -> None:
        for env in self.envs:
            env.close()


def _known_env_ids() -> list[str]:
    import gymnasium

    import policyscape.envs  # noqa: F401  (registers the policyscape/ ids)

    return sorted(gymnasium.registry)


# --------------------------------------------------------------------------- the objective


class SampledObjective(StochasticObjective):
    """Monte Carlo return of ``policy_kind`` on ``env_id`` for a batch of θ (module docstring).

    Args:
      env_id: a Gymnasium id (``Hopper-v5``, ``CartPole-v1``, ``policyscape/SymmetricGridworld-v0``, …).
      policy_kind: one of ``policies.continuous.POLICY_KINDS``; ``None`` (default): follows the
        action space (Box → ``linear_gaussian``, Discrete → ``linear_softmax``, one-hot for
        Discrete observations).
      sigma: Gaussian action std (>= 0; 0 is the deterministic mean policy). Ignored by
        ``linear_softmax``; for ``linear_gaussian_learned_std`` a float overrides the learned σ,
        ``None`` uses it.
      episodes: E, episodes per θ (>= 1).
      discount: γ ∈ [0, 1] of ``discounted_return``.
      crn: common random numbers across the θ of one call (module docstring).
      seed: default seed of :meth:`evaluate` (int or tuple of non-negative ints).
      max_steps: time limit per episode, replacing the env's own (``None``: the env's
        registered limit; an env without one, e.g. the tabular ids, needs ``max_steps``).
      **policy_kw: passed to the policy constructor (e.g. ``hidden=(32,)``).
    """

    fields = FIELDS

    def __init__(self, env_id: str, policy_kind: str | None = None, sigma: float | None = 0.1, episodes: int = 16,
                 discount: float = 0.995, crn: bool = True, seed=0, max_steps: int | None = None, **policy_kw):
        import gymnasium

        known = _known_env_ids()
        if not isinstance(env_id, str) or env_id not in gymnasium.registry:
            from policyscape.envs.registry import unknown_env_error

            raise unknown_env_error(str(env_id), known)
        if isinstance(episodes, bool) or not isinstance(episodes, (int, np.integer)) or episodes < 1:
            raise InputError(f"episodes must be an integer >= 1, got {episodes!r}")
        try:
            discount = float(discount)
        except (TypeError, ValueError):
            raise InputError(f"discount must be a number in [0, 1], got {discount!r}") from None
        if not (0.0 <= discount <= 1.0):
            raise InputError(f"discount must be a number in [0, 1], got {discount!r}")
        if max_steps is not None and (isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer))
                                      or max_steps < 1):
            raise InputError(f"max_steps must be a positive integer or None, got {max_steps!r}")
        self.seed = _check_seed(seed)

        env = gymnasium.make(env_id)
        try:
            obs_space, act_space = env.observation_space, env.action_space
            env_limit = env.spec.max_episode_steps if env.spec is not None else None
        finally:
            env.close()
        if max_steps is None:
            if env_limit is None:
                raise InputError(f"{env_id} has no time limit of its own; pass max_steps (a positive integer)")
            max_steps = int(env_limit)

        if policy_kind is None:
            policy_kind = "linear_softmax" if isinstance(act_space, gymnasium.spaces.Discrete) else "linear_gaussian"
        self.policy = make_policy(policy_kind, obs_space, act_space, **policy_kw)
        if isinstance(self.policy, LinearSoftmax):
            check_sigma(sigma, required=False)  # still reject a negative σ
            sigma = None
        else:
            sigma = check_sigma(sigma, required=policy_kind != "linear_gaussian_learned_std")
        self.env_id = env_id
        self.policy_kind = policy_kind
        self.sigma = sigma
        self.episodes = int(episodes)
        self.discount = discount
        self.crn = bool(crn)
        self.max_steps = int(max_steps)
        self.observation_space, self.action_space = obs_space, act_space
        self._discrete_actions = isinstance(act_space, gymnasium.spaces.Discrete)
        if self._discrete_actions:
            self._act_shape: tuple[int, ...] = ()
            self._low = self._high = None
        else:
            self._act_shape = (int(act_space.shape[0]),)
            self._low = np.asarray(act_space.low, dtype=np.float64)
            self._high = np.asarray(act_space.high, dtype=np.float64)
        self._backend = None
        self.name = (f"sampled:{env_id}({policy_kind}, sigma={sigma}, episodes={self.episodes}, "
                     f"discount={discount:g}, crn={self.crn}, max_steps={self.max_steps})")

    @property
    def num_params(self) -> int:
        return self.policy.num_params

    def _get_backend(self, num_envs: int) -> Backend:
        """The backend for ``num_envs`` episodes (kept while the batch size stays the same)."""
        if self._backend is not None and self._backend.num_envs == num_envs:
            return self._backend
        from policyscape.envs.mujoco_batch import SPECS
        from policyscape.envs.classic_batch import CLASSIC_SPECS, BatchedClassicControl

        if self._backend is not None and hasattr(self._backend, "close"):
            self._backend.close()
        if self.env_id in SPECS:
            from policyscape.envs.mujoco_batch import BatchedLocomotion

            self._backend = BatchedLocomotion(self.env_id, num_envs, max_episode_steps=self.max_steps)
        elif self.env_id in CLASSIC_SPECS:
            self._backend = BatchedClassicControl(self.env_id, num_envs, max_episode_steps=self.max_steps)
        else:
            self._backend = GymLoopBackend(self.env_id, num_envs, self.max_steps)
        return self._backend

    def _check_thetas(self, thetas) -> np.ndarray:
        arr = np.asarray(thetas, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != self.num_params:
            raise InputError(f"theta must have length {self.policy.param_count_formula()} "
                             f"(shape [n] or [B, n]) for {self.env_id}, got shape {np.shape(thetas)}")
        if not np.all(np.isfinite(arr)):
            raise InputError("theta must be finite, got non-finite entries")
        return arr

    def evaluate(self, thetas, seed=None) -> dict[str, np.ndarray]:
        """thetas [B, n] (or [n]) → dict of [B] arrays, keys :data:`FIELDS` (module docstring).

        ``seed``: int or tuple of non-negative ints; ``None``: the objective's ``seed``. Equal
        (seed, θ) give equal results.
        """
        thetas = self._check_thetas(thetas)
        seed = self.seed if seed is None else _check_seed(seed)
        B, E, T = thetas.shape[0], self.episodes, self.max_steps
        K = self._act_shape[0] if self._act_shape else 0
        gaussian = not self._discrete_actions

        # streams: CRN → one per episode (broadcast over B); otherwise one per (b, k)
        if self.crn:
            pairs = [episode_seed_sequence(seed, k) for k in range(E)]
            reset_seeds = np.tile(np.array([s for s, _ in pairs], dtype=np.int64), B)
        else:
            pairs = [episode_seed_sequence(seed, k, b) for b in range(B) for k in range(E)]
            reset_seeds = np.array([s for s, _ in pairs], dtype=np.int64)
        rngs = [g for _, g in pairs]
        stream_shape = (E,) if self.crn else (B, E)

        def draw_chunk(steps: int) -> np.ndarray:
            """Noise for the next ``steps`` steps: [*stream_shape, steps(, K)]."""
            shape = (steps, K) if gaussian else (steps,)
            out = np.stack([g.standard_normal(shape) if gaussian else g.random(shape) for g in rngs])
            return out.reshape(*stream_shape, *shape)

        backend = self._get_backend(B * E)
        obs = np.asarray(backend.reset(reset_seeds))
        G = np.zeros(B * E)
        G_disc = np.zeros(B * E)
        steps = np.zeros(B * E, dtype=np.int64)
        active = np.ones(B * E, dtype=bool)
        nonfinite = np.zeros(B * E, dtype=bool)
        chunk, t0 = None, 0
        for t in range(T):
            if not active.any():
                break
            if t - t0 >= (0 if chunk is None else chunk.shape[len(stream_shape)]):
                chunk, t0 = draw_chunk(min(_NOISE_CHUNK, T - t)), t
            eps = chunk[(slice(None),) * len(stream_shape) + (t - t0,)]
            eps = np.broadcast_to(eps, (B, E, *eps.shape[1:])) if self.crn else eps
            obs_b = obs.reshape(B, E, *obs.shape[1:]).astype(np.float64, copy=False)
            if gaussian:
                actions = self.policy.act(thetas, obs_b, eps, self.sigma, self._low, self._high)
                actions = actions.reshape(B * E, K)
            else:
                actions = self.policy.act(thetas, obs_b, eps).reshape(B * E)
            obs, r, terminated, truncated = backend.step(actions, active)
            obs = np.asarray(obs)
            bad = active & ~(np.isfinite(r) & np.isfinite(obs.reshape(B * E, -1)).all(axis=1))
            nonfinite |= bad
            r = np.where(active & ~bad, r, 0.0)
            G += r
            G_disc += (self.discount ** t) * r
            steps += active
            active = active & ~(np.asarray(terminated) | np.asarray(truncated)) & ~bad

        valid = ~nonfinite.reshape(B, E)
        n_valid = valid.sum(axis=1)

        def mean_se(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """Mean and standard error over each θ's finite episodes (NaN where there are too few)."""
            x = np.where(valid, x.reshape(B, E), 0.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = x.sum(axis=1) / n_valid
                var = (np.where(valid, x - mean[:, None], 0.0) ** 2).sum(axis=1) / (n_valid - 1)
                se = np.where(n_valid > 1, np.sqrt(var / n_valid), np.nan)
            return np.where(n_valid > 0, mean, np.nan), se

        ret, ret_se = mean_se(G)
        disc, disc_se = mean_se(G_disc)
        return {
            "value": ret, "value_stderr": ret_se, "return": ret.copy(), "return_stderr": ret_se.copy(),
            "discounted_return": disc, "discounted_stderr": disc_se,
            "env_steps": steps.reshape(B, E).sum(axis=1),
            "nonfinite_episodes": (~valid).sum(axis=1),
        }
