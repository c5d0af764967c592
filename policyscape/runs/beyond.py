"""Runs of the analyses beyond the paper: the gradient line search (``linesearch``), in the style of ``runs.landscape``: record the configuration (a different one is
refused), evaluate the points resumably through a ``PointStore`` (``executor`` as there), write tables and
``summary.json``; figures are drawn afterwards from the saved files by ``plots.landscape``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from policyscape.errors import InputError
from policyscape.landscape import linesearch as ls
from policyscape.objectives.base import DifferentiableObjective, Objective, StochasticObjective, as_theta_batch
from policyscape.runs.executor import Executor, chunk_evaluator
from policyscape.runs.landscape import Point, _prepare
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