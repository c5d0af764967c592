"""One update away: the distribution of the objective after one REINFORCE update (Rahn et al., NeurIPS 2023,
"Policy Optimization in a Noisy Neighborhood").

From θ0, sample s of S draws its own batch of E episodes, estimates the gradient ĝ_s from it
(``optimize.estimate.reinforce_estimates``: the trainer's standardized returns-to-go by default) and takes
one **plain SGD ascent step** of learning rate lr, exactly the step of ``optimize.reinforce`` with its
default optimizer (optax ``sgd``, no momentum: ``θ ← θ + lr·ĝ``)::

    θ_s = θ0 + lr · ĝ_s,        Δ_s = O(θ_s) − O(θ0),        s = 0 … S − 1.

The samples are independent (sample s's episodes depend only on (seed, s)), so the Δ_s are i.i.d. draws
of the one-update improvement. What :func:`analyse` reports from them (non-finite values are counted,
never averaged, and left out of every statistic):

- the mean improvement E[Δ] with its 95% Student-t interval (``intervals.mean_interval``);
- the probability of a decrease P(Δ < 0) with its 95% Wilson interval (``intervals.wilson_interval``);
  a decrease is strictly below 0 (exact objectives) — an update that changes nothing is no decrease;
- the left-tail CVaR at level α (default 10%) of Δ: the mean of the ⌈α·S'⌉ smallest finite Δ_s (S' finite
  samples), the expected improvement of the worst α of updates (an empirical lower-tail expectation);
- quantiles of Δ and of O(θ_s).

Where the objective is differentiable (exact tabular objectives), two references come with it: the first
order ``lr·∇O(θ0)·ĝ_s`` of every sample (a column of the table), and the *exact-gradient step*
``O(θ0 + lr·∇O(θ0))`` — the expected one-step value to first order when E[ĝ] = ∇O (``weighting="unbiased"``):
E[O(θ0 + lr ĝ)] = O(θ0) + lr ∇O·E[ĝ] + (lr²/2) E[ĝᵀHĝ] + O(lr³).

Points, by index: point 0 is θ0, point 1 + s is θ_s.
"""

from __future__ import annotations

import math

import numpy as np

from policyscape.errors import InputError
from policyscape.intervals import mean_interval, wilson_interval

DEFAULT_CVAR_LEVEL = 0.1


def check_update(lr: float, batch_episodes: int, samples: int) -> None:
    """Refuse a learning rate ≤ 0 (or not finite), fewer than 2 episodes per batch, fewer than 2 samples."""
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        raise InputError(f"the learning rate lr must be a finite number > 0, got {lr!r}")
    for name, value in (("batch episodes", batch_episodes), ("samples", samples)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
            raise InputError(f"{name} must be an integer >= 2, got {value!r}")


def update_thetas(theta0: np.ndarray, gradients: np.ndarray, lr: float, points: np.ndarray) -> np.ndarray:
    """θ of the given point indices: θ0 for point 0, θ0 + lr·ĝ_{p−1} for point p ≥ 1 → [len(points), n]."""
    points = np.asarray(points)
    steps = np.where(points[:, None] > 0, lr * gradients[np.maximum(points - 1, 0)], 0.0)
    return theta0[None, :] + steps


def cvar_lower(x: np.ndarray, level: float) -> float:
    """Left-tail CVaR: the mean of the ⌈level·len(x)⌉ smallest values of ``x`` (finite values only)."""
    x = np.sort(np.asarray(x, dtype=np.float64))
    if x.size == 0:
        return float("nan")
    return float(x[: max(1, math.ceil(level * x.size))].mean())


def analyse(values: np.ndarray, value0: float, cvar_level: float = DEFAULT_CVAR_LEVEL) -> dict:
    """Summary of the one-update values ``values`` [S] = O(θ_s) against ``value0`` = O(θ0) (module docstring)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size < 2:
        raise InputError(f"the update distribution needs a vector of at least 2 values, got shape {values.shape}")
    if not 0 < cvar_level < 1:
        raise InputError(f"the CVaR level must be within (0, 1), got {cvar_level}")
    if not math.isfinite(value0):
        raise InputError(f"O(θ0) is {value0}: there is no improvement to measure from a non-finite value")
    finite = np.isfinite(values)
    delta = values[finite] - value0
    n = int(delta.size)
    summary = {"samples": int(values.size), "finite": n, "nonfinite": int(values.size - n),
               "value_at_theta0": float(value0), "cvar_level": cvar_level}
    if n == 0:
        return {**summary, "mean_improvement": None, "probability_of_decrease": None, "cvar_improvement": None}
    mean = mean_interval(delta)
    decreases = int(np.sum(delta < 0))
    p = wilson_interval(decreases, n)
    q = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]
    return {**summary,
            "mean_value": float(values[finite].mean()),
            "mean_improvement": {"estimate": mean.estimate, "lo": mean.lo, "hi": mean.hi,
                                 "std": float(delta.std(ddof=1)) if n > 1 else 0.0},
            "decreases": decreases,
            "probability_of_decrease": {"estimate": p.estimate, "lo": p.lo, "hi": p.hi},
            "cvar_improvement": cvar_lower(delta, cvar_level),
            "improvement_quantiles": dict(zip([f"{x:g}" for x in q], np.quantile(delta, q).tolist())),
            "value_quantiles": dict(zip([f"{x:g}" for x in q], np.quantile(values[finite], q).tolist()))}
