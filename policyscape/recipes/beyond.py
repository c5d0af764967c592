"""Beyond the paper: the trajectory plane, the gradient line search and the distribution of the return one
REINFORCE update away (issue 14), at the gridworld's solutions and along a short Hopper run.

What it runs (``run``), all saved under the recipe directory as resumable sub-runs:

1. exact training on the gridworld (``runs.training.run_exact_training``, the gridworld recipe's trainer) of the
   same seeds twice: τ = 0, and the entropy schedule τ_t = τ0·decay^t; the τ = 0 run's seeds are split into
   sub-optimal and optimal ones by ``recipes.gridworld.compute.choose_solutions``;
2. at three solutions — the first sub-optimal seed of the τ = 0 run (``sub-tau0``), *the same seed* trained with
   entropy (``sub-tau``: each run's own solution) and the first optimal seed of the τ = 0 run (``opt-tau0``) —
   the update distribution (the return after one REINFORCE update, REINFORCE's standardized estimate from
   sampled episodes, O exact and *unregularized*: the return, whatever τ trained θ), the line search along the
   exact gradient, and the trajectory plane of that seed's checkpoints;
3. a short REINFORCE run on Hopper-v5 (``runs.training.run_reinforce_training``), and at its final θ the update
   distribution (O sampled with common random numbers), the line search along the REINFORCE estimate, and the
   trajectory plane of its checkpoints.

Why compare τ = 0 and τ > 0 at each run's own solution, not at one θ: entropy acts through where training
ends; the update itself is the trainer's REINFORCE step of the return in both cases (the softmax REINFORCE
trainer has no entropy term), and the question is whether the entropy-trained solution is one where that step
is less often harmful.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from policyscape.envs.registry import DEFAULT_ENV_ID
from policyscape.recipes import verdicts as v
from policyscape.recipes.base import Figure, Recipe
from policyscape.recipes.common import read_summary

#: "Lies near a plane": the two PCA axes hold at least this share of the checkpoints' variance.
PLANE_SHARE = 0.9
#: Gridworld solutions: name → (training run, which seed).
SOLUTIONS = {"sub-tau0": ("tau0", "sub"), "sub-tau": ("tau", "sub"), "opt-tau0": ("tau0", "opt")}


@dataclass(frozen=True)
class BeyondConfig:
    """Every setting of the ``beyond`` recipe (module docstring)."""

    env: str = DEFAULT_ENV_ID
    """Tabular environment id (the paper's gridworld)."""
    seeds: int = 8
    """Seeds of the exact training runs (the same initial θ in both)."""
    updates: int = 1000
    """Exact-gradient updates per run."""
    lr: float = 1.0
    """Learning rate of the exact training (SGD)."""
    entropy: float = 0.1
    """τ0 of the entropy run's schedule τ_t = τ0·decay^t."""
    entropy_decay: float = 0.995
    """Per-update decay of τ."""
    checkpoint_every: int = 100
    """Checkpoints of the exact runs (the trajectory plane's points)."""
    update_lr: float = 1.0
    """Learning rate of the one REINFORCE update (plain SGD)."""
    update_batch: int = 16
    """Episodes per update's batch."""
    update_samples: int = 100
    """Independent updates drawn per solution."""
    steps: str = "log:1e-2:1e2:41"
    """Line-search steps η (distances along ∇O/‖∇O‖)."""
    cliff_within: float = 10.0
    """Claim "a cliff within a step of X": X, as a distance along the normalized gradient."""
    trajectory_grid: int = 21
    """Grid points per axis of the trajectory planes."""
    hopper_updates: int = 20
    """Hopper: REINFORCE updates."""
    hopper_batch: int = 16
    """Hopper: episodes per training update, and per update of the update distribution."""
    hopper_lr: float = 0.01
    """Hopper: learning rate of training and of the one update."""
    hopper_sigma: float = 0.5
    """Hopper: Gaussian σ of the policy (training and evaluation)."""
    hopper_max_steps: int = 200
    """Hopper: time limit per episode."""
    hopper_eval_every: int = 5
    """Hopper: checkpoints every this many updates."""
    hopper_samples: int = 50
    """Hopper: independent updates of the update distribution."""
    hopper_episodes: int = 16
    """Hopper: episodes per evaluated θ (common random numbers)."""
    hopper_steps: str = "log:1e-2:1:9"
    """Hopper: line-search steps η."""
    hopper_grid: int = 7
    """Hopper: grid points per axis of the trajectory plane."""
    seed: int = 0
    """Seed of the training runs, the batches and the sampled evaluations."""


def _exact_config(config: BeyondConfig, entropy: float, decay: float):
    from policyscape.optimize.exact_pg import ExactTrainConfig

    return ExactTrainConfig(seeds=config.seeds, seed=config.seed, updates=config.updates, lr=config.lr,
                            entropy=entropy, entropy_decay=decay, checkpoint_every=config.checkpoint_every)


def _hopper_config(config: BeyondConfig):
    from policyscape.optimize.reinforce import ReinforceConfig

    return ReinforceConfig(env="Hopper-v5", sigma=config.hopper_sigma, lr=config.hopper_lr,
                           batch_episodes=config.hopper_batch, updates=config.hopper_updates, seeds=1,
                           seed=config.seed, eval_every=config.hopper_eval_every, eval_episodes=4,
                           max_steps=config.hopper_max_steps)


def run(config: BeyondConfig, out: Path, progress: bool = True, executor=None) -> None:
    from policyscape.landscape.linesearch import parse_steps
    from policyscape.objectives.registry import Sampling, make_objective
    from policyscape.recipes.gridworld.compute import choose_solutions, train
    from policyscape.runs.beyond import (
        run_linesearch,
        run_trajectory_plane,
        run_update_distribution,
        trajectory_from_run,
    )
    from policyscape.runs.checkpoint import load_params
    from policyscape.runs.landscape import Point
    from policyscape.runs.rundir import RunDir
    from policyscape.runs.training import finished_summary, reinforce_run_config, run_reinforce_training

    runs = {"tau0": train(config.env, _exact_config(config, 0.0, 1.0), out / "train" / "tau0", progress),
            "tau": train(config.env, _exact_config(config, config.entropy, config.entropy_decay), out / "train" / "tau",
                         progress)}
    sub, optimal, subs = choose_solutions(runs["tau0"])
    seeds = {"sub": sub, "opt": optimal[0] if optimal else None}
    RunDir(out).write_json("solutions.json", {"sub_optimal_seed": sub, "optimal_seed": seeds["opt"],
                                              "sub_optimal_seeds": subs, "optimal_seeds": optimal,
                                              "final_returns": {k: r["final_returns"] for k, r in runs.items()}})
    exact = make_objective(config.env)
    sampled = make_objective(config.env, sampling=Sampling(episodes=1, seed=config.seed))
    for name, (run_name, which) in SOLUTIONS.items():
        k = seeds[which]
        if k is None:
            continue
        at = Point(load_params(f"{out / 'train' / run_name / 'final.npz'}@{k}").theta, f"{run_name}/final.npz@{k}")
        run_update_distribution(exact, at, out / "update" / name, config.env, {"entropy": 0.0, "mix": 0.0},
                                config.update_lr, config.update_batch, config.update_samples, estimator=sampled,
                                seed=config.seed, show_progress=progress)
        run_linesearch(exact, at, out / "linesearch" / name, config.env, {"entropy": 0.0, "mix": 0.0},
                       parse_steps(config.steps), show_progress=progress)
        run_trajectory_plane(exact, trajectory_from_run(out / "train" / run_name, k), out / "trajectory" / name,
                             config.env, {"entropy": 0.0, "mix": 0.0}, grid=config.trajectory_grid,
                             show_progress=progress)
    hopper = _hopper_config(config)
    train_dir = out / "hopper" / "train"
    if finished_summary(train_dir, reinforce_run_config(hopper)) is None:
        run_reinforce_training(hopper, train_dir, show_progress=progress)
    objective = make_objective("Hopper-v5", sampling=Sampling(sigma=config.hopper_sigma, episodes=config.hopper_episodes,
                                                              seed=config.seed, max_steps=config.hopper_max_steps))
    at = Point(load_params(f"{train_dir / 'final.npz'}@0").theta, "hopper/train/final.npz@0")
    variant = {"sigma": config.hopper_sigma, "max_steps": config.hopper_max_steps}
    run_update_distribution(objective, at, out / "hopper" / "update", "Hopper-v5", variant, config.hopper_lr,
                            config.hopper_batch, config.hopper_samples, seed=config.seed, show_progress=progress,
                            executor=executor)
    run_linesearch(objective, at, out / "hopper" / "linesearch", "Hopper-v5", variant, parse_steps(config.hopper_steps),
                   estimate_episodes=config.hopper_batch, estimate_seed=config.seed, show_progress=progress,
                   executor=executor)
    run_trajectory_plane(objective, trajectory_from_run(train_dir, 0), out / "hopper" / "trajectory", "Hopper-v5",
                         variant, grid=config.hopper_grid, show_progress=progress, executor=executor)
    draw_figures(out)


def _sub_runs(out: Path) -> dict[str, Path]:
    """Every analysis directory of the recipe that exists: 'update/sub-tau0' → path, 'hopper/update' → path, …"""
    names = [f"{kind}/{s}" for kind in ("update", "linesearch", "trajectory") for s in SOLUTIONS]
    names += [f"hopper/{kind}" for kind in ("update", "linesearch", "trajectory")]
    return {n: out / n for n in names if (out / n / "summary.json").exists()}


def draw_figures(out: Path) -> list[Path]:
    from policyscape.plots.landscape import PLOTTERS

    commands = {"update": "update-distribution", "linesearch": "linesearch", "trajectory": "trajectory"}
    return [p for name, path in _sub_runs(out).items() for p in PLOTTERS[commands[_kind(name)]](path)]


def _kind(name: str) -> str:
    """'update/sub-tau0' → 'update'; 'hopper/update' → 'update'."""
    return name.split("/")[-1] if name.startswith("hopper/") else name.split("/")[0]


# --------------------------------------------------------------------------- verdicts (pure)


def decrease_claim(without: dict, with_entropy: dict) -> tuple[str, str, dict]:
    """"Entropy lowers the probability that one update decreases the return": P(decrease) at the τ = 0 solution minus
    at the τ > 0 solution (Newcombe interval) is positive → holds; negative → does not hold; else partly."""
    a = (int(without["decreases"]), int(without["finite"]))
    b = (int(with_entropy["decreases"]), int(with_entropy["finite"]))
    d = v.difference_interval(a, b)
    text = (f"P(decrease) {a[0]}/{a[1]} at the τ = 0 solution vs {b[0]}/{b[1]} at the τ > 0 solution of the same seed; "
            f"difference {d.format('.3f')}; mean improvement {without['mean_improvement']['estimate']:.3g} vs "
            f"{with_entropy['mean_improvement']['estimate']:.3g}; CVaR{100 * without['cvar_level']:g}% "
            f"{without['cvar_improvement']:.3g} vs {with_entropy['cvar_improvement']:.3g}")
    return v.positive(d), text, {"without": a, "with_entropy": b, "difference": [d.estimate, d.lo, d.hi],
                                 "return_without": without["value_at_theta0"],
                                 "return_with_entropy": with_entropy["value_at_theta0"]}


def cliff_claim(summary: dict, within: float) -> tuple[str, str, dict]:
    """"A cliff within a step of X": some cliff of the (exact) line search ends at η ≤ X (exact: holds or not)."""
    near = [c for c in summary["cliffs"] if c["step_after"] <= within]
    text = (f"{len(summary['cliffs'])} cliff(s) on the grid, {len(near)} within η ≤ {within:g}"
            + (f" (first between η {near[0]['step_before']:.3g} and {near[0]['step_after']:.3g}, falls "
               f"{near[0]['drop']:.3g})" if near else "")
            + f"; best η {summary['best_step']:.3g} (improvement {summary['best_improvement']:.3g}), worse from η "
              f"{summary['overshoot_step']}")
    return v.exact(bool(near)), text, {"cliffs": len(summary["cliffs"]), "within": within, "cliffs_within": len(near),
                                        "best_step": summary["best_step"], "overshoot_step": summary["overshoot_step"]}


def plane_claim(trajectories: dict[str, tuple[list[float], int]], share: float = PLANE_SHARE) -> tuple[str, str, dict]:
    """"A training trajectory lies near a plane": ``trajectories`` maps a name to (explained variance of its PCA axes,
    number of checkpoints). Every trajectory of more than three checkpoints must have its two axes explain ≥ ``share``
    of the variance (exact PCA; all → holds, none → does not hold, else partly). Three checkpoints or fewer always lie
    in the plane through them (centred on the last, two difference vectors): they say nothing and are left out."""
    shares = {name: float(sum(ev[:2])) for name, (ev, count) in trajectories.items() if count > 3}
    left_out = [name for name, (_, count) in trajectories.items() if count <= 3]
    text = "; ".join(f"{name}: {s:.1%} ({trajectories[name][1]} checkpoints)" for name, s in shares.items())
    text = (text or "no trajectory with more than three checkpoints") + f" (threshold {share:.0%})"
    if left_out:
        text += f"; left out (≤ 3 checkpoints, in a plane by construction): {', '.join(left_out)}"
    verdict = v.combine(v.exact(s >= share) for s in shares.values())
    return verdict, text, {"two_axis_share": shares, "threshold": share, "left_out": left_out}


def improvement_claim(summary: dict) -> tuple[str, str, dict]:
    """"One more update improves the return on average": the 95% interval of the mean improvement is above 0."""
    if summary["mean_improvement"] is None:
        return v.NOT_RUN, "no finite value after the update", {"nonfinite": summary["nonfinite"]}
    m, p = summary["mean_improvement"], summary["probability_of_decrease"]
    interval = v.Interval(m["estimate"], m["lo"], m["hi"])
    text = (f"mean improvement {interval.format()} over {summary['finite']} updates from O(θ0) = "
            f"{summary['value_at_theta0']:.4g}; P(decrease) {p['estimate']:.2f} [{p['lo']:.2f}, {p['hi']:.2f}]; "
            f"CVaR{100 * summary['cvar_level']:g}% {summary['cvar_improvement']:.3g}; {summary['nonfinite']} non-finite")
    return v.positive(interval), text, {"mean_improvement": m, "probability_of_decrease": p,
                                        "cvar": summary["cvar_improvement"], "nonfinite": summary["nonfinite"]}


def assess(out: Path) -> list:
    runs = _sub_runs(out)
    items: list = []
    captions = {"update": ("update_distribution.png", "the return after one REINFORCE update (histogram) beside O(θ0)"),
                "linesearch": ("linesearch.png", "the return along the normalized ascent direction"),
                "trajectory": ("trajectory_plane.png", "the return on the PCA plane of the training checkpoints")}
    for name in runs:
        file, caption = captions[_kind(name)]
        items.append(Figure(f"{name}/{file}", f"{name}: {caption}"))
    solutions = json.loads((out / "solutions.json").read_text()) if (out / "solutions.json").exists() else {}

    def add(key: str, needed: list[str], make) -> None:
        if not all(n in runs for n in needed):
            reason = ("no seed of the τ = 0 run ended sub-optimal at this budget" if
                      solutions.get("sub_optimal_seed", 0) is None else "not run at this budget")
            items.append(RECIPE.not_run(reason)[list(RECIPE.claims).index(key)])
            return
        verdict, measured, evidence = make(*[read_summary(runs[n]) for n in needed])
        items.append(RECIPE.claim(key, measured, verdict, evidence,
                                  [f"{n}/{captions[_kind(n)][0]}" for n in needed]))

    add("entropy-fewer-decreases", ["update/sub-tau0", "update/sub-tau"], decrease_claim)
    add("cliff-at-suboptimal", ["linesearch/sub-tau0"], lambda s: cliff_claim(s, _config(out).get("cliff_within", 10.0)))
    planes = [n for n in ("trajectory/sub-tau0", "trajectory/opt-tau0", "hopper/trajectory") if n in runs]
    add("trajectory-plane", planes or ["trajectory/sub-tau0"],
        lambda *s: plane_claim({n: (x["explained_variance"], len(x["points"])) for n, x in zip(planes, s)}))
    add("hopper-one-update", ["hopper/update"], improvement_claim)
    return items


def _config(out: Path) -> dict:
    path = out / "config.json"
    if not path.exists():
        return {}
    recorded = json.loads(path.read_text())
    return recorded.get("config", recorded)


RECIPE = Recipe(
    name="beyond",
    title="Beyond the paper: trajectory planes, line searches and one update away",
    summary="Exact gridworld training with and without entropy, then at a sub-optimal and an optimal solution the "
            "distribution of the return after one REINFORCE update (Rahn et al. 2023), the line search along the "
            "gradient (cliffs, Sullivan et al. 2022) and the PCA plane of the training trajectory (Li et al. 2018); "
            "the same three analyses at the end of a short Hopper REINFORCE run.",
    claims={
        "entropy-fewer-decreases": "Does entropy lower the probability that one REINFORCE update decreases the return? "
                                   "(the same seed's τ = 0 sub-optimal solution vs its τ > 0 solution)",
        "cliff-at-suboptimal": "Does the line search along the exact gradient find a cliff (a fall of more than 10% "
                               "of |O(θ0)| between neighbouring steps) within a distance η ≤ cliff_within (10) "
                               "along ∇O/‖∇O‖ at the sub-optimal solution?",
        "trajectory-plane": "Does a training trajectory lie near a plane (the two PCA axes explain ≥ 90% of the "
                            "checkpoints' variance)?",
        "hopper-one-update": "Does one more REINFORCE update at the end of a short Hopper run improve the return on "
                             "average?",
    },
    budgets={
        "tiny": BeyondConfig(updates=1000, update_samples=30, update_batch=8, steps="log:1e-2:1e2:21",
                             trajectory_grid=5, hopper_updates=4, hopper_batch=4, hopper_max_steps=30,
                             hopper_eval_every=1, hopper_samples=8, hopper_episodes=4, hopper_steps="log:1e-2:1:3",
                             hopper_grid=3),
        "quick": BeyondConfig(),
        "full": BeyondConfig(seeds=32, updates=2000, update_samples=400, update_batch=32, steps="log:1e-3:1e2:101",
                             trajectory_grid=41, hopper_updates=100, hopper_batch=64, hopper_max_steps=1000,
                             hopper_eval_every=10, hopper_samples=200, hopper_episodes=32, hopper_steps="log:1e-3:1:31",
                             hopper_grid=15),
    },
    expected_time={"quick": "about 30 s", "full": "not measured (Hopper: 100 updates × 64 episodes of 1000 steps)"},
    run=run,
    assess=assess,
)
