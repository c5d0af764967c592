"""REINFORCE on full trajectories (the paper's Section 3.2 trainer), many seeds at once.

One update, for every seed's θ (a row of ``params [B, n]``), in the paper's form:

1. run E = ``batch_episodes`` episodes of the stochastic policy π_θ (all B·E episodes step in
   lockstep through the one rollout engine, :class:`policyscape.envs.rollout.Rollouts`, which
   records observations, raw actions, rewards and the mask; on its batched backends for the
   MuJoCo locomotion ids and CartPole/Pendulum);
2. weight every step by its return-to-go ``G_t = Σ_{t'≥t} γ^{t'−t} r_t'`` (γ = 0.995),
   standardized over all valid steps of that seed's batch, no baseline
   (:func:`standardized_returns_to_go`);
3. ascend ``ĝ = ∇θ (1/E) Σ_episodes Σ_t w_t log π_θ(a_t|s_t)`` (+ τ·∇H for a learned σ),
   computed by JAX autodiff of the policy's own ``log_prob`` (written once for numpy and JAX,
   called with ``xp=jax.numpy``; :func:`reinforce_gradient`), with an optax optimizer (sgd by
   default; rmsprop as the paper's option; adam). sgd/rmsprop/adam act elementwise, so one
   optimizer state serves all seeds.

Non-finite values: an episode in which the environment returns a NaN/inf reward or observation
stops there (the engine's rule, the same as in evaluation) and is left out of the update: out of
the standardization of step 2, and out of the sum and the count E of step 3 (E is the number of
finite episodes of that seed's batch; none finite: no step). The curve ``nonfinite_episodes``
(``ReinforceResult.curves``; the total is in a run's summary.json) counts the training episodes
left out before each evaluated θ; the returns of the curves are
means over finite episodes (``envs.rollout.mean_stderr``).

Log-probabilities are those of the **unclipped** Gaussian sample; the environment sees the
clipped action (as in the paper's code). Every ``eval_every`` updates θ is checkpointed and
evaluated deterministically (σ = 0: the mean action; greedy argmax for a softmax policy).

Randomness (never the clock), with ``s`` the config's ``seed``: episode k of seed-row b in
the training batch of update u draws from ``SeedSequence(s, spawn_key=(0, u, b, k))``; episode k
of every deterministic evaluation from ``SeedSequence(s, spawn_key=(1, k))`` (the same start
states for every seed and every evaluation: common random numbers). Each sequence's two
children give the reset seed and the action-noise generator, as in
:func:`policyscape.envs.rollout.episode_streams`. Initial θ: the policy's
``initial_params(seed, B)`` (zeros for the linear policies, as in the paper's code).

Importing this module is cheap (numpy only); JAX and optax are imported on first use.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

from policyscape.envs.rollout import Rollouts, mean_stderr
from policyscape.errors import InputError
from policyscape.optimize.exact_pg import OPTIMIZERS
from policyscape.optimize.state import TrainState, opt_leaves, restore_opt_state
from policyscape.policies.continuous import POLICY_KINDS, LinearGaussianLearnedStd, LinearSoftmax, make_policy
from policyscape.policies.agent import AgentPolicy

BASELINES = ("none", "mean")
CURVE_NAMES = ("update", "env_steps", "return", "return_stderr", "deterministic_return",
               "deterministic_stderr", "entropy")
#: Curves kept in ``ReinforceResult.curves`` but not in the rows of ``curves.csv`` (its columns stay as they were).
EXTRA_CURVES = ("nonfinite_episodes",)
_INT_CURVES = ("update", "env_steps", "nonfinite_episodes")


# --------------------------------------------------------------------------- returns-to-go


def standardized_returns_to_go(rewards, mask, gamma: float, baseline: str = "none") -> np.ndarray:
    """Per-step REINFORCE weights from rewards ``[..., N, T]`` → ``[..., N, T]``.

    With ``mask[i, t] = 1`` while episode i runs (steps t < T_i)::

        G_{i,t} = Σ_{t'=t}^{T_i − 1} γ^{t'−t} r_{i,t'}          (discounted return-to-go)
        baseline="none":  w_{i,t} = (G_{i,t} − m) / s           (the paper's estimator)
        baseline="mean":  w_{i,t} =  G_{i,t} − m                 (centred only)

    where m and s (population std, ddof = 0) are taken over ALL valid (i, t) entries of the
    batch, i.e. over the last two axes (leading axes, e.g. seeds, are separate batches).
    Masked entries are 0. If s = 0 the weights are only centred. "none" means no learned or
    explicit baseline — the batch standardization of Section 3.2 of the paper (REINFORCE,
    Williams 1992, with returns-to-go standardized over the batch, γ = 0.995).
    """
    rewards = np.asarray(rewards, dtype=np.float64)
    mask = np.asarray(mask).astype(bool)
    if rewards.ndim < 2 or rewards.shape != mask.shape:
        raise InputError(f"rewards and mask must have the same shape [..., N, T], got {rewards.shape} and {mask.shape}")
    if not (0.0 <= float(gamma) <= 1.0):
        raise InputError(f"gamma must be a number in [0, 1], got {gamma!r}")
    if baseline not in BASELINES:
        raise InputError(f"baseline must be one of {BASELINES}, got {baseline!r}")
    r = np.where(mask, rewards, 0.0)
    G = np.zeros_like(r)
    running = np.zeros(r.shape[:-1])
    for t in range(r.shape[-1] - 1, -1, -1):
        running = np.where(mask[..., t], r[..., t] + gamma * running, 0.0)
        G[..., t] = running
    count = mask.sum(axis=(-2, -1), keepdims=True)
    safe = np.maximum(count, 1)
    mean = np.where(mask, G, 0.0).sum(axis=(-2, -1), keepdims=True) / safe
    centred = np.where(mask, G - mean, 0.0)
    if baseline == "mean":
        return centred
    std = np.sqrt((centred ** 2).sum(axis=(-2, -1), keepdims=True) / safe)
    return centred / np.where(std > 0, std, 1.0)


# --------------------------------------------------------------------------- JAX log-probs and gradient


def _surrogate(theta, obs, actions, weights, mask, valid, entropy, *, policy, sigma):
    """(1/E) Σ_{finite episodes i} Σ_t mask·w·log π(a|s)  (+ τ·H for a learned σ); E = #finite episodes."""
    import jax.numpy as jnp

    lp = policy.log_prob(theta, obs, actions, sigma, xp=jnp)
    used = mask & valid[:, None]
    value = jnp.sum(jnp.where(used, weights * lp, 0.0)) / jnp.maximum(jnp.sum(valid), 1)
    if isinstance(policy, LinearGaussianLearnedStd) and sigma is None:
        value = value + entropy * policy.entropy(theta, xp=jnp)
    return value


@functools.cache
def _grad_fns(policy, sigma):
    """(single, batched) jitted gradients of :func:`_surrogate`; batched maps over a leading seed axis."""
    import jax

    g = jax.grad(functools.partial(_surrogate, policy=policy, sigma=sigma))
    return jax.jit(g), jax.jit(jax.vmap(g, in_axes=(0, 0, 0, 0, 0, 0, None)))


def _check_sigma_for(policy, sigma):
    if isinstance(policy, LinearSoftmax):
        return None
    if sigma is None:
        if isinstance(policy, LinearGaussianLearnedStd) or (isinstance(policy, AgentPolicy)
                                                            and policy.has_own_distribution):
            return None
        raise InputError(f"sigma (> 0) is required for {type(policy).__name__} (it has no action distribution of its "
                         "own here), got None: pass --sigma X")
    sigma = float(sigma)
    if not (math.isfinite(sigma) and sigma > 0):
        raise InputError(f"sigma must be a finite number > 0 for REINFORCE (log-probabilities), got {sigma!r}")
    return sigma


def reinforce_gradient(policy, theta, obs, actions, weights, mask, sigma=None, entropy: float = 0.0,
                       valid=None) -> np.ndarray:
    """``∇θ [(1/N) Σ_i Σ_t mask_{i,t} w_{i,t} log π_θ(a_{i,t}|s_{i,t}) + τ·H(π_θ)]`` → [n] (float64).

    ``valid [N]`` (default: all): the episodes to use; the others are left out of the sum, and N
    counts the valid ones (the treatment of non-finite episodes, module docstring).

    theta [n]; obs [N, T, D] (``[N, T]`` integer states for one-hot softmax); actions
    [N, T, K] unclipped samples (``[N, T]`` ints for softmax); weights, mask [N, T]; ``sigma``
    the fixed σ of Gaussian kinds (``None`` for softmax or the learned σ). The entropy bonus
    τ = ``entropy`` applies to ``linear_gaussian_learned_std`` with learned σ only, where
    ``H = Σ_j (log σ_j + ½ log 2πe)``. JAX autodiff of ``policy.log_prob(…, xp=jax.numpy)``, in float64.

    Batched (as training calls it): theta [B, n] with a leading B on every other argument → [B, n],
    one gradient per row.
    """
    import jax
    import jax.numpy as jnp

    sigma = _check_sigma_for(policy, sigma)
    theta = np.asarray(theta, dtype=np.float64)
    lead = theta.shape[:-1]
    if theta.shape[-1:] != (policy.num_params,) or len(lead) > 1:
        raise InputError(f"theta must have shape [{policy.num_params}] or [B, {policy.num_params}], got {theta.shape}")
    weights = np.asarray(weights, dtype=np.float64)
    mask = np.asarray(mask).astype(bool)
    if weights.ndim != 2 + len(lead) or weights.shape != mask.shape or weights.shape[:len(lead)] != lead:
        raise InputError(f"weights and mask must have the same shape [{'B, ' if lead else ''}N, T], "
                         f"got {weights.shape} and {mask.shape}")
    if np.shape(obs)[:weights.ndim] != weights.shape or np.shape(actions)[:weights.ndim] != weights.shape:
        raise InputError(f"obs {np.shape(obs)} and actions {np.shape(actions)} must start with "
                         f"the shape of weights {weights.shape}")
    valid = np.ones(weights.shape[:-1], dtype=bool) if valid is None else np.asarray(valid).astype(bool)
    if valid.shape != weights.shape[:-1]:
        raise InputError(f"valid must have shape {weights.shape[:-1]} (episodes), got {valid.shape}")
    single, batched = _grad_fns(policy, sigma)
    with jax.enable_x64(True):
        g = (batched if lead else single)(jnp.asarray(theta), jnp.asarray(obs, dtype=jnp.float64), jnp.asarray(actions),
                                          jnp.asarray(weights), jnp.asarray(mask), jnp.asarray(valid),
                                          jnp.float64(entropy))
        return np.asarray(g)


# --------------------------------------------------------------------------- training


@dataclass(frozen=True)
class ReinforceConfig:
    """REINFORCE training (the paper's Section 3.2 defaults: Hopper, SGD, γ = 0.995, standardized returns)."""

    env: str = "Hopper-v5"
    """Gymnasium id (Hopper-v5, Walker2d-v5, HalfCheetah-v5, CartPole-v1, …)."""
    policy_kind: str | None = None
    """Policy kind; None follows the action space (Box → linear_gaussian, Discrete → linear_softmax)."""
    sigma: float = 0.5
    """Gaussian action std σ (> 0); the initial σ for linear_gaussian_learned_std; ignored by softmax."""
    lr: float = 0.01
    """Learning rate (step size)."""
    optimizer: Literal["sgd", "rmsprop", "adam"] = "sgd"
    """Optimizer from optax (the paper: sgd, rmsprop optional)."""
    lr_decay: float = 1.0
    """Per-update multiplicative decay of the learning rate: lr_t = lr · lr_decay^t."""
    batch_episodes: int = 128
    """Episodes per update and seed (the authors' code: 128)."""
    updates: int = 1000
    """Number of gradient-ascent updates."""
    seeds: int = 1
    """Number of independent runs, trained together (one batched rollout for all)."""
    seed: int = 0
    """Run seed; all randomness derives from SeedSequence(seed, …)."""
    discount: float = 0.995
    """γ of the returns-to-go."""
    baseline: Literal["none", "mean"] = "none"
    """"none": returns-to-go standardized over the batch (the paper); "mean": centred only."""
    entropy: float = 0.0
    """Entropy bonus τ (linear_gaussian_learned_std only)."""
    eval_every: int = 10
    """Evaluate deterministically and checkpoint θ every this many updates (and at the end)."""
    eval_episodes: int = 16
    """Episodes per deterministic (σ = 0 / greedy) evaluation."""
    max_steps: int | None = None
    """Time limit per episode; None: the env's own."""

    def validate(self) -> None:
        def is_int(x):
            return isinstance(x, (int, np.integer)) and not isinstance(x, bool)

        checks = [
            ("env", self.env, isinstance(self.env, str), "a Gymnasium id (str)"),
            ("policy_kind", self.policy_kind, self.policy_kind is None or self.policy_kind in POLICY_KINDS,
             f"None or one of {POLICY_KINDS}"),
            ("sigma", self.sigma, isinstance(self.sigma, (int, float)) and math.isfinite(self.sigma) and self.sigma > 0,
             "a finite number > 0"),
            ("lr", self.lr, math.isfinite(self.lr) and self.lr > 0, "a finite number > 0"),
            ("lr_decay", self.lr_decay, 0 < self.lr_decay <= 1, "a number in (0, 1]"),
            ("batch_episodes", self.batch_episodes, is_int(self.batch_episodes) and self.batch_episodes >= 1,
             "an integer >= 1"),
            ("updates", self.updates, is_int(self.updates) and self.updates >= 1, "an integer >= 1"),
            ("seeds", self.seeds, is_int(self.seeds) and self.seeds >= 1, "an integer >= 1"),
            ("seed", self.seed, is_int(self.seed) and self.seed >= 0, "an integer >= 0"),
            ("discount", self.discount, 0 <= self.discount <= 1, "a number in [0, 1]"),
            ("baseline", self.baseline, self.baseline in BASELINES, f"one of {BASELINES}"),
            ("entropy", self.entropy, math.isfinite(self.entropy) and self.entropy >= 0, "a finite number >= 0"),
            ("eval_every", self.eval_every, is_int(self.eval_every) and self.eval_every >= 1, "an integer >= 1"),
            ("eval_episodes", self.eval_episodes, is_int(self.eval_episodes) and self.eval_episodes >= 1,
             "an integer >= 1"),
            ("max_steps", self.max_steps, self.max_steps is None or (is_int(self.max_steps) and self.max_steps >= 1),
             "None or an integer >= 1"),
        ]
        for name, got, ok, expected in checks:
            if not ok:
                raise InputError(f"{name} must be {expected}, got {got!r}")
        if self.optimizer not in OPTIMIZERS:
            raise InputError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {self.optimizer!r}")
        if self.entropy > 0 and self.policy_kind != "linear_gaussian_learned_std":
            raise InputError(f"entropy (τ = {self.entropy!r}) applies to policy_kind 'linear_gaussian_learned_std' "
                             f"only, got policy_kind {self.policy_kind!r}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ReinforceResult:
    """Curves are ``[num_evals, seeds]``; row i describes θ at update ``curves["update"][i, 0]``.

    ``return``/``return_stderr``: the stochastic policy's batch (``batch_episodes`` episodes
    at that θ); ``deterministic_*``: σ = 0 (softmax: greedy) over ``eval_episodes``;
    ``env_steps``: training env steps spent before that θ; ``entropy``: the policy's entropy
    (Gaussian: of N(·, σ²I); softmax: mean per-state entropy over the batch's visited states);
    ``nonfinite_episodes``: training episodes left out (non-finite reward or observation) before
    that θ (not a column of ``rows()``; ``runs.training`` puts the total in summary.json). Returns are
    means over the finite episodes.
    """

    config: ReinforceConfig
    curves: dict[str, np.ndarray]
    checkpoints: dict[int, np.ndarray]  # update index → θ [seeds, n]
    initial_params: np.ndarray  # [seeds, n]

    @property
    def final_params(self) -> np.ndarray:
        return self.checkpoints[max(self.checkpoints)]

    def rows(self) -> list[dict]:
        """Learning-curve rows, one per (evaluation, seed): env_steps, update, seed, returns, entropy."""
        out = []
        num, K = self.curves["return"].shape
        for i in range(num):
            for k in range(K):
                row = {"seed": k}
                for name in CURVE_NAMES:
                    v = self.curves[name][i, k]
                    row[name] = int(v) if name in _INT_CURVES else float(v)
                out.append(row)
        return out


def train_reinforce(config: ReinforceConfig, progress: Callable[[int], None] | None = None,
                    backend: str = "auto", resume: TrainState | None = None,
                    on_checkpoint: Callable[[TrainState], None] | None = None) -> ReinforceResult:
    """Train ``config.seeds`` policies by REINFORCE (module docstring); float64 throughout.

    ``progress(n)`` is called after every update with n = 1. ``backend``: ``"auto"`` (the batched
    backend of the id where there is one) or ``"gym"`` (the Gymnasium loop; the same numbers,
    slower: for benchmarks), see ``envs.rollout.make_backend``. ``on_checkpoint(state)`` gets the loop's
    :class:`~policyscape.optimize.state.TrainState` at every evaluation after the first (before its
    batch is drawn); ``resume`` goes on from such a state and ends with exactly the θ and curves of an
    uninterrupted run (every draw comes from ``SeedSequence(seed, update, …)``).
    """
    import jax

    config.validate()
    rollouts = Rollouts(config.env, config.max_steps, backend=backend)
    policy = make_policy(config.policy_kind, rollouts.observation_space, rollouts.action_space)
    try:
        with jax.enable_x64(True):
            return _train(config, rollouts, policy, progress, resume, on_checkpoint)
    finally:
        rollouts.close()


def training_seeds(seed: int, update: int, rows: int, episodes: int) -> list:
    """Episode k of seed-row b in the training batch of update u: ``SeedSequence(seed, spawn_key=(0, u, b, k))``."""
    return [[np.random.SeedSequence(seed, spawn_key=(0, update, b, k)) for k in range(episodes)] for b in range(rows)]


def evaluation_seeds(seed: int, episodes: int) -> list:
    """Episode k of every deterministic evaluation (all seed-rows alike): ``SeedSequence(seed, spawn_key=(1, k))``."""
    return [np.random.SeedSequence(seed, spawn_key=(1, k)) for k in range(episodes)]


def _train(config: ReinforceConfig, rollouts: Rollouts, policy, progress, resume, on_checkpoint) -> ReinforceResult:
    import jax.numpy as jnp

    B, E = config.seeds, config.batch_episodes
    learned = isinstance(policy, LinearGaussianLearnedStd)
    discrete = isinstance(policy, LinearSoftmax)
    if config.entropy > 0 and not learned:
        raise InputError(f"entropy applies to linear_gaussian_learned_std only, got policy {policy!r}")
    sigma = None if (learned or discrete) else float(config.sigma)
    if learned:
        params = policy.initial_params(config.seed, B, log_sigma=math.log(config.sigma))
    else:
        params = policy.initial_params(config.seed, B)
    initial = params.copy()
    lr = config.lr if config.lr_decay == 1.0 else (lambda count: config.lr * config.lr_decay ** count)
    opt = OPTIMIZERS[config.optimizer](lr)
    opt_state = opt.init(jnp.asarray(params))
    eval_seeds = evaluation_seeds(config.seed, config.eval_episodes)

    curves: dict[str, list] = {name: [] for name in CURVE_NAMES + EXTRA_CURVES}
    checkpoints: dict[int, np.ndarray] = {}
    env_steps = np.zeros(B, dtype=np.int64)
    nonfinite = np.zeros(B, dtype=np.int64)
    first = 0
    if resume is not None:
        first, params = resume.update, np.array(resume.params, dtype=np.float64)
        opt_state = restore_opt_state(opt_state, resume.opt_leaves)
        curves = {name: list(rows) for name, rows in resume.curves.items()}
        checkpoints = {u: np.array(v) for u, v in resume.checkpoints.items()}
        env_steps, nonfinite = resume.counters["env_steps"].copy(), resume.counters["nonfinite_episodes"].copy()
        if progress is not None and first:
            progress(first)
    for u in range(first, config.updates + 1):
        if on_checkpoint is not None and u % config.eval_every == 0 and first < u < config.updates:
            on_checkpoint(TrainState(u, params.copy(), opt_leaves(opt_state),
                                     {k: np.stack(v) for k, v in curves.items()}, dict(checkpoints),
                                     {"env_steps": env_steps.copy(), "nonfinite_episodes": nonfinite.copy()}))
        # the final batch is only evaluated; a softmax policy's entropy needs its states
        batch = rollouts.run(policy, params, training_seeds(config.seed, u, B, E), sigma=sigma,
                             record=u < config.updates or discrete)
        valid = batch.valid
        if u % config.eval_every == 0 or u == config.updates:
            det = rollouts.run(policy, params, eval_seeds, deterministic=True)
            if discrete:
                ent = policy.entropy(params, batch.obs.reshape(B, E * rollouts.max_steps, *batch.obs.shape[3:]))
                m = (batch.mask & valid[..., None]).reshape(B, -1)
                entropy = (ent * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1)
            elif learned:
                entropy = policy.entropy(params)
            else:
                entropy = np.full(B, policy.entropy(sigma))
            ret, ret_se = mean_stderr(batch.returns, valid)
            det_ret, det_se = mean_stderr(det.returns, det.valid)
            for name, value in (("update", np.full(B, u)), ("env_steps", env_steps.copy()), ("return", ret),
                                ("return_stderr", ret_se), ("deterministic_return", det_ret),
                                ("deterministic_stderr", det_se), ("entropy", entropy),
                                ("nonfinite_episodes", nonfinite.copy())):
                curves[name].append(np.asarray(value))
            checkpoints[u] = params.copy()
        if u == config.updates:
            break
        used = batch.mask & valid[..., None]
        weights = standardized_returns_to_go(batch.rewards, used, config.discount, config.baseline)
        grads = reinforce_gradient(policy, params, batch.obs, batch.actions, weights, used, sigma, config.entropy, valid)
        updates, opt_state = opt.update(-jnp.asarray(grads), opt_state, jnp.asarray(params))  # ascent
        params = np.asarray(jnp.asarray(params) + updates, dtype=np.float64)
        env_steps += batch.steps.sum(axis=1)
        nonfinite += batch.nonfinite.sum(axis=1)
        if progress is not None:
            progress(1)
    return ReinforceResult(config=config, curves={k: np.stack(v) for k, v in curves.items()},
                           checkpoints=checkpoints, initial_params=initial)
