"""Sweeps of REINFORCE runs: one run directory per configuration, trained wherever an executor says.

A sweep is a list of :class:`SweepJob` (a ``ReinforceConfig`` and the run directory it trains into).
:func:`train_runs` hands the runs to an executor of ``runs.executor`` (this process, a local pool, or
Ray), the same executors as the landscape runs: one task per run, ``workers`` runs at once. A run is
trained by ``runs.training.run_reinforce_training`` in its own directory, which it resumes from its
last checkpoint when it was killed (``resume.npz``); a finished run (its ``summary.json`` exists) is
not trained again. A worker that dies is retried: by Ray (``RAY_MAX_RETRIES``), and on the local pool
by submitting its unfinished runs to a new pool (:data:`RETRIES` times), each going on from its last
checkpoint. Every run draws from its own configuration's seeds only, so the files are byte-identical
whatever the backend, the worker count and the retries. Workers of a cluster write their run
directories themselves: ``out`` must be on a file system every node sees.

A σ × learning-rate sweep (:func:`run_sweep`, ``policyscape train --sigma 0.1,1 --lr 0.001,0.01``)
writes under ``out``::

    config.json                  command "train-sweep", the base settings, σ and learning-rate lists
    sigma_<σ>/lr_<lr>/           one REINFORCE run directory per (σ, lr) (runs.training)
    sweep.json                   every run: σ, lr, directory, per-seed scores; best learning rate per σ
    scores.csv                   sigma, lr, seeds, mean and standard error of each score, env steps

``plots.training.plot_sweep(out)`` then draws ``learning_curves.png`` from those files (the learning
curve of each σ at its best learning rate).

Scores of a run (per seed k, from its deterministic σ = 0 evaluations ``R[u, k]`` at the E evaluation
points u = 0 … E−1)::

    auc   = (1/E) Σ_u R[u, k]     (area under the learning curve per evaluation: fast *and* good)
    final = R[E−1, k]             (return after the last update)

The best learning rate of a σ has the highest mean ``auc`` over seeds (ties: the smallest; a NaN
score counts as −∞).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from policyscape.errors import InputError
from policyscape.optimize.reinforce import ReinforceConfig
from policyscape.runs.executor import PortableWork, SerialExecutor, estimate_wall_seconds, worker_counts
from policyscape.runs.rundir import RunDir

SCORES = ("auc", "final")
#: Resubmissions of a local pool's unfinished runs after a worker died.
RETRIES = 3
SWEEP_FILE = "sweep.json"


@dataclass(frozen=True)
class SweepJob:
    """One run of a sweep: its configuration and its run directory."""

    config: ReinforceConfig
    path: str


def ensure_reinforce_run(config: ReinforceConfig, path: Path | str, progress: bool = False) -> dict:
    """Train ``config`` into ``path`` unless it is finished there already (resuming a killed run) → its summary.

    A different configuration in ``path`` is refused by the run directory (``InputError``).
    """
    from policyscape.runs.training import finished_summary, reinforce_run_config, run_reinforce_training

    return finished_summary(path, reinforce_run_config(config)) or run_reinforce_training(
        config, path, show_progress=progress)


class TrainRuns(PortableWork):
    """The executors' work for a sweep: ``self(payload)`` trains run ``payload[0]`` of ``jobs``."""

    def __init__(self, jobs: Sequence[SweepJob]) -> None:
        self.jobs = tuple(jobs)

    def __call__(self, payload) -> dict[str, np.ndarray]:
        job = self.jobs[int(np.asarray(payload).ravel()[0])]
        summary = ensure_reinforce_run(job.config, job.path)
        return {"final_deterministic_return": np.asarray(summary["final_deterministic_return"], dtype=float),
                "env_steps": np.asarray([summary["env_steps"]], dtype=float)}


