"""Runs of the analyses beyond the paper: the gradient line search (``linesearch``), the trajectory plane
(``trajectory``) and the distribution of the objective one REINFORCE update away (``update-distribution``), in the style of ``runs.landscape``: record the configuration (a different one is
refused), evaluate the points resumably through a ``PointStore`` (``executor`` as there), write tables and
``summary.json``; figures are drawn afterwards from the saved files by ``plots.landscape``.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path

import numpy as np

from policyscape.errors import InputError
from policyscape.landscape import linesearch as ls
from policyscape.landscape import plane as pl
from policyscape.landscape import trajectory as tr
from policyscape.landscape import update as up
from policyscape.objectives.base import DifferentiableObjective, Objective, StochasticObjective, as_theta_batch
from policyscape.runs.executor import Executor, chunk_evaluator
from policyscape.runs.landscape import Point, _prepare
from policyscape.runs.rundir import RunDir
from policyscape.runs.store import PointStore, evaluate_points


def _sha(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array, dtype=np.float64).tobytes()).hexdigest()[:16]


def run_linesearch(
    objective: Objective,
    at: Point,
    out: Path | str,
    env_id: str,
    variant: dict,
    steps: np.ndarray,
    direction: np.ndarray | None = None,
    normalize: bool = True,
    cliff_fraction: float = ls.DEFAULT_CLIFF_FRACTION,
    taylor_tolerance: float = 0.1,
    estimate_episodes: int = 256,
    estimate_seed: int = 0,
    chunk_size: int = 1024,
    show_progress: bool = True,
    executor: Executor | None = None,
) -> dict:
    """The objective along ``θ0 + η·d`` (see ``landscape.linesearch``) → summary.

    ``d``: ``direction`` when given, else the exact gradient ∇O(θ0) of a differentiable objective, else the
    REINFORCE estimate of a sampled one from ``estimate_episodes`` episodes (``optimize.estimate``; its
    standard error is saved as ``gradient_stderr.npy`` and summarized); ``normalize``: divided by its norm.
    η = 0 is always evaluated (O(θ0) from the same store). Writes ``direction.npy``, ``linesearch.csv`` (step,
    distance = η‖d‖, value, first-order prediction, every other field) and ``summary.json`` (best step, largest
    improving step, overshoot step, first-order range, cliffs).
    """
    theta0 = as_theta_batch(at.theta, objective.num_params, what="theta (--at)")[0]
    gradient = objective.grad(theta0) if isinstance(objective, DifferentiableObjective) else None
    estimate = None
    if direction is not None:
        g = as_theta_batch(direction, objective.num_params, what="the direction")[0]
        source = {"file_sha256": _sha(g), "normalize": normalize}
    elif gradient is not None:
        g, source = gradient, {"gradient": "exact", "normalize": normalize}
    elif isinstance(objective, StochasticObjective):
        from policyscape.optimize.estimate import reinforce_estimate

        estimate = reinforce_estimate(objective, theta0, estimate_episodes, seed=estimate_seed)
        g = estimate["gradient"]
        source = {"gradient": "reinforce", "episodes": estimate_episodes, "seed": estimate_seed, "normalize": normalize}
    else:
        raise InputError(f"{objective.name} has neither an exact gradient nor rollouts; pass a direction (--direction FILE.npy)")
    d = ls.ascent_direction(g, normalize)
    steps = np.unique(np.concatenate([[0.0], np.asarray(steps, dtype=np.float64)]))
    slope = None if gradient is None else float(gradient @ d)
    run_config = {"command": "linesearch", "env_id": env_id, "objective": objective.name, "variant": variant,
                  "at": at.fingerprint(), "direction": source, "steps": steps, "chunk_size": chunk_size,
                  "cliff_fraction": cliff_fraction, "taylor_tolerance": taylor_tolerance}
    run = _prepare(out, run_config)
    run.write_npy("direction.npy", d)
    if estimate is not None:
        run.write_npy("gradient_stderr.npy", estimate["stderr"])
    fields = list(objective.fields)
    store = PointStore(run.file("points/line.csv"), fields, steps.size, chunk_size)
    values = evaluate_points(store, lambda p: ls.line_thetas(theta0, d, steps, p), chunk_evaluator(objective, executor),
                             desc="line search", show_progress=show_progress,
                             pad=not isinstance(objective, StochasticObjective), executor=executor)
    value0 = float(values["value"][0])
    predicted = value0 + steps * slope if slope is not None else np.full(steps.size, np.nan)
    columns = {"step": steps, "distance": steps * float(np.linalg.norm(d)), "first_order": predicted,
               **{f: values[f] for f in fields}}
    run.write_csv("linesearch.csv", list(columns), zip(*columns.values()))
    summary = {"env_id": env_id, "objective": objective.name, "variant": variant, "at": at.label,
               "num_params": objective.num_params, "direction": source.get("gradient", "given"),
               "normalize": normalize, "direction_norm": float(np.linalg.norm(d)),
               "gradient_norm": float(np.linalg.norm(g)),
               **ls.analyse(steps, values["value"], value0, slope, cliff_fraction, taylor_tolerance,
                            stderr=values.get("value_stderr"))}
    if estimate is not None:
        summary["reinforce_estimate"] = {"episodes": estimate["episodes"], "norm": float(np.linalg.norm(g)),
                                         "stderr_norm": float(np.linalg.norm(estimate["stderr"]))}
    run.write_json("summary.json", summary)
    return summary


def trajectory_from_run(run_dir: Path | str, seed: int) -> list[Point]:
    """The checkpoints ``run_dir/checkpoints/update_*.npz`` of a training run, row of seed ``seed``, in update
    order, as points labelled ``update_NNNNNN.npz@K``."""
    from policyscape.runs.checkpoint import load_params

    files = sorted((Path(run_dir) / "checkpoints").glob("update_*.npz"))
    if len(files) < 3:
        raise InputError(f"{str(run_dir)!r} holds {len(files)} checkpoints (checkpoints/update_*.npz); a trajectory "
                         "plane needs at least three: is it a training run directory?")
    return [Point(load_params(f"{f}@{seed}").theta, f"{f.name}@{seed}") for f in files]


def run_trajectory_plane(
    objective: Objective,
    trajectory: list[Point],
    out: Path | str,
    env_id: str,
    variant: dict,
    grid: int = 31,
    margin: float = 0.2,
    chunk_size: int = 1024,
    show_progress: bool = True,
    executor: Executor | None = None,
) -> dict:
    """The objective on the trajectory plane (``landscape.trajectory``), and at every trajectory point → summary.

    Writes ``directions.npy`` [2, n], ``plane.csv`` (u, v, fields), ``trajectory.csv`` (index, u, v, residual =
    distance off the plane, fields: the objective at the trajectory point itself) and ``summary.json``.
    """
    n = objective.num_params
    thetas = np.stack([as_theta_batch(p.theta, n, what=f"theta ({p.label})")[0] for p in trajectory])
    center = thetas[-1]
    plane = tr.pca_plane(thetas, center)
    u_axis, v_axis = tr.grid_axes(plane["coords"], grid, margin)
    d1, d2 = plane["directions"]
    run_config = {"command": "trajectory", "env_id": env_id, "objective": objective.name, "variant": variant,
                  "trajectory": [p.fingerprint() for p in trajectory], "grid": grid, "margin": margin,
                  "chunk_size": chunk_size}
    run = _prepare(out, run_config)
    run.write_npy("directions.npy", plane["directions"])
    G2 = grid * grid

    def make_thetas(points: np.ndarray) -> np.ndarray:
        points = np.asarray(points)
        on_plane = points < G2
        out_thetas = np.empty((points.size, n))
        out_thetas[on_plane] = pl.plane_thetas(center, d1, d2, u_axis, points[on_plane], axis_v=v_axis)
        out_thetas[~on_plane] = thetas[points[~on_plane] - G2]
        return out_thetas

    fields = list(objective.fields)
    store = PointStore(run.file("points/trajectory_plane.csv"), fields, G2 + len(trajectory), chunk_size)
    values = evaluate_points(store, make_thetas, chunk_evaluator(objective, executor), desc="trajectory plane",
                             show_progress=show_progress, pad=not isinstance(objective, StochasticObjective),
                             executor=executor)
    i, j = np.divmod(np.arange(G2), grid)
    run.write_csv("plane.csv", ["u", "v", *fields], zip(u_axis[j], v_axis[i], *[values[f][:G2] for f in fields]))
    coords, residual = plane["coords"], plane["residual"]
    run.write_csv("trajectory.csv", ["index", "u", "v", "residual", *fields],
                  zip(range(len(trajectory)), coords[:, 0], coords[:, 1], residual, *[values[f][G2:] for f in fields]))
    Z, path_values = values["value"][:G2], values["value"][G2:]
    best = int(np.argmax(Z))
    extent = np.linalg.norm(thetas - center, axis=1)
    summary = {"env_id": env_id, "objective": objective.name, "variant": variant, "grid": grid, "margin": margin,
               "points": [p.label for p in trajectory], "num_params": n,
               "explained_variance": [float(x) for x in plane["explained"]],
               "max_relative_residual": float(np.max(residual / np.where(extent > 0, extent, 1.0))),
               "value_start": float(path_values[0]), "value_end": float(path_values[-1]),
               "plane_max": float(Z.max()), "plane_min": float(Z.min()),
               "plane_argmax_uv": [float(u_axis[j[best]]), float(v_axis[i[best]])],
               "end_is_plane_max": bool(path_values[-1] >= Z.max()),
               "u_range": [float(u_axis[0]), float(u_axis[-1])], "v_range": [float(v_axis[0]), float(v_axis[-1])]}
    run.write_json("summary.json", summary)
    return summary


def run_update_distribution(
    objective: Objective,
    at: Point,
    out: Path | str,
    env_id: str,
    variant: dict,
    lr: float,
    batch_episodes: int,
    samples: int,
    estimator: StochasticObjective | None = None,
    weighting: str = "standardized",
    baseline: str = "none",
    seed: int = 0,
    cvar_level: float = up.DEFAULT_CVAR_LEVEL,
    chunk_size: int = 1024,
    show_progress: bool = True,
    executor: Executor | None = None,
) -> dict:
    """The objective after one REINFORCE update from θ0, over ``samples`` independent batches
    (``landscape.update``) → summary.

    ``estimator``: the sampled objective whose rollouts give the gradient estimates ĝ_s
    (``optimize.estimate.reinforce_estimates`` with ``batch_episodes`` episodes each, ``weighting``,
    ``baseline``, ``seed``); default ``objective`` itself (a sampled objective). On a tabular id pass the exact
    objective as ``objective`` (O without evaluation noise) and its sampled twin as ``estimator``.
    O(θ0), every θ_s = θ0 + lr·ĝ_s and, for a differentiable objective, the exact-gradient step
    θ0 + lr·∇O(θ0) are evaluated as one batch of points through a ``PointStore`` (resumable; ``executor`` as in
    ``runs.landscape``); a sampled objective evaluates them with its own common random numbers.

    Writes ``gradients.npy`` [S, n], ``updates.csv`` (sample, ‖ĝ_s‖, first order lr·∇O·ĝ_s where known,
    improvement O(θ_s) − O(θ0), every field of the objective at θ_s) and ``summary.json``.
    """
    from policyscape.optimize.estimate import reinforce_estimates

    up.check_update(lr, batch_episodes, samples)
    estimator = objective if estimator is None else estimator
    if not isinstance(estimator, StochasticObjective):
        raise InputError(f"{objective.name}: one REINFORCE update needs rollouts (a sampled objective to estimate the "
                         "gradient from); pass a Gymnasium id or a tabular id")
    n = objective.num_params
    if estimator.num_params != n:
        raise InputError(f"the estimator has {estimator.num_params} parameters, the objective {n}")
    theta0 = as_theta_batch(at.theta, n, what="theta (--at)")[0]
    spec = getattr(estimator, "spec", None)
    run_config = {"command": "update-distribution", "env_id": env_id, "objective": objective.name,
                  "variant": variant, "at": at.fingerprint(), "lr": float(lr), "batch_episodes": int(batch_episodes),
                  "samples": int(samples), "weighting": weighting, "baseline": baseline, "seed": int(seed),
                  "estimator": {"name": estimator.name, "same_as_objective": estimator is objective,
                                "sampling": None if spec is None or spec.sampling is None else asdict(spec.sampling)},
                  "cvar_level": cvar_level, "chunk_size": chunk_size}
    RunDir(out).check_compatible(run_config)  # before the rollouts: a different run there is refused at once
    gradients = reinforce_estimates(estimator, theta0, batch_episodes, range(samples), seed=seed,
                                    weighting=weighting, baseline=baseline)
    exact_gradient = objective.grad(theta0) if isinstance(objective, DifferentiableObjective) else None
    run = _prepare(out, run_config)
    run.write_npy("gradients.npy", gradients)
    extra = 0 if exact_gradient is None else 1

    def make_thetas(points: np.ndarray) -> np.ndarray:
        points = np.asarray(points)
        thetas = up.update_thetas(theta0, gradients, lr, np.minimum(points, samples))
        if extra:
            thetas[points == samples + 1] = theta0 + lr * exact_gradient
        return thetas

    fields = list(objective.fields)
    store = PointStore(run.file("points/updates.csv"), fields, 1 + samples + extra, chunk_size)
    values = evaluate_points(store, make_thetas, chunk_evaluator(objective, executor), desc="one update away",
                             show_progress=show_progress, pad=not isinstance(objective, StochasticObjective),
                             executor=executor)
    value0 = float(values["value"][0])
    after = values["value"][1 : samples + 1]
    first_order = (lr * gradients @ exact_gradient) if extra else np.full(samples, np.nan)
    columns = {"sample": np.arange(samples), "gradient_norm": np.linalg.norm(gradients, axis=1),
               "first_order": first_order, "improvement": after - value0,
               **{f: values[f][1 : samples + 1] for f in fields}}
    run.write_csv("updates.csv", list(columns), zip(*columns.values()))
    summary = {"env_id": env_id, "objective": objective.name, "variant": variant, "at": at.label,
               "num_params": n, "lr": float(lr), "batch_episodes": int(batch_episodes), "weighting": weighting,
               "baseline": baseline, "seed": int(seed), "update": "plain SGD ascent: θ_s = θ0 + lr·ĝ_s",
               "evaluation": "sampled" if isinstance(objective, StochasticObjective) else "exact",
               "mean_gradient_norm": float(np.linalg.norm(gradients.mean(axis=0))),
               **up.analyse(after, value0, cvar_level)}
    if "value_stderr" in values:
        summary["value_stderr_at_theta0"] = float(values["value_stderr"][0])
    if extra:
        step_value = float(values["value"][samples + 1])
        summary["exact_gradient"] = {
            "norm": float(np.linalg.norm(exact_gradient)),
            "step_value": step_value, "step_improvement": step_value - value0,
            "first_order_mean": float(np.mean(first_order)),
            "first_order_of_exact_step": float(lr * exact_gradient @ exact_gradient)}
    run.write_json("summary.json", summary)
    return summary
