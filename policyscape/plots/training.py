"""Training figures, drawn from a run directory's saved CSV files only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.collections import LineCollection

from policyscape.plots.style import plt, save_figure
from policyscape.files import SavedRun


def _by_seed(columns: dict[str, np.ndarray], key: str) -> tuple[np.ndarray, np.ndarray]:
    """Long-format column → (updates [U], values [U, K])."""
    updates = np.unique(columns["update"])
    seeds = np.unique(columns["seed"])
    values = np.full((updates.size, seeds.size), np.nan)
    values[np.searchsorted(updates, columns["update"]), np.searchsorted(seeds, columns["seed"])] = columns[key]
    return updates, values


def plot_learning_curves(run: SavedRun, summary: dict) -> Path:
    """Return of every seed vs update (thin lines), median and 10–90% band, the optimum dashed."""
    columns = run.read_csv("curves.csv", columns=["update", "seed", "return", "mean_entropy"])
    updates, returns = _by_seed(columns, "return")
    _, entropy = _by_seed(columns, "mean_entropy")
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    # every seed's curve in one artist (one draw call, not one Line2D per seed)
    curves = np.stack(np.broadcast_arrays(updates[None, :], returns.T), axis=-1)  # [K, U, (x, y)]
    ax.add_collection(LineCollection(curves, colors="tab:blue", alpha=min(0.6, 8.0 / returns.shape[1]), lw=0.7))
    ax.fill_between(updates, *np.percentile(returns, [10, 90], axis=1), color="tab:orange", alpha=0.25, label="10–90%")
    ax.plot(updates, np.median(returns, axis=1), color="tab:orange", lw=2, label="median")
    ax.axhline(summary["optimal_value"], color="k", ls="--", lw=1, label=f"optimal {summary['optimal_value']:.4g}")
    ax.set(xlabel="update", ylabel="return  p0ᵀ(I − γP_π)⁻¹ r_π", title=f"{summary['env_id']}: {returns.shape[1]} seeds")
    ax.legend(loc="lower right")
    ax2.plot(updates, np.median(entropy, axis=1), color="tab:green", label="median over seeds")
    ax2.fill_between(updates, *np.percentile(entropy, [10, 90], axis=1), color="tab:green", alpha=0.25)
    ax2.set(xlabel="update", ylabel="mean policy entropy over states (nats)", title="entropy")
    ax2.legend()
    return save_figure(fig, run.file("learning_curves.png"))


def plot_final_returns(run: SavedRun, summary: dict) -> Path:
    """Histogram of the seeds' final returns, with the optimal value marked."""
    final = np.asarray(summary["final_returns"], dtype=float)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(final, bins=40, color="tab:blue")
    ax.axvline(summary["optimal_value"], color="k", ls="--", lw=1, label="optimal")
    ax.set(
        xlabel="final return",
        ylabel="seeds",
        title=f"final returns: {summary['frac_optimal']:.0%} of {final.size} seeds within {summary['optimal_tolerance']:g} of optimal",
    )
    ax.legend()
    return save_figure(fig, run.file("final_returns.png"))


def plot_training_run(path: Path | str) -> list[Path]:
    """Redraw every figure of a training run directory from its saved files (:data:`TRAINING_FIGURES`)."""
    run = SavedRun(path)
    summary = run.read_json("summary.json")
    return [plot(run, summary) for plot in TRAINING_FIGURES]


#: The figures of an exact training run, each ``plot(run, summary) → path``.
TRAINING_FIGURES = (plot_learning_curves, plot_final_returns)


def plot_reinforce_run(path: Path | str) -> list[Path]:
    """Learning curves of a REINFORCE run: stochastic and deterministic return vs environment steps."""
    run = SavedRun(path)
    c = run.read_csv("curves.csv")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for seed in np.unique(c["seed"]):
        rows = c["seed"] == seed
        ax.plot(c["env_steps"][rows], c["deterministic_return"][rows], color="tab:blue", alpha=0.8,
                label="deterministic (σ = 0)" if seed == 0 else None)
        ax.plot(c["env_steps"][rows], c["return"][rows], color="tab:orange", alpha=0.6, ls="--",
                label="stochastic (training batch)" if seed == 0 else None)
    config = run.read_config()
    ax.set(xlabel="environment steps", ylabel="undiscounted return",
           title=f"{config['env_id']}: REINFORCE, σ = {config['train'].get('sigma')}, {len(np.unique(c['seed']))} seeds")
    ax.legend()
    return [save_figure(fig, run.file("learning_curves.png"))]


def plot_sweep(path: Path | str) -> list[Path]:
    """A REINFORCE sweep (``sweep.json``): each σ's learning curve at its best learning rate.

    Deterministic (σ = 0) return vs training environment steps, mean over seeds with its standard
    error band, one line per σ, read from each run's ``curves.csv``.
    """
    sweep = SavedRun(path)
    summary = sweep.read_json("sweep.json")
    paths = {(r["sigma"], r["lr"]): r["path"] for r in summary["runs"]}
    fig, ax = plt.subplots(figsize=(7, 4.5))
    colours = plt.get_cmap("viridis")
    best = sorted(summary["best_lr"], key=lambda b: b["sigma"])
    for i, b in enumerate(best):
        c = SavedRun(sweep.path / paths[(b["sigma"], b["best_lr"])]).read_csv("curves.csv")
        _, returns = _by_seed(c, "deterministic_return")
        _, steps = _by_seed(c, "env_steps")
        x, mean = steps.mean(axis=1), returns.mean(axis=1)
        se = returns.std(axis=1, ddof=1) / np.sqrt(returns.shape[1]) if returns.shape[1] > 1 else 0 * mean
        colour = colours(i / max(len(best) - 1, 1))
        ax.plot(x, mean, color=colour, label=f"σ = {b['sigma']:g} (best lr {b['best_lr']:.4g})")
        ax.fill_between(x, mean - se, mean + se, color=colour, alpha=0.2)
    ax.set(xlabel="environment steps (training)", ylabel="deterministic (σ = 0) return",
           title=f"{summary['env_id']}: REINFORCE, each σ at its best learning rate (mean ± s.e. over seeds)")
    ax.legend()
    return [save_figure(fig, sweep.file("learning_curves.png"))]