def train_runs(jobs: Sequence[SweepJob], executor=None, on_done: Callable[[int, dict], None] | None = None) -> list[dict]:
    """Train every job (module docstring) on ``executor`` (default: this process) → their results, in job order.

    ``on_done(i, result)`` is called as run i finishes (in completion order). Finished runs are read,
    not submitted.
    """
    from policyscape.runs.training import finished_summary, reinforce_run_config

    paths = [str(Path(j.path).resolve()) for j in jobs]
    if len(set(paths)) != len(paths):
        raise InputError("two runs of a sweep share a run directory; expected one directory per configuration")
    results: dict[int, dict] = {}
    work = TrainRuns([SweepJob(j.config, p) for j, p in zip(jobs, paths)])  # absolute: a Ray worker has its own cwd
    todo = []
    for i, job in enumerate(jobs):
        summary = finished_summary(job.path, reinforce_run_config(job.config))
        if summary is None:
            todo.append((i, np.array([i])))
        else:
            results[i] = {"final_deterministic_return": np.asarray(summary["final_deterministic_return"], dtype=float),
                          "env_steps": np.asarray([summary["env_steps"]], dtype=float)}
            if on_done is not None:
                on_done(i, results[i])
    executor = SerialExecutor() if executor is None or len(todo) <= 1 else executor
    for i, values in executor.map_chunks(work, todo, retries=RETRIES):
        results[i] = values
        if on_done is not None:
            on_done(i, values)
    return [results[i] for i in range(len(jobs))]


# --------------------------------------------------------------------------- σ × learning-rate sweeps


def check_sweep_values(sigmas: Sequence[float], lrs: Sequence[float]) -> None:
    """Refuse (InputError) empty lists, duplicates, σ < 0 or non-finite, learning rates ≤ 0."""
    for name, values, ok, expected in (("sigma", sigmas, lambda v: v >= 0, ">= 0"),
                                       ("lr", lrs, lambda v: v > 0, "> 0")):
        if len(values) == 0:
            raise InputError(f"--{name} must list at least one value, got none")
        for v in values:
            if not (isinstance(v, (int, float)) and math.isfinite(v) and ok(v)):
                raise InputError(f"--{name} values must be finite numbers {expected}, got {v!r}")
        seen = [v for i, v in enumerate(values) if v in values[:i]]
        if seen:
            raise InputError(f"--{name} lists {seen[0]!r} twice; expected distinct values")


def sweep_run_path(out: Path | str, sigma: float, lr: float) -> Path:
    """``out/sigma_<σ>/lr_<lr>``: the run directory of one (σ, lr) of a sweep."""
    return Path(out) / f"sigma_{sigma:g}" / f"lr_{lr:.4g}"


def sweep_jobs(base: ReinforceConfig, sigmas: Sequence[float], lrs: Sequence[float], out: Path | str) -> list[SweepJob]:
    """The runs of a σ × lr sweep of ``base``, every one validated (InputError before anything is written)."""
    check_sweep_values(sigmas, lrs)
    jobs = [SweepJob(replace(base, sigma=float(s), lr=float(lr)), str(sweep_run_path(out, s, lr)))
            for s in sigmas for lr in lrs]
    if len({j.path for j in jobs}) != len(jobs):
        raise InputError("two (σ, lr) of the sweep round to the same directory name (σ as %g, lr to 4 digits); "
                         "expected values that differ there")
    for job in jobs:
        job.config.validate()
    return jobs


def sweep_config(base: ReinforceConfig, sigmas, lrs) -> dict:
    """The ``config.json`` of a sweep directory."""
    train = {k: v for k, v in base.to_dict().items() if k not in ("sigma", "lr")}
    return {"command": "train-sweep", "env_id": base.env, "exact": False, "train": train,
            "sigmas": [float(s) for s in sigmas], "lrs": [float(lr) for lr in lrs]}


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
    """The learning rate with the highest mean score over seeds (ties: the smallest such lr); NaN counts as −∞."""
    if not scores_by_lr:
        raise ValueError("best_lr needs at least one learning rate")
    means = {lr: float(np.mean(s)) for lr, s in scores_by_lr.items()}
    means = {lr: (m if np.isfinite(m) else -np.inf) for lr, m in means.items()}
    top = max(means.values())
    return min(lr for lr, m in means.items() if m == top)


