"""Does entropy regularization help exact policy gradient reach the optimum, and which schedule?

Trains the same seeds under several entropy schedules ``τ_t = τ0 · decay^t`` (one training
run directory each) and compares the fraction of seeds that end within ``1e-2`` of the
optimal return (Ahmed et al. 2019, Section 3.1, Figure 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from policyscape.envs.registry import DEFAULT_ENV_ID
from policyscape.errors import InputError
from policyscape.optimize.exact_pg import ExactTrainConfig
from policyscape.plots.style import plt, save_figure
from policyscape.plots.training import plot_training_run
from policyscape.runs.rundir import RunDir
from policyscape.runs.training import run_exact_training


@dataclass(frozen=True)
class Schedule:
    name: str
    entropy: float
    entropy_decay: float = 1.0

    def label(self) -> str:
        if self.entropy == 0:
            return "no entropy (τ = 0)"
        if self.entropy_decay == 1.0:
            return f"constant τ = {self.entropy:g}"
        return f"τ0 = {self.entropy:g} × {self.entropy_decay:g}^t"


DEFAULT_SCHEDULES = (
    Schedule("no-entropy", 0.0),
    Schedule("authors", 1.0, 0.99),
    Schedule("tau1-slow", 1.0, 0.995),
    Schedule("tau0.5-slow", 0.5, 0.995),
    Schedule("tau0.1-slow", 0.1, 0.995),
    Schedule("constant-0.01", 0.01, 1.0),
)


@dataclass(frozen=True)
class SchedulesConfig:
    """Exact training of many seeds under several entropy schedules."""

    env: str = DEFAULT_ENV_ID
    """Tabular environment id."""
    seeds: int = 64
    """Seeds per schedule (the same initial θ for every schedule)."""
    updates: int = 1500
    """Updates per run."""
    lr: float = 0.1
    """Learning rate (SGD)."""
    seed: int = 0
    """Run seed."""
    schedules: tuple[Schedule, ...] = field(default=DEFAULT_SCHEDULES)
    """Entropy schedules to compare."""


def run_schedules(config: SchedulesConfig, out: Path | str, show_progress: bool = True) -> dict:
    """Train every schedule into ``out/<name>/``, then write ``summary.json``, ``summary.md`` and a figure."""
    names = [s.name for s in config.schedules]
    if len(set(names)) != len(names) or not names:
        raise InputError(f"schedule names must be unique and non-empty, got {names}")
    base = ExactTrainConfig(seeds=config.seeds, updates=config.updates, lr=config.lr, seed=config.seed)
    trains = {s.name: replace(base, entropy=s.entropy, entropy_decay=s.entropy_decay) for s in config.schedules}
    for t in trains.values():
        t.validate()
    run_config = {"command": "schedules", "env_id": config.env, "schedules": {n: t.to_dict() for n, t in trains.items()}}
    run = RunDir(out).create(run_config)

    rows = []
    for schedule in config.schedules:
        summary = run_exact_training(config.env, trains[schedule.name], run.path / schedule.name, show_progress)
        plot_training_run(run.path / schedule.name)
        rows.append({"name": schedule.name, "label": schedule.label(), **{k: summary[k] for k in (
            "frac_optimal", "frac_greedy_optimal", "mean_final_return", "median_final_return", "final_returns", "optimal_value", "train_seconds")}})
    summary = {"env_id": config.env, "seeds": config.seeds, "updates": config.updates, "lr": config.lr, "schedules": rows}
    run.write_json("summary.json", summary)
    run.write_text("summary.md", schedules_markdown(summary))
    plot_schedules(run)
    return summary


def schedules_markdown(summary: dict) -> str:
    lines = [
        f"# Entropy schedules on {summary['env_id']}",
        "",
        f"{summary['seeds']} seeds × {summary['updates']} exact-gradient updates (SGD, lr {summary['lr']:g}); "
        f"optimal return {summary['schedules'][0]['optimal_value']:.6g}.",
        "",
        "*Final return at the optimum*: the seed's final return is within 0.01 of the optimal return. "
        "*Greedy policy optimal*: the argmax of the seed's final policy reaches the best reward "
        "(the seed is heading to the optimum, even if its policy is still stochastic).",
        "",
        "| schedule | final return at the optimum (±0.01) | greedy policy optimal | mean final return | median final return |",
        "|---|---|---|---|---|",
    ]
    for r in summary["schedules"]:
        lines.append(
            f"| {r['label']} | {r['frac_optimal']:.1%} | {r['frac_greedy_optimal']:.1%} "
            f"| {r['mean_final_return']:.4f} | {r['median_final_return']:.4f} |"
        )
    return "\n".join(lines) + "\n"


def plot_schedules(run: RunDir) -> Path:
    """Final-return distribution per schedule (strip plot) with the fraction at the optimum."""
    summary = run.read_json("summary.json")
    rows = summary["schedules"]
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(rows) + 1.5))
    rng = np.random.default_rng(0)
    for i, r in enumerate(rows):
        final = np.asarray(r["final_returns"])
        ax.scatter(final, i + rng.uniform(-0.2, 0.2, final.size), s=10, alpha=0.6)
        ax.text(1.01, i, f"{r['frac_optimal']:.0%} / {r['frac_greedy_optimal']:.0%}", transform=ax.get_yaxis_transform(), va="center")
    ax.axvline(rows[0]["optimal_value"], color="k", ls="--", lw=1)
    ax.set_yticks(range(len(rows)), [r["label"] for r in rows])
    ax.invert_yaxis()  # same order as the table
    ax.set(xlabel="final return (dashed: optimal)", title=f"{summary['env_id']}: final returns per schedule\n(right: at optimum / greedy policy optimal)")
    return save_figure(fig, run.file("final_returns_by_schedule.png"))
