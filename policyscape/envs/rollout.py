"""The one rollout engine: every (θ, episode) pair of a batch stepped in lockstep over a backend.

Evaluation (``objectives.sampled``) reduces the episodes to returns; training
(``optimize.reinforce``) also records what it needs (observations, actions, rewards, mask).
Both run :meth:`Rollouts.run`, so they see the same episodes for the same θ and seeds.

Backends (chosen in ONE place, :func:`make_backend`), all with the protocol of
``envs.batched``: ``reset(seeds [N]) → obs [N, …]``, ``step(actions [N, …], active [N]) →
(obs, reward, terminated, truncated)``, flags sticky, inactive rows reward 0:

- :class:`~policyscape.envs.mujoco_batch.BatchedLocomotion` for Hopper-v5, Walker2d-v5,
  HalfCheetah-v5 (``mujoco.batch``, bit-identical to Gymnasium);
- :class:`~policyscape.envs.classic_batch.BatchedClassicControl` for CartPole-v1, Pendulum-v1
  (numpy, bit-identical to Gymnasium);
- :class:`GymLoopBackend` for every other Gymnasium id (``policyscape/`` tabular ids, …):
  N ``gymnasium.make(id)`` envs stepped one after the other in Python — correct but slow.

One call, for ``thetas [B, n]`` and episode seeds ``[E]`` (shared by every θ row: common random
numbers) or ``[B, E]`` (one per pair), of ``numpy.random.SeedSequence``:

1. episode (b, k)'s sequence spawns two children (:func:`episode_streams`): the first gives the
   reset seed (``env.reset(seed=s)``, an int < 2³²), the second the action-noise generator, whose
   t-th draw is the noise of step t (standard normal ``[act_dim]`` for Gaussian policies, one
   uniform for softmax), drawn whether or not the episode still runs (draws are made in chunks
   of 64 steps; the values do not depend on the chunking);
2. at every step, ONE batched policy call for all pairs: ``policy.act(thetas, obs [B, E, …], noise,
   sigma)`` (the *raw* sample), or ``policy.mode(thetas, obs)`` when ``deterministic`` (the mean
   of a Gaussian, the greedy action of a softmax); Box actions are clipped to the action bounds
   before the environment sees them (the policy's noise is added before clipping; training uses
   the log-probability of the raw sample, as the paper's code);
3. one backend step of the still-running pairs (``active``). An episode ends on termination, at
   the time limit, or when the environment returns a NaN/inf reward or observation: that step's
   reward is dropped, the episode stops and is flagged ``nonfinite`` (its observation is zeroed
   so that the later batched policy calls see finite inputs). Everything that reduces
   episodes (mean returns, REINFORCE's weights and gradient) leaves flagged episodes out and
   counts them, so evaluation and training treat a broken simulator alike.

Per pair the engine accumulates ``returns = Σ_t r_t``, ``discounted_returns = Σ_t γ^t r_t``
(t from 0) and ``steps`` (environment steps, the non-finite one included); with ``record`` it
also keeps ``obs [B, E, T, …]`` (the observation each action was taken in), raw ``actions``,
``rewards [B, E, T]`` and ``mask [B, E, T]`` (True while the episode runs, padding False).
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

import numpy as np

from policyscape.errors import InputError

_NOISE_CHUNK = 64  # steps of noise drawn per generator call (does not change the numbers)


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


BACKENDS = ("auto", "gym")


def make_backend(env_id: str, num_envs: int, max_steps: int, kind: str = "auto") -> Backend:
    """The backend of ``env_id`` for ``num_envs`` episodes of at most ``max_steps`` steps.

    ``kind="auto"``: the batched backend of the id when there is one (module docstring), else the
    Gymnasium loop; ``"gym"``: the Gymnasium loop always (the reference, and a benchmark baseline).
    """
    if kind not in BACKENDS:
        raise InputError(f"backend must be one of {BACKENDS}, got {kind!r}")
    if kind == "auto":
        from policyscape.envs.classic_batch import CLASSIC_SPECS, BatchedClassicControl
        from policyscape.envs.mujoco_batch import SPECS

        if env_id in SPECS:
            from policyscape.envs.mujoco_batch import BatchedLocomotion

            return BatchedLocomotion(env_id, num_envs, max_episode_steps=max_steps)
        if env_id in CLASSIC_SPECS:
            return BatchedClassicControl(env_id, num_envs, max_episode_steps=max_steps)
    return GymLoopBackend(env_id, num_envs, max_steps)


# --------------------------------------------------------------------------- seeds


def episode_streams(sequence: np.random.SeedSequence) -> tuple[int, np.random.Generator]:
    """(reset seed, noise generator) of the episode whose ``SeedSequence`` is ``sequence`` (module docstring).

    The two children are those that ``sequence.spawn(2)`` gives a fresh sequence, made without
    spawning (``spawn`` is stateful: a sequence reused across calls would give new children).
    """
    reset_ss, noise_ss = (np.random.SeedSequence(sequence.entropy, spawn_key=(*sequence.spawn_key, i),
                                                 pool_size=sequence.pool_size) for i in range(2))
    return int(reset_ss.generate_state(1, np.uint32)[0]), np.random.default_rng(noise_ss)


# --------------------------------------------------------------------------- reductions


def mean_stderr(x: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over each row's valid entries: x, valid [B, E] → ([B], [B]).

    ``stderr = √(Σ (x − mean)² / (n − 1) / n)`` over the n valid entries (sample std, ddof = 1);
    NaN where there are too few (mean: n = 0; stderr: n < 2). Flagged (non-finite) episodes
    are never averaged in.
    """
    B, E = valid.shape
    n_valid = valid.sum(axis=1)
    x = np.where(valid, x.reshape(B, E), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = x.sum(axis=1) / n_valid
        var = (np.where(valid, x - mean[:, None], 0.0) ** 2).sum(axis=1) / (n_valid - 1)
        se = np.where(n_valid > 1, np.sqrt(var / n_valid), np.nan)
    return np.where(n_valid > 0, mean, np.nan), se


# --------------------------------------------------------------------------- the engine


class Episodes(NamedTuple):
    """B θ-rows × E episodes (module docstring); the recorded fields are None unless ``record``."""

    returns: np.ndarray  # [B, E] Σ_t r_t (non-finite episodes: the finite rewards before they stopped)
    discounted_returns: np.ndarray  # [B, E] Σ_t γ^t r_t
    steps: np.ndarray  # [B, E] environment steps
    nonfinite: np.ndarray  # [B, E] bool: stopped by a NaN/inf reward or observation; leave it out
    obs: np.ndarray | None = None  # [B, E, T, *obs_shape] float64, the observation each action was taken in
    actions: np.ndarray | None = None  # [B, E, T, K] raw (unclipped) samples, or [B, E, T] ints
    rewards: np.ndarray | None = None  # [B, E, T] (0 where masked)
    mask: np.ndarray | None = None  # [B, E, T] bool, True while the episode runs

    @property
    def valid(self) -> np.ndarray:
        """[B, E] bool: the episodes to average over (not stopped by a non-finite value)."""
        return ~self.nonfinite


class Rollouts:
    """The rollout engine of one Gymnasium id: spaces, time limit, action bounds and backends.

    Args:
      env_id: a Gymnasium id (``Hopper-v5``, ``CartPole-v1``, ``policyscape/SymmetricGridworld-v0``, …).
      max_steps: time limit per episode, replacing the env's own (``None``: the env's registered
        limit; an env without one, e.g. the tabular ids, needs ``max_steps``).
      backend: ``"auto"`` or ``"gym"`` (:func:`make_backend`).

    Public attributes: ``observation_space``, ``action_space``, ``max_steps``, ``discrete``
    (Discrete actions), ``act_dim`` (0 for Discrete actions), ``low``/``high`` (Box action
    bounds, float64, or None). One backend is kept per number of envs.
    """

    def __init__(self, env_id: str, max_steps: int | None = None, backend: str = "auto"):
        import gymnasium

        import policyscape.envs  # noqa: F401  (registers the policyscape/ ids)

        if not isinstance(env_id, str) or env_id not in gymnasium.registry:
            from policyscape.envs.registry import unknown_env_error

            raise unknown_env_error(str(env_id), sorted(gymnasium.registry))
        if max_steps is not None and (isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer))
                                      or max_steps < 1):
            raise InputError(f"max_steps must be a positive integer or None, got {max_steps!r}")
        if backend not in BACKENDS:
            raise InputError(f"backend must be one of {BACKENDS}, got {backend!r}")
        env = gymnasium.make(env_id)
        try:
            self.observation_space, self.action_space = env.observation_space, env.action_space
            env_limit = env.spec.max_episode_steps if env.spec is not None else None
        finally:
            env.close()
        if max_steps is None:
            if env_limit is None:
                raise InputError(f"{env_id} has no time limit of its own; pass max_steps (a positive integer)")
            max_steps = int(env_limit)
        self.env_id, self.max_steps, self.backend_kind = env_id, int(max_steps), backend
        self.discrete = isinstance(self.action_space, gymnasium.spaces.Discrete)
        if self.discrete:
            self.act_dim, self.low, self.high = 0, None, None
        else:
            self.act_dim = int(self.action_space.shape[0])
            self.low = np.asarray(self.action_space.low, dtype=np.float64)
            self.high = np.asarray(self.action_space.high, dtype=np.float64)
        self._backends: dict[int, Backend] = {}

    def backend(self, num_envs: int) -> Backend:
        """The backend for ``num_envs`` episodes (built once per size)."""
        if num_envs not in self._backends:
            self._backends[num_envs] = make_backend(self.env_id, num_envs, self.max_steps, self.backend_kind)
        return self._backends[num_envs]

    def use_backend(self, backend: Backend) -> None:
        """Step ``backend.num_envs`` episodes on ``backend`` from now on (e.g. a recording wrapper)."""
        self._backends[backend.num_envs] = backend

    def run(self, policy, thetas, seeds, *, sigma: float | None = None, deterministic: bool = False,
            discount: float = 1.0, record: bool = False) -> Episodes:
        """thetas [B, n] → :class:`Episodes` of E episodes per θ (module docstring).

        ``seeds``: ``SeedSequence`` objects, ``[E]`` (common random numbers: episode k of every θ
        row draws from ``seeds[k]``) or ``[B, E]`` (episode k of row b from ``seeds[b][k]``).
        ``sigma``: the Gaussian σ given to ``policy.act`` (None for softmax, or a learned σ).
        ``deterministic``: ``policy.mode`` instead of a sample (no noise is drawn).
        ``discount``: γ of ``discounted_returns``. ``record``: keep obs/actions/rewards/mask.
        """
        thetas = np.asarray(thetas, dtype=np.float64)
        seeds = np.asarray(seeds, dtype=object)
        B, T, K = thetas.shape[0], self.max_steps, self.act_dim
        crn = seeds.ndim == 1
        if not (crn or (seeds.ndim == 2 and seeds.shape[0] == B)):
            raise InputError(f"seeds must have shape [E] or [B={B}, E] (SeedSequence objects), got {seeds.shape}")
        E = seeds.shape[-1]
        N = B * E
        # streams: CRN → one per episode (broadcast over B); otherwise one per (b, k)
        pairs = [episode_streams(ss) for ss in seeds.ravel()]
        reset_seeds = np.array([s for s, _ in pairs], dtype=np.int64)
        reset_seeds = np.tile(reset_seeds, B) if crn else reset_seeds
        rngs = [g for _, g in pairs]
        stream_shape = seeds.shape

        def draw_chunk(steps: int) -> np.ndarray:
            """Noise for the next ``steps`` steps: [*stream_shape, steps(, K)]."""
            shape = (steps,) if self.discrete else (steps, K)
            out = np.stack([g.random(shape) if self.discrete else g.standard_normal(shape) for g in rngs])
            return out.reshape(*stream_shape, *shape)

        backend = self.backend(N)
        obs = np.asarray(backend.reset(reset_seeds))
        G = np.zeros(N)
        G_disc = np.zeros(N)
        steps = np.zeros(N, dtype=np.int64)
        active = np.ones(N, dtype=bool)
        nonfinite = np.zeros(N, dtype=bool)
        if record:
            rec_obs = np.zeros((N, T, *obs.shape[1:]), dtype=np.float64)
            rec_act = np.zeros((N, T), np.int64) if self.discrete else np.zeros((N, T, K))
            rec_rew = np.zeros((N, T))
            rec_mask = np.zeros((N, T), dtype=bool)
        chunk, t0 = None, 0
        for t in range(T):
            if not active.any():
                break
            obs_b = obs.reshape(B, E, *obs.shape[1:]).astype(np.float64, copy=False)
            if deterministic:
                raw = policy.mode(thetas, obs_b)
            else:
                if t - t0 >= (0 if chunk is None else chunk.shape[len(stream_shape)]):
                    chunk, t0 = draw_chunk(min(_NOISE_CHUNK, T - t)), t
                eps = chunk[(slice(None),) * len(stream_shape) + (t - t0,)]
                eps = np.broadcast_to(eps, (B, E, *eps.shape[1:])) if crn else eps
                raw = policy.act(thetas, obs_b, eps, sigma)
            if self.discrete:
                env_actions = raw.reshape(N)
            else:
                env_actions = np.clip(raw, self.low, self.high).reshape(N, K)
            if record:
                rec_obs[:, t] = obs
                rec_act[:, t] = raw.reshape(N, *rec_act.shape[2:])
                rec_mask[:, t] = active
            obs, r, terminated, truncated = backend.step(env_actions, active)
            obs = np.asarray(obs)
            bad = active & ~(np.isfinite(r) & np.isfinite(obs.reshape(N, -1)).all(axis=1))
            nonfinite |= bad
            if nonfinite.any():  # stopped rows: keep non-finite values out of the next policy call
                obs = obs.copy()
                obs[nonfinite] = 0
            r = np.where(active & ~bad, r, 0.0)
            if record:
                rec_rew[:, t] = r
            G += r
            G_disc += (discount ** t) * r
            steps += active
            active = active & ~(np.asarray(terminated) | np.asarray(truncated)) & ~bad

        def shaped(x):
            return x.reshape(B, E, *x.shape[1:])

        recorded = (shaped(rec_obs), shaped(rec_act), shaped(rec_rew), shaped(rec_mask)) if record else ()
        return Episodes(shaped(G), shaped(G_disc), shaped(steps), shaped(nonfinite), *recorded)

    def close(self) -> None:
        for backend in self._backends.values():
            if hasattr(backend, "close"):
                backend.close()
        self._backends.clear()