def summarize_sweep(out: Path | str, jobs: Sequence[SweepJob]) -> dict:
    """Write ``sweep.json`` and ``scores.csv`` from the saved runs of ``jobs`` (module docstring) → sweep.json's dict."""
    run = RunDir(out)
    runs, rows, by_sigma = [], [], {}
    for job in jobs:
        curves = read_deterministic_curves(job.path)
        scores = {s: curve_scores(curves["returns"], s) for s in SCORES}
        sigma, lr = job.config.sigma, job.config.lr
        by_sigma.setdefault(sigma, {})[lr] = scores["auc"]
        runs.append({"sigma": sigma, "lr": lr, "path": str(Path(job.path).relative_to(run.path)),
                     "env_steps": float(curves["env_steps"][-1]), **{s: v for s, v in scores.items()}})
        K = curves["returns"].shape[1]
        row = [sigma, lr, K]
        for s in SCORES:
            v = scores[s]
            row += [float(np.mean(v)), float(np.std(v, ddof=1) / math.sqrt(K)) if K > 1 else float("nan")]
        rows.append(row + [float(curves["env_steps"][-1])])
    best = [{"sigma": sigma, "best_lr": best_lr(by_lr), "mean_auc": float(np.mean(by_lr[best_lr(by_lr)]))}
            for sigma, by_lr in by_sigma.items()]
    summary = {"env_id": jobs[0].config.env, "scores": list(SCORES), "best_lr_score": "auc", "runs": runs,
               "best_lr": best}
    run.write_json(SWEEP_FILE, summary)
    run.write_csv("scores.csv", ["sigma", "lr", "seeds", *[f"{s}_{m}" for s in SCORES for m in ("mean", "stderr")],
                                 "env_steps"], rows)
    return summary


def run_sweep(base: ReinforceConfig, sigmas: Sequence[float], lrs: Sequence[float], out: Path | str, executor=None,
              on_done: Callable[[SweepJob, dict], None] | None = None) -> dict:
    """Train the σ × lr sweep of ``base`` into ``out`` on ``executor`` and summarize it (module docstring)."""
    jobs = sweep_jobs(base, sigmas, lrs, out)
    RunDir(out).create(sweep_config(base, sigmas, lrs))
    started = time.perf_counter()
    train_runs(jobs, executor, None if on_done is None else (lambda i, values: on_done(jobs[i], values)))
    summary = summarize_sweep(out, jobs)
    summary["seconds"] = time.perf_counter() - started
    return summary


def estimate_sweep(jobs: Sequence[SweepJob], up_to_workers: int, backend: str) -> dict:
    """Cost of a sweep: runs, environment steps and wall time per worker count, from a probe on this machine.

    The probe trains one seed of the first run's configuration for 1 and for 2 updates (after a
    compiling warm-up; its batch of episodes is stepped as in the run) and takes the difference as the
    time of one update at the initial θ, with its environment steps; a run of S seeds steps S× larger
    batches, which cost less per step, so with S > 1 the time is an overestimate. A run's estimate is its
    updates × that (learning lengthens the episodes, so this is the estimate at the start; the bound
    with every episode at the time limit is given too); evaluations are not counted.
    """
    from policyscape.optimize.reinforce import train_reinforce

    c = replace(jobs[0].config, seeds=1)
    probe = {"updates": 1, "eval_every": 1, "eval_episodes": 1}
    train_reinforce(replace(c, **probe))  # compiles
    started = time.perf_counter()
    train_reinforce(replace(c, **probe))
    one = time.perf_counter() - started
    started = time.perf_counter()
    result = train_reinforce(replace(c, **{**probe, "updates": 2}))
    two = time.perf_counter() - started
    per_update = two - one if two > one else two / 3  # 2 updates = 3 batches, 1 update = 2 batches
    steps = np.diff(result.curves["env_steps"].sum(axis=1))
    steps_per_update = float(steps[-1]) if steps.size else 1.0
    max_steps = _max_steps(c)
    env_steps = at_limit = 0.0
    for job in jobs:
        env_steps += job.config.updates * steps_per_update * (job.config.seeds * job.config.batch_episodes) / (
            c.seeds * c.batch_episodes)
        at_limit += job.config.updates * job.config.seeds * job.config.batch_episodes * max_steps
    per_run = per_update * env_steps / max(steps_per_update, 1.0) / len(jobs)
    walls = {w: estimate_wall_seconds(len(jobs), per_run, w, backend) for w in worker_counts(up_to_workers)}
    return {"runs": len(jobs), "env_steps": env_steps, "env_steps_at_time_limit": at_limit,
            "steps_per_episode": steps_per_update / (c.seeds * c.batch_episodes),
            "seconds_per_step": per_update / max(steps_per_update, 1.0), "seconds_per_run": per_run,
            "wall_seconds": walls}


def _max_steps(config: ReinforceConfig) -> int:
    from policyscape.envs.rollout import Rollouts

    rollouts = Rollouts(config.env, config.max_steps)
    try:
        return int(rollouts.max_steps)
    finally:
        rollouts.close()
