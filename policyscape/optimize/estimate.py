"""The REINFORCE gradient estimate of a sampled objective at one θ, with its standard error.

The estimate is the one training ascends (``optimize.reinforce``, steps 1–3 of its docstring): E episodes
of π_θ through the objective's own rollout engine, returns-to-go with the objective's γ standardized over
the batch (or centred: ``baseline="mean"``), and ``ĝ = (1/E) Σ_k g_k`` with the per-episode terms
``g_k = ∇θ Σ_t w_{k,t} log π_θ(a_{k,t}|s_{k,t})`` (non-finite episodes left out). Its standard error is
per coordinate ``std_k(g_k)/√E`` (ddof = 1; the weights' standardization couples the episodes a little,
which this ignores).

Episode k of sample s draws from ``SeedSequence(seed, spawn_key=(2, s, k))`` (the objective's evaluations
use spawn keys starting with 0 or 1), so sample s is reproducible and independent of the others.

A sampled tabular objective (``objectives.registry.TabularLayout``) samples in the ``LinearSoftmax`` layout;
the estimate is mapped back to the exact objective's layout (a permutation of the coordinates).
"""

from __future__ import annotations

import numpy as np

from policyscape.errors import InputError
from policyscape.objectives.base import StochasticObjective, as_theta_batch
from policyscape.optimize.reinforce import reinforce_gradient, standardized_returns_to_go


def estimate_seeds(seed: int, sample: int, episodes: int) -> list:
    """Episode seeds of sample ``sample``: one row of ``SeedSequence(seed, spawn_key=(2, sample, k))``."""
    return [[np.random.SeedSequence(seed, spawn_key=(2, sample, k)) for k in range(episodes)]]


def reinforce_estimate(objective: StochasticObjective, theta, episodes: int, seed: int = 0, sample: int = 0,
                       baseline: str = "none") -> dict:
    """ĝ [n], its standard error [n] and the number of finite episodes used, at θ [n] (module docstring)."""
    if isinstance(episodes, bool) or not isinstance(episodes, (int, np.integer)) or episodes < 2:
        raise InputError(f"a REINFORCE estimate with a standard error needs episodes >= 2, got {episodes!r}")
    from policyscape.objectives.registry import TabularLayout
    from policyscape.objectives.sampled import SampledObjective

    wrapped = isinstance(objective, TabularLayout)
    inner = objective.inner if wrapped else objective
    if not isinstance(inner, SampledObjective):
        raise InputError(f"a REINFORCE estimate needs a sampled objective (rollouts); {objective.name} is not")
    theta = as_theta_batch(theta, objective.num_params, what="theta")[0]
    theta_s = objective.to_sampled_layout(theta)[0] if wrapped else theta
    batch = inner.engine.run(inner.policy, theta_s[None], estimate_seeds(seed, sample, episodes), sigma=inner.sigma,
                             record=True)
    valid = batch.valid
    used = batch.mask & valid[..., None]
    weights = standardized_returns_to_go(batch.rewards, used, inner.discount, baseline)[0]
    per_episode = reinforce_gradient(inner.policy, np.repeat(theta_s[None], episodes, axis=0), batch.obs[0][:, None],
                                     batch.actions[0][:, None], weights[:, None], used[0][:, None], inner.sigma,
                                     valid=valid[0][:, None])
    g = per_episode[valid[0]]
    if g.shape[0] < 2:
        raise InputError(f"only {g.shape[0]} of {episodes} episodes were finite; a standard error needs two")
    mean, stderr = g.mean(axis=0), g.std(axis=0, ddof=1) / np.sqrt(g.shape[0])
    if wrapped:
        mean, stderr = (objective.policy.from_linear_softmax(x[None])[0] for x in (mean, stderr))
    return {"gradient": mean, "stderr": stderr, "episodes": int(g.shape[0])}
