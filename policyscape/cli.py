"""The ``policyscape`` command: parse the arguments, call the library, print or save.

Every subcommand is a dataclass parsed by tyro; ``policyscape SUBCOMMAND --help`` lists its
flags with the docstrings below. Bad input exits with code 2 and a one-line message,
before anything is written.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, fields
from pathlib import Path

import tyro

from policyscape.envs.registry import DEFAULT_ENV_ID
from policyscape.errors import InputError
from policyscape.optimize.exact_pg import ExactTrainConfig


@dataclass(frozen=True)
class Train(ExactTrainConfig):
    """Train linear softmax policies on a tabular MDP by exact policy gradient, many seeds at once.

    Writes curves.csv, final.csv, checkpoints/*.npz, final.npz, summary.json and figures to --out.
    """

    env: str = DEFAULT_ENV_ID
    """Environment id (see `policyscape envs`)."""
    exact: bool = False
    """Use the exact objective (closed-form value and gradient); required for tabular MDPs for now."""
    out: Path = Path("runs/train")
    """Run directory; refused if it holds a run with another configuration."""
    progress: bool = True
    """Show a progress bar."""


@dataclass(frozen=True)
class Evaluate:
    """Evaluate the exact objective at one parameter vector and print value, return and entropy."""

    at: str
    """Parameters: a checkpoint FILE.npz (FILE.npz@K for seed K), a flat .npy vector, or "x1,x2,..."."""
    env: str | None = None
    """Environment id; default: the one recorded in the checkpoint, else the paper's gridworld."""
    entropy: float = 0.0
    """Entropy weight τ of the regularized value."""
    mix: float = 0.0
    """Uniform mixing coefficient c: π = (1 − c) softmax + c/|A|."""
    json: bool = False
    """Print one JSON object instead of a table."""


@dataclass(frozen=True)
class Schedules:
    """Compare entropy schedules: exact training of the same seeds with τ = 0 and several τ0·decay^t.

    The main job of the README: the paper's gridworld, a table of the fraction of seeds that reach
    the optimum per schedule (summary.md), and figures.
    """

    env: str = DEFAULT_ENV_ID
    """Tabular environment id."""
    seeds: int = 64
    """Seeds per schedule."""
    updates: int = 1500
    """Exact-gradient updates per run."""
    lr: float = 0.1
    """Learning rate (SGD)."""
    seed: int = 0
    """Run seed."""
    out: Path = Path("runs/schedules")
    """Output directory (one sub-directory per schedule)."""
    progress: bool = True
    """Show progress bars."""


@dataclass(frozen=True)
class Envs:
    """List the tabular environment ids with their sizes and optimal values."""


@dataclass(frozen=True)
class Plot:
    """Redraw the figures of a run directory from its saved results (no recomputation)."""

    run: tyro.conf.Positional[Path]
    """Run directory written by a policyscape command."""


def cmd_train(args: Train) -> None:
    from policyscape.envs.registry import is_tabular, make_tabular
    from policyscape.runs.training import run_exact_training

    if not is_tabular(args.env):
        make_tabular(args.env)  # raises the unknown-id error with suggestions
    if not args.exact:
        raise InputError("sampled training is not available yet; pass --exact to train on the exact objective")
    config = ExactTrainConfig(**{f.name: getattr(args, f.name) for f in fields(ExactTrainConfig)})
    summary = run_exact_training(args.env, config, args.out, show_progress=args.progress)
    print(
        f"{summary['frac_optimal']:.1%} of {summary['seeds']} seeds within {summary['optimal_tolerance']:g} "
        f"of the optimal return {summary['optimal_value']:.6g} (mean final return {summary['mean_final_return']:.4f})"
    )
    print(f"results: {args.out}")


def cmd_evaluate(args: Evaluate) -> None:
    from policyscape.api import evaluate

    result = evaluate(args.at, env=args.env, entropy=args.entropy, mix=args.mix)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")


def cmd_schedules(args: Schedules) -> None:
    from policyscape.recipes.entropy_schedules import SchedulesConfig, run_schedules

    config = SchedulesConfig(env=args.env, seeds=args.seeds, updates=args.updates, lr=args.lr, seed=args.seed)
    run_schedules(config, args.out, show_progress=args.progress)
    print((args.out / "summary.md").read_text())
    print(f"results and figures: {args.out}")


def cmd_envs(args: Envs) -> None:
    from policyscape.envs.registry import TABULAR_ENVS, make_tabular
    from policyscape.envs.tabular import optimal_value

    for env_id in TABULAR_ENVS:
        mdp = make_tabular(env_id)
        print(f"{env_id:40s} S={mdp.num_states:4d} A={mdp.num_actions} γ={mdp.gamma:g} optimal={optimal_value(mdp).value:.6g}")


def cmd_plot(args: Plot) -> None:
    from policyscape.plots.training import plot_training_run
    from policyscape.runs.rundir import RunDir

    config = RunDir(args.run).read_config()
    if config is None:
        raise InputError(f"{str(args.run)!r} is not a run directory (no config.json)")
    if config.get("command") == "train":
        paths = plot_training_run(args.run)
    elif config.get("command") == "schedules":
        from policyscape.recipes.entropy_schedules import plot_schedules

        paths = [plot_schedules(RunDir(args.run))]
        for name in config["schedules"]:
            paths += plot_training_run(Path(args.run) / name)
    else:
        raise InputError(f"don't know how to plot a run of command {config.get('command')!r}")
    for p in paths:
        print(p)


COMMANDS = {
    "train": (Train, cmd_train),
    "evaluate": (Evaluate, cmd_evaluate),
    "schedules": (Schedules, cmd_schedules),
    "envs": (Envs, cmd_envs),
    "plot": (Plot, cmd_plot),
}


def main(argv: list[str] | None = None) -> int:
    args = tyro.extras.subcommand_cli_from_dict(
        {name: cls for name, (cls, _) in COMMANDS.items()},
        prog="policyscape",
        description="Optimization landscapes of RL policies, and what entropy does to them (Ahmed et al. 2019).",
        args=argv,
    )
    handler = next(fn for cls, fn in COMMANDS.values() if type(args) is cls)
    try:
        handler(args)
    except InputError as e:
        print(f"policyscape: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
