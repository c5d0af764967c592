"""The gridworld recipe's computation: train, pick the solutions, run the landscape analyses, and save
every result under the recipe directory (resumable sub-runs). Draws nothing: ``plots`` draws the
figures from the saved files, ``claims`` reads them for the verdicts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from policyscape.errors import InputError
from policyscape.optimize.exact_pg import ExactTrainConfig
from policyscape.recipes.entropy_schedules import Schedule
from policyscape.recipes.gridworld.config import (
    AUTHORS,
    CORNER_TAUS,
    CURVE_EVERY,
    DOWN,
    INTERP_VARIANTS,
    NO_ENTROPY,
    OTHER_LOGIT,
    PERTURB_VARIANTS,
    RIGHT,
    GridworldConfig,
    sweep_dir,
)
from policyscape.runs.rundir import RunDir


def train(env: str, config: ExactTrainConfig, out: Path, progress: bool) -> dict:
    """``run_exact_training`` into ``out`` unless a finished run with this configuration is there → summary."""
    from policyscape.runs.training import exact_run_config, finished_summary, run_exact_training

    return finished_summary(out, exact_run_config(env, config, CURVE_EVERY)) or run_exact_training(
        env, config, out, progress, curve_every=CURVE_EVERY)


def sweep_row(schedule: Schedule, lr: float, directory: str, summary: dict) -> dict:
    """One (schedule, lr) row of ``sweep.json`` from a training summary (counts of seeds at the optimum)."""
    final = np.asarray(summary["final_returns"], dtype=float)
    greedy = np.asarray(summary["greedy_returns"], dtype=float)
    tol, opt = summary["optimal_tolerance"], summary["optimal_value"]
    return {"schedule": schedule.name, "label": schedule.label(), "entropy": schedule.entropy,
            "entropy_decay": schedule.entropy_decay, "lr": lr, "dir": directory, "seeds": int(final.size),
            "optimal": int(np.sum(np.abs(final - opt) <= tol)), "greedy_optimal": int(np.sum(np.abs(greedy - opt) <= tol)),
            "optimal_value": opt, "final_returns": final.tolist()}


def best_entropy_row(rows: list[dict]) -> dict:
    """The (schedule, lr) with τ0 > 0 that has the most seeds at the optimum (ties: the first listed)."""
    candidates = [r for r in rows if r["entropy"] > 0]
    if not candidates:
        raise InputError("the sweep needs at least one schedule with entropy > 0")
    return max(candidates, key=lambda r: (r["optimal"] / r["seeds"], -rows.index(r)))


def deterministic_theta(policy, action: int, other_logit: float = OTHER_LOGIT) -> np.ndarray:
    """θ of the policy that takes ``action`` in every state: its logit 0, the others ``other_logit`` (bias 0)."""
    logits = np.full((policy.num_states, policy.num_actions), other_logit)
    logits[:, action] = 0.0
    return policy.from_logits(logits)


def choose_solutions(summary: dict) -> tuple[int | None, list[int], list[int]]:
    """(sub-optimal seed, optimal seeds, sub-optimal seeds) of a training summary.

    Sub-optimal: the greedy policy does not reach the optimum (it goes to the 4.5 corner); optimal: the
    final return is within the summary's tolerance of the optimum.
    """
    opt, tol = summary["optimal_value"], summary["optimal_tolerance"]
    final, greedy = np.asarray(summary["final_returns"]), np.asarray(summary["greedy_returns"])
    subs = [int(k) for k in np.flatnonzero(greedy < opt - tol)]
    opts = [int(k) for k in np.flatnonzero(np.abs(final - opt) <= tol)]
    return (subs[0] if subs else None), opts, subs


def compute(config: GridworldConfig, out: Path, progress: bool = True, executor=None) -> None:
    """Every part of the recipe (``recipes.gridworld``'s docstring), saved under ``out``; exact, so ``executor``
    is not used."""
    from policyscape.objectives.registry import make_objective
    from policyscape.runs.checkpoint import load_params

    names = [s.name for s in config.schedules]
    if NO_ENTROPY not in names or AUTHORS not in names or config.reference_lr not in config.lrs:
        raise InputError(f"the gridworld recipe needs schedules {NO_ENTROPY!r} and {AUTHORS!r} and the reference "
                         f"lr {config.reference_lr} among lrs {config.lrs}; got schedules {names}")
    run_dir = RunDir(out)
    base = ExactTrainConfig(seeds=config.seeds, updates=config.updates, seed=config.seed)

    # 1. schedules × learning rates, then the best entropy schedule again on fresh seeds
    rows = []
    for schedule in config.schedules:
        for lr in config.lrs:
            train_config = replace(base, lr=lr, entropy=schedule.entropy, entropy_decay=schedule.entropy_decay)
            summary = train(config.env, train_config, out / sweep_dir(schedule, lr), progress)
            rows.append(sweep_row(schedule, lr, sweep_dir(schedule, lr), summary))
    run_dir.write_json("sweep.json", {"env_id": config.env, "seeds": config.seeds, "updates": config.updates,
                                      "reference_lr": config.reference_lr, "rows": rows})
    best = best_entropy_row(rows)
    schedule = next(s for s in config.schedules if s.name == best["schedule"])
    confirm = f"confirm/{best['schedule']}_lr{best['lr']:g}_seed{config.confirm_seed}"
    summary = train(config.env, replace(base, lr=best["lr"], entropy=schedule.entropy,
                                        entropy_decay=schedule.entropy_decay, seed=config.confirm_seed),
                    out / confirm, progress)
    run_dir.write_json("confirm.json", {"selected_from_sweep": best, "confirm_seed": config.confirm_seed,
                                        "row": sweep_row(schedule, best["lr"], confirm, summary)})

    # 2. the long τ = 0 run and its solutions
    long_config = ExactTrainConfig(seeds=config.solution_seeds, updates=config.solution_updates, lr=config.solution_lr,
                                   seed=config.seed, checkpoint_every=config.solution_updates)
    summary = train(config.env, long_config, out / "solution", progress)
    sub, opts, subs = choose_solutions(summary)
    objective = make_objective(config.env)
    def final(k):
        return load_params(f"{out / 'solution' / 'final.npz'}@{k}").theta
    def initial(k):
        return load_params(f"{out / 'solution' / 'checkpoints' / 'update_000000.npz'}@{k}").theta

    def describe(k: int) -> dict:
        theta = final(k)
        return {"seed": k, "return": float(summary["final_returns"][k]), "greedy_return": float(summary["greedy_returns"][k]),
                "gap_to_greedy": float(summary["greedy_returns"][k] - summary["final_returns"][k]),
                "grad_norm": float(np.linalg.norm(objective.grad(theta))), "theta_norm": float(np.linalg.norm(theta))}

    solution = {"updates": config.solution_updates, "lr": config.solution_lr, "seeds": config.solution_seeds,
                "suboptimal_seeds": subs, "optimal_seeds": opts,
                "suboptimal": describe(sub) if sub is not None else None,
                "optimal": describe(opts[0]) if opts else None}
    run_dir.write_json("solution.json", solution)

    from policyscape.landscape.perturb import PerturbConfig
    from policyscape.runs.landscape import Point, run_interpolate, run_perturb

    if sub is not None:
        at = Point(final(sub), f"solution/final.npz@{sub}")
        perturb = PerturbConfig(alphas=tuple(config.perturb_alphas), directions=config.directions, seed=0)
        for name, _, tau, mix in PERTURB_VARIANTS:
            run_perturb(make_objective(config.env, entropy=tau, mix=mix), at, perturb, out / "perturb" / name,
                        config.env, {"entropy": tau, "mix": mix}, show_progress=progress)
    # 3. sub-optimal → optimal
    alphas = np.linspace(-0.5, 1.5, config.interp_points)
    if sub is not None and opts:
        anchors = [Point(final(sub), f"sub-optimal seed {sub}"), Point(final(opts[0]), f"optimal seed {opts[0]}")]
        objectives = {label: make_objective(config.env, entropy=t, mix=c) for label, (t, c) in INTERP_VARIANTS.items()}
        run_interpolate(objectives, anchors, alphas, out / "interp-sub-to-opt", config.env, show_progress=progress)
    # 4. all down → all right
    policy = objective.policy
    corners = [Point(deterministic_theta(policy, DOWN), "all down"), Point(deterministic_theta(policy, RIGHT), "all right")]
    objectives = {f"τ = {t:g}": make_objective(config.env, entropy=t) for t in CORNER_TAUS}
    run_interpolate(objectives, corners, np.linspace(0.0, 1.0, config.corner_points), out / "interp-down-right",
                    config.env, show_progress=progress)
    # 5. start → solution
    starts = opts[: config.start_seeds_per_kind] + subs[: config.start_seeds_per_kind]
    objectives = {label: make_objective(config.env, entropy=t) for label, t in (("τ = 0", 0.0), ("τ = 0.01", 0.01))}
    for k in starts:
        run_interpolate(objectives, [Point(initial(k), f"seed {k} initial"), Point(final(k), f"seed {k} solution")],
                        alphas, out / "start-to-solution" / f"seed_{k}", config.env, show_progress=progress)
    run_dir.write_json("start_to_solution.json", {"seeds": starts, "optimal": opts[: config.start_seeds_per_kind],
                                                  "suboptimal": subs[: config.start_seeds_per_kind]})
