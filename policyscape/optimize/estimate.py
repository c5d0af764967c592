"""REINFORCE gradient estimates of a sampled objective at one θ: one with its standard error, or many
independent ones (each the gradient of one update's batch).

A batch is E episodes of π_θ through the objective's own rollout engine; its estimate is
``ĝ = (1/E) Σ_k g_k`` with the per-episode terms ``g_k = ∇θ Σ_t w_{k,t} log π_θ(a_{k,t}|s_{k,t})``
(non-finite episodes left out), for the weights ``weighting``:

- ``"standardized"``: the one training ascends (``optimize.reinforce``, steps 1–3 of its docstring):
  returns-to-go with the objective's γ standardized over the batch (``baseline="mean"``: centred only);
- ``"unbiased"``: ``w_t = γ^t G_t`` with the discounted return-to-go ``G_t`` (Williams 1992, no baseline),
  whose expectation is the gradient of the expected discounted return ``E[Σ_t γ^t r_t]``: on a tabular MDP
  the exact objective's gradient (up to the episodes' time limit), which the tests check.

The standard error of one estimate is per coordinate ``std_k(g_k)/√E`` (ddof = 1; the standardization
couples the episodes a little, which this ignores).

Episode k of sample s draws from ``SeedSequence(seed, spawn_key=(2, s, k))`` (the objective's evaluations
use spawn keys starting with 0 or 1), so sample s is reproducible and independent of the others and of the
other samples computed with it.

A sampled tabular objective (``objectives.registry.TabularLayout``) samples in the ``LinearSoftmax`` layout;
estimates are mapped back to the exact objective's layout (a permutation of the coordinates).
"""

from __future__ import annotations

import numpy as np

from policyscape.errors import InputError
from policyscape.objectives.base import StochasticObjective, as_theta_batch
from policyscape.optimize.reinforce import BASELINES, reinforce_gradient, standardized_returns_to_go

WEIGHTINGS = ("standardized", "unbiased")


def estimate_seeds(seed: int, samples, episodes: int) -> list:
    """Episode seeds of the given samples: row s holds ``SeedSequence(seed, spawn_key=(2, s, k))``, k < episodes."""
    return [[np.random.SeedSequence(seed, spawn_key=(2, int(s), k)) for k in range(episodes)] for s in samples]


def discounted_weights(rewards, mask, gamma: float) -> np.ndarray:
    """``w_t = γ^t G_t`` with ``G_t = Σ_{t' ≥ t} γ^{t'−t} r_{t'}`` per episode → like rewards ``[..., T]`` (0 where masked)."""
    r = np.where(mask, np.asarray(rewards, dtype=np.float64), 0.0)
    G = np.zeros_like(r)
    running = np.zeros(r.shape[:-1])
    for t in range(r.shape[-1] - 1, -1, -1):
        running = np.where(mask[..., t], r[..., t] + gamma * running, 0.0)
        G[..., t] = running
    return G * gamma ** np.arange(r.shape[-1])


def _sampled_parts(objective: StochasticObjective):
    """(the SampledObjective that rolls out, whether θ must be mapped from a tabular layout)."""
    from policyscape.objectives.registry import TabularLayout
    from policyscape.objectives.sampled import SampledObjective

    wrapped = isinstance(objective, TabularLayout)
    inner = objective.inner if wrapped else objective
    if not isinstance(inner, SampledObjective):
        raise InputError(f"a REINFORCE estimate needs a sampled objective (rollouts); {objective.name} is not")
    return inner, wrapped


def _check(episodes: int, weighting: str, baseline: str, least: int = 1) -> None:
    if isinstance(episodes, bool) or not isinstance(episodes, (int, np.integer)) or episodes < least:
        raise InputError(f"episodes per REINFORCE estimate must be an integer >= {least}, got {episodes!r}")
    if weighting not in WEIGHTINGS:
        raise InputError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")
    if baseline not in BASELINES:
        raise InputError(f"baseline must be one of {BASELINES}, got {baseline!r}")


def _rollout_weights(objective, theta, episodes: int, seed: int, samples, weighting: str, baseline: str):
    """Rollouts of θ for every sample (one row each) and their weights → (inner, wrapped, θ in the sampled layout,
    batch, used mask [S, E, T], weights [S, E, T])."""
    inner, wrapped = _sampled_parts(objective)
    theta = as_theta_batch(theta, objective.num_params, what="theta")[0]
    theta_s = objective.to_sampled_layout(theta)[0] if wrapped else theta
    seeds = estimate_seeds(seed, samples, episodes)
    batch = inner.engine.run(inner.policy, np.repeat(theta_s[None], len(seeds), axis=0), seeds, sigma=inner.sigma,
                             record=True)
    used = batch.mask & batch.valid[..., None]
    if weighting == "unbiased":
        weights = discounted_weights(batch.rewards, used, inner.discount)
    else:
        weights = standardized_returns_to_go(batch.rewards, used, inner.discount, baseline)
    return inner, wrapped, theta_s, batch, used, weights


def _to_layout(objective, wrapped: bool, g: np.ndarray) -> np.ndarray:
    return objective.policy.from_linear_softmax(g) if wrapped else g


def reinforce_estimate(objective: StochasticObjective, theta, episodes: int, seed: int = 0, sample: int = 0,
                       weighting: str = "standardized", baseline: str = "none") -> dict:
    """One estimate ĝ [n] from ``episodes`` episodes, its standard error [n] and the number of finite episodes used
    (module docstring)."""
    _check(episodes, weighting, baseline, least=2)
    inner, wrapped, theta_s, batch, used, weights = _rollout_weights(objective, theta, episodes, seed, [sample],
                                                                     weighting, baseline)
    valid = batch.valid[0]
    per_episode = reinforce_gradient(inner.policy, np.repeat(theta_s[None], episodes, axis=0), batch.obs[0][:, None],
                                     batch.actions[0][:, None], weights[0][:, None], used[0][:, None], inner.sigma,
                                     valid=valid[:, None])
    g = per_episode[valid]
    if g.shape[0] < 2:
        raise InputError(f"only {g.shape[0]} of {episodes} episodes were finite; a standard error needs two")
    mean, stderr = g.mean(axis=0), g.std(axis=0, ddof=1) / np.sqrt(g.shape[0])
    return {"gradient": _to_layout(objective, wrapped, mean[None])[0],
            "stderr": _to_layout(objective, wrapped, stderr[None])[0], "episodes": int(g.shape[0])}


def reinforce_estimates(objective: StochasticObjective, theta, episodes: int, samples, seed: int = 0,
                        weighting: str = "standardized", baseline: str = "none") -> np.ndarray:
    """Independent estimates, one per sample index in ``samples``, each from its own batch of ``episodes``
    episodes → [len(samples), n]. Sample s's estimate depends only on (seed, s, θ), not on the others."""
    _check(episodes, weighting, baseline)
    samples = list(samples)
    inner, wrapped, theta_s, batch, used, weights = _rollout_weights(objective, theta, episodes, seed, samples,
                                                                     weighting, baseline)
    g = reinforce_gradient(inner.policy, np.repeat(theta_s[None], len(samples), axis=0), batch.obs, batch.actions,
                           weights, used, inner.sigma, valid=batch.valid)
    return _to_layout(objective, wrapped, g)
