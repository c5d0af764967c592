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
    normalize: bool = False,
    cliff_fraction: float = 0.25,
    taylor_tolerance: float = 0.1,
    chunk_size: int = 1024,
    show_progress: bool = True,
    executor: Executor | None = None,
) -> dict:
    """The objective along ``θ0 + η·d`` (see ``landscape.linesearch``) → summary.

    ``d``: ``direction`` when given, else the exact gradient ∇O(θ0) of a differentiable objective
    (``normalize``: divided by its norm). η = 0 is always evaluated (O(θ0) from the same store).
    Writes ``direction.npy``, ``linesearch.csv`` (step, distance = η‖d‖, value, first-order prediction, every
    other field) and ``summary.json`` (best step, overshoot step, first-order range, cliffs).
    """
    theta0 = as_theta_batch(at.theta, objective.num_params, what="theta (--at)")[0]
    gradient = objective.grad(theta0) if isinstance(objective, DifferentiableObjective) else None
    if direction is None:
        if gradient is None:
            raise InputError(f"{objective.name} has no exact gradient; pass a direction (--direction FILE.npy, e.g. a "
                             "REINFORCE estimate or a training update)")
        d, source = ls.ascent_direction(gradient, normalize), {"gradient": True, "normalize": normalize}
    else:
        d = ls.ascent_direction(as_theta_batch(direction, objective.num_params, what="the direction")[0], normalize)
        source = {"file_sha256": _sha(direction), "normalize": normalize}
    steps = np.unique(np.concatenate([[0.0], np.asarray(steps, dtype=np.float64)]))
    slope = None if gradient is None else float(gradient @ d)
    run_config = {"command": "linesearch", "env_id": env_id, "objective": objective.name, "variant": variant,
                  "at": at.fingerprint(), "direction": source, "steps": steps, "chunk_size": chunk_size,
                  "cliff_fraction": cliff_fraction, "taylor_tolerance": taylor_tolerance}
    run = _prepare(out, run_config)
    run.write_npy("direction.npy", d)
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
               "num_params": objective.num_params, "direction": "gradient" if direction is None else "given",
               "normalize": normalize, "direction_norm": float(np.linalg.norm(d)),
               "gradient_norm": None if gradient is None else float(np.linalg.norm(gradient)),
               **ls.analyse(steps, values["value"], value0, slope, cliff_fraction, taylor_tolerance)}
    run.write_json("summary.json", summary)
    return summary

