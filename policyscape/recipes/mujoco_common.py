"""Shared pieces of the MuJoCo recipes (Ahmed et al. 2019, Section 3.2): σ × learning-rate sweeps of
REINFORCE runs in sub-directories, reading their learning curves, scoring and choosing learning rates.

Layout of a sweep under a recipe directory ``out``::

    out/runs/<env>/sigma_<σ>/lr_<lr>/   one REINFORCE run directory (runs.training.run_reinforce_training):
                                        curves.csv, checkpoints/, final.npz, summary.json

The runs are trained by the sweep engine (``runs.sweep.train_runs``) on the recipe's executor, so
``policyscape reproduce ... --backend ray`` (or a local pool) spreads the training over every worker;
a finished run (its ``summary.json`` exists) is reused, and a run killed half-way resumes from its
last checkpoint (``resume.npz``) to the same numbers as an uninterrupted run.

Scores of a run (per seed, from the deterministic σ = 0 evaluations ``R[u, k]`` at the E
evaluation points u = 0 … E−1 of seed k)::

    auc   = (1/E) Σ_u R[u, k]     (area under the learning curve per evaluation: fast *and* good)
    final = R[E−1, k]             (return after the last update)
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from policyscape.optimize.reinforce import ReinforceConfig
from policyscape.runs.sweep import (SCORES, SweepJob, best_lr, curve_scores, ensure_reinforce_run,
                                    read_deterministic_curves, train_runs)

#: Figures use one colour per σ, the same in every recipe.
SIGMA_COLOURS = {0.0: "black", 0.1: "tab:red", 0.25: "tab:orange", 0.5: "tab:green", 0.75: "tab:cyan",
                 1.0: "tab:blue"}


def sigma_colour(sigma: float) -> str:
    return SIGMA_COLOURS.get(round(float(sigma), 6), "tab:gray")


def log_grid(lo_exponent: float, hi_exponent: float, per_decade: int = 2) -> tuple[float, ...]:
    """Log-spaced learning rates ``10^(k / per_decade)`` for ``lo ≤ k / per_decade ≤ hi`` (rounded to 4 digits).

    ``log_grid(-3, -1, 2)`` → (0.001, 0.003162, 0.01, 0.03162, 0.1): a half-decade grid.
    """
    ks = range(math.ceil(lo_exponent * per_decade - 1e-9), math.floor(hi_exponent * per_decade + 1e-9) + 1)
    return tuple(float(f"{10 ** (k / per_decade):.4g}") for k in ks)


def sub_run_path(out: Path | str, env: str, sigma: float, lr: float) -> Path:
    """``out/runs/<env>/sigma_<σ>/lr_<lr>``: the directory of one REINFORCE run of a sweep."""
    return Path(out) / "runs" / env / f"sigma_{sigma:g}" / f"lr_{lr:.4g}"




def train_sweep(out: Path | str, base: ReinforceConfig, envs, sigmas, lrs, progress: bool = False,
                executor=None) -> dict:
    """Train ``base`` at every (env, σ, lr) into :func:`sub_run_path` on ``executor`` (``runs.sweep.train_runs``;
    None: in this process; finished runs reused, killed ones resumed).

    Returns ``{(env, sigma, lr): path}``. Every run has ``base``'s seeds, updates, batch and seed,
    so all σ and learning rates of an environment see the same seeds.
    """
    keys = [(env, float(sigma), float(lr)) for env in envs for sigma in sigmas for lr in lrs]
    jobs = [SweepJob(replace(base, env=env, sigma=sigma, lr=lr), str(sub_run_path(out, env, sigma, lr)))
            for env, sigma, lr in keys]
    train_jobs(jobs, executor, progress)
    return {key: Path(job.path) for key, job in zip(keys, jobs)}


def train_jobs(jobs, executor=None, progress: bool = False) -> list[dict]:
    """``runs.sweep.train_runs`` with a line per finished run when ``progress``."""
    def done(i, values):
        c = jobs[i].config
        print(f"  REINFORCE {c.env} σ = {c.sigma:g} lr = {c.lr:.4g}: mean final deterministic return "
              f"{float(np.mean(values['final_deterministic_return'])):.4g}", flush=True)

    return train_runs(jobs, executor, done if progress else None)


def sweep_scores(paths: dict, score: str = "auc") -> dict:
    """``{(env, σ, lr): path}`` → ``{(env, σ, lr): per-seed scores [K]}`` read from the saved curves."""
    return {key: curve_scores(read_deterministic_curves(p)["returns"], score) for key, p in paths.items()}


def best_lrs(scores: dict) -> dict:
    """``{(env, σ, lr): [K]}`` → ``{(env, σ): best lr}`` (:func:`best_lr` per env and σ)."""
    groups: dict = {}
    for (env, sigma, lr), s in scores.items():
        groups.setdefault((env, sigma), {})[lr] = s
    return {key: best_lr(by_lr) for key, by_lr in groups.items()}


# --------------------------------------------------------------------------- budgets that decide


def seeds_to_decide(pilot_a, pilot_b, confidence: float = 0.95, power: float = 0.8, margin: float | None = None,
                    max_seeds: int = 1000) -> int:
    """Seeds per arm for a claim on ``mean(a) − mean(b)`` to be decided, from a pilot's per-seed scores.

    With the pilot's difference δ = mean(a) − mean(b) and seed-to-seed standard deviations s_a, s_b
    (ddof = 1), the smallest n (seeds per arm, ≥ 2) with::

        difference  (margin None):   (t_{c, ν} + t_{power, ν}) · √((s_a² + s_b²)/n) ≤ |δ|
        equivalence (margin m > |δ|): (t_{c, ν} + t_{power, ν}) · √((s_a² + s_b²)/n) ≤ m − |δ|

    where t_{c, ν} is the two-sided ``confidence`` quantile (t_{(1+c)/2}) and ν = the Welch degrees of
    freedom at n per arm: a two-sample power calculation. At that n the Welch interval of the
    verdicts (``verdicts.mean_difference_interval``) excludes 0 (difference), or lies within ±m
    (equivalence), with probability ``power`` if the pilot's δ and spreads are the truth. Returns
    ``max_seeds`` when no n up to it suffices (δ = 0, or m ≤ |δ|).
    """
    from scipy import stats

    a, b = np.asarray(pilot_a, dtype=float), np.asarray(pilot_b, dtype=float)
    if a.size < 2 or b.size < 2:
        raise ValueError(f"a pilot needs at least 2 seeds per arm for their spread, got {a.size} and {b.size}")
    va, vb = float(np.var(a, ddof=1)), float(np.var(b, ddof=1))
    delta = abs(float(a.mean() - b.mean()))
    target = delta if margin is None else float(margin) - delta
    if target <= 0:
        return max_seeds
    if va + vb == 0:
        return 2
    for n in range(2, max_seeds + 1):
        nu = (va + vb) ** 2 / ((va**2 + vb**2) / (n - 1))  # Welch–Satterthwaite with n seeds per arm
        if (stats.t.ppf((1 + confidence) / 2, nu) + stats.t.ppf(power, nu)) * math.sqrt((va + vb) / n) <= target:
            return n
    return max_seeds


def directions_to_decide(fraction: float, half_width: float, confidence: float = 0.95) -> int:
    """Directions for a fraction near ``fraction`` to have a (normal-approximation) interval of at most ±``half_width``:
    ``ceil(z² p (1 − p) / h²)`` with z the two-sided ``confidence`` quantile (the Wilson interval of the
    verdicts is no wider at this n)."""
    from scipy import stats

    if not (0 < half_width < 1 and 0 <= fraction <= 1):
        raise ValueError(f"expected 0 <= fraction <= 1 and 0 < half_width < 1, got {fraction!r}, {half_width!r}")
    z = stats.norm.ppf((1 + confidence) / 2)
    return max(1, math.ceil(z**2 * max(fraction * (1 - fraction), 1e-12) / half_width**2))


def env_label(env: str) -> str:
    """``Hopper-v5`` → ``Hopper``."""
    return env.split("-v")[0]


__all__ = [
    "SCORES", "SweepJob", "best_lr", "directions_to_decide", "seeds_to_decide", "best_lrs", "curve_scores", "ensure_reinforce_run", "env_label", "log_grid",
    "read_deterministic_curves", "sigma_colour", "sub_run_path", "sweep_scores", "train_jobs", "train_sweep",
]
