"""Shared pieces of the MuJoCo recipes (Ahmed et al. 2019, Section 3.2): σ × learning-rate sweeps of
REINFORCE runs in sub-directories, reading their learning curves, scoring and choosing learning rates.

Layout of a sweep under a recipe directory ``out``::

    out/runs/<env>/sigma_<σ>/lr_<lr>/   one REINFORCE run directory (runs.training.run_reinforce_training):
                                        curves.csv, checkpoints/, final.npz, summary.json

A run whose ``summary.json`` exists is finished and reused (a killed sweep resumes run by run; a
run killed half-way is trained again from its start, which gives the same numbers: every random
draw comes from the configuration's seed).

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
from policyscape.runs.rundir import RunDir

SCORES = ("auc", "final")
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


def ensure_reinforce_run(config: ReinforceConfig, path: Path | str, progress: bool = False) -> dict:
    """Train ``config`` into ``path`` unless it is finished there already → the run's summary.

    A different configuration in ``path`` is refused by the run directory (``InputError``).
    """
    from policyscape.runs.training import finished_summary, reinforce_run_config, run_reinforce_training

    return finished_summary(path, reinforce_run_config(config)) or run_reinforce_training(
        config, path, show_progress=progress)


def train_sweep(out: Path | str, base: ReinforceConfig, envs, sigmas, lrs, progress: bool = False) -> dict:
    """Train ``base`` at every (env, σ, lr) into :func:`sub_run_path` (finished runs reused).

    Returns ``{(env, sigma, lr): path}``. Every run has ``base``'s seeds, updates, batch and seed,
    so all σ and learning rates of an environment see the same seeds.
    """
    paths = {}
    for env in envs:
        for sigma in sigmas:
            for lr in lrs:
                path = sub_run_path(out, env, sigma, lr)
                if progress:
                    print(f"  REINFORCE {env} σ = {sigma:g} lr = {lr:.4g}", flush=True)
                ensure_reinforce_run(replace(base, env=env, sigma=float(sigma), lr=float(lr)), path, progress)
                paths[(env, float(sigma), float(lr))] = path
    return paths


def read_deterministic_curves(path: Path | str) -> dict[str, np.ndarray]:
    """Learning curves of one REINFORCE run directory → ``update [E]``, ``env_steps [E]``, ``returns [E, K]``.

    ``env_steps`` is the mean over the K seeds of the training steps spent before each
    evaluation; ``returns[u, k]`` is seed k's deterministic (σ = 0) return at evaluation u.
    """
    c = RunDir(path).read_csv("curves.csv")
    seeds = np.unique(c["seed"]).astype(int)
    updates = np.unique(c["update"]).astype(int)
    order = np.lexsort((c["seed"], c["update"]))  # update-major, seed-minor
    E, K = updates.size, seeds.size
    returns = c["deterministic_return"][order].reshape(E, K)
    steps = c["env_steps"][order].reshape(E, K)
    return {"update": updates, "env_steps": steps.mean(axis=1), "returns": returns}


def curve_scores(returns: np.ndarray, score: str = "auc") -> np.ndarray:
    """Per-seed score of deterministic returns ``[E, K]`` → ``[K]`` (module docstring: auc or final)."""
    returns = np.asarray(returns, dtype=float)
    if score == "auc":
        return returns.mean(axis=0)
    if score == "final":
        return returns[-1]
    raise ValueError(f"score must be one of {SCORES}, got {score!r}")


def best_lr(scores_by_lr: dict[float, np.ndarray]) -> float:
    """The learning rate with the highest mean score over seeds (ties: the smallest such lr).

    NaN scores (a diverged run) count as −∞.
    """
    if not scores_by_lr:
        raise ValueError("best_lr needs at least one learning rate")
    means = {lr: float(np.mean(s)) for lr, s in scores_by_lr.items()}
    means = {lr: (m if np.isfinite(m) else -np.inf) for lr, m in means.items()}
    top = max(means.values())
    return min(lr for lr, m in means.items() if m == top)


def sweep_scores(paths: dict, score: str = "auc") -> dict:
    """``{(env, σ, lr): path}`` → ``{(env, σ, lr): per-seed scores [K]}`` read from the saved curves."""
    return {key: curve_scores(read_deterministic_curves(p)["returns"], score) for key, p in paths.items()}


def best_lrs(scores: dict) -> dict:
    """``{(env, σ, lr): [K]}`` → ``{(env, σ): best lr}`` (:func:`best_lr` per env and σ)."""
    groups: dict = {}
    for (env, sigma, lr), s in scores.items():
        groups.setdefault((env, sigma), {})[lr] = s
    return {key: best_lr(by_lr) for key, by_lr in groups.items()}


def env_label(env: str) -> str:
    """``Hopper-v5`` → ``Hopper``."""
    return env.split("-v")[0]


__all__ = [
    "SCORES", "best_lr", "best_lrs", "curve_scores", "ensure_reinforce_run", "env_label", "log_grid",
    "read_deterministic_curves", "sigma_colour", "sub_run_path", "sweep_scores", "train_sweep",
]
