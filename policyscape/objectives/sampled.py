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

The episodes are stepped by the one rollout engine, :class:`policyscape.envs.rollout.Rollouts`
(which also chooses the backend: batched MuJoCo locomotion, batched classic control, or the
Gymnasium loop; see its docstring); this module seeds the episodes and reduces them to returns.

Actions of Box action spaces are clipped to the bounds before the env sees them (paper
Section 3.2); the policy's noise is added before clipping.
"""

from __future__ import annotations

import numpy as np

from policyscape.envs.rollout import Rollouts, episode_streams, mean_stderr
from policyscape.errors import InputError
from policyscape.objectives.base import PolicyObjective, StochasticObjective
from policyscape.policies.continuous import LinearSoftmax, check_sigma, default_policy_kind, make_policy

FIELDS = ("value", "value_stderr", "return", "return_stderr", "discounted_return", "discounted_stderr", "env_steps",
          "nonfinite_episodes")


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


def episode_sequence(seed, k: int, b: int | None = None) -> np.random.SeedSequence:
    """The ``SeedSequence`` of episode ``k`` (CRN: ``b=None``; else of θ-row ``b``): module docstring."""
    return np.random.SeedSequence(seed, spawn_key=(0, int(k)) if b is None else (1, int(b), int(k)))


def episode_seed_sequence(seed, k: int, b: int | None = None) -> tuple[int, np.random.Generator]:
    """(reset seed, noise generator) of episode ``k`` (CRN: ``b=None``; else of θ-row ``b``).

    See the module docstring: ``SeedSequence(seed, spawn_key=(0, k))`` with CRN,
    ``(1, b, k)`` without; its first child gives the reset seed, its second the noise.
    """
    return episode_streams(episode_sequence(seed, k, b))


# --------------------------------------------------------------------------- the objective


class SampledObjective(StochasticObjective, PolicyObjective):
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
      policy: a policy object instead of ``policy_kind`` (e.g. a loaded agent,
        ``policies.agent.AgentPolicy``, or ``policies.jax_apply.JaxApplyPolicy``); its ``kind``
        names it, it checks the environment's spaces (``check_spaces``), and ``sigma`` is passed to
        it as it is (None: the policy's own distribution).
      **policy_kw: passed to the policy constructor (e.g. ``hidden=(32,)``).
    """

    fields = FIELDS

    def __init__(self, env_id: str, policy_kind: str | None = None, sigma: float | None = 0.1, episodes: int = 16,
                 discount: float = 0.995, crn: bool = True, seed=0, max_steps: int | None = None, policy=None,
                 **policy_kw):
        engine = Rollouts(env_id, max_steps)
        if isinstance(episodes, bool) or not isinstance(episodes, (int, np.integer)) or episodes < 1:
            raise InputError(f"episodes must be an integer >= 1, got {episodes!r}")
        try:
            discount = float(discount)
        except (TypeError, ValueError):
            raise InputError(f"discount must be a number in [0, 1], got {discount!r}") from None
        if not (0.0 <= discount <= 1.0):
            raise InputError(f"discount must be a number in [0, 1], got {discount!r}")
        self.seed = _check_seed(seed)
        obs_space, act_space = engine.observation_space, engine.action_space

        if policy is not None:
            if policy_kind is not None or policy_kw:
                raise InputError("pass either a policy object or policy_kind and its options, not both")
            policy.check_spaces(obs_space, act_space, env_id)
            self.policy, policy_kind = policy, policy.kind
            sigma = check_sigma(sigma, required=False)
        else:
            self.policy = make_policy(policy_kind, obs_space, act_space, **policy_kw)
            policy_kind = policy_kind or default_policy_kind(act_space)
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
        self.engine = engine
        self.max_steps = engine.max_steps
        self.observation_space, self.action_space = obs_space, act_space
        self.name = (f"sampled:{env_id}({policy_kind}, sigma={sigma}, episodes={self.episodes}, "
                     f"discount={discount:g}, crn={self.crn}, max_steps={self.max_steps})")
        if policy is not None:  # what was loaded, and whether observations are normalized
            self.name = f"{self.name[:-1]}; {policy.describe()})"

    @property
    def num_params(self) -> int:
        return self.policy.num_params

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
        seeds = self.episode_seeds(thetas.shape[0], self.seed if seed is None else seed)
        return self.reduce(self.engine.run(self.policy, thetas, seeds, sigma=self.sigma, discount=self.discount))

    def episode_seeds(self, num_thetas: int, seed) -> list:
        """The ``SeedSequence`` of every episode of :meth:`evaluate` (module docstring): ``[E]`` with
        common random numbers, else ``[num_thetas][E]``."""
        seed, E = _check_seed(seed), self.episodes
        if self.crn:
            return [episode_sequence(seed, k) for k in range(E)]
        return [[episode_sequence(seed, k, b) for k in range(E)] for b in range(num_thetas)]

    def reduce(self, episodes) -> dict[str, np.ndarray]:
        """:class:`~policyscape.envs.rollout.Episodes` [B, E] → the dict of [B] arrays of :meth:`evaluate`."""
        valid = episodes.valid
        ret, ret_se = mean_stderr(episodes.returns, valid)
        disc, disc_se = mean_stderr(episodes.discounted_returns, valid)
        return {
            "value": ret, "value_stderr": ret_se, "return": ret.copy(), "return_stderr": ret_se.copy(),
            "discounted_return": disc, "discounted_stderr": disc_se,
            "env_steps": episodes.steps.sum(axis=1),
            "nonfinite_episodes": (~valid).sum(axis=1),
        }
