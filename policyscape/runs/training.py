"""Training runs: train, then save curves, checkpoints and summary (figures are drawn afterwards
from the saved files by :mod:`policyscape.plots.training`, e.g. by the ``train`` command).

Layout of the run directory::

    config.json               command, env id and every training setting
    curves.csv                update, seed, tau, return, value, entropy, mean_entropy (one row per update and seed)
    final.csv                 seed, return, value, gap_to_optimal, optimal (one row per seed)
    checkpoints/update_NNNNNN.npz   θ of every seed (self-describing, see runs.checkpoint)
    final.npz                 θ of every seed after the last update (use ``final.npz@K`` for seed K)
    summary.json              optimal value, final returns, frac_optimal (final return within 1e-2 of
                              the optimum), greedy_returns / frac_greedy_optimal (the argmax policy's
                              return: which optimum each seed is heading to), timings
    resume.npz                while the run is under way: the trainer's state at its last checkpoint
                              (θ, optimizer state, curves so far; ``optimize.state``), written
                              atomically at every checkpoint and removed when the run is finished.
                              A killed run (even by SIGKILL) started again in the same directory goes
                              on from there and ends with exactly the files of an uninterrupted run.

``policyscape.plots.training.plot_training_run(out)`` then draws learning_curves.png and
final_returns.png from these files (the ``train`` command does so after the run).
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from policyscape.envs.registry import make_tabular
from policyscape.envs.tabular import TabularMDP, optimal_value, policy_value
from policyscape.errors import InputError
from policyscape.files import csv_columns_text
from policyscape.optimize.exact_pg import CURVE_NAMES, ExactTrainConfig, ExactTrainResult, tau_schedule, train_exact
from policyscape.optimize.state import TrainState
from policyscape.runs.checkpoint import save_checkpoint
from policyscape.runs.rundir import RunDir, to_json

POLICY_KIND = "tabular-softmax"
OPTIMAL_TOLERANCE = 1e-2
RESUME_FILE = "resume.npz"


def load_resume_state(run: RunDir, run_config: dict) -> TrainState | None:
    """The training state saved in ``run`` (``resume.npz``) for ``run_config``, or None."""
    path = run.file(RESUME_FILE)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read the resume state {str(path)!r}: {e}; delete it to start the run over") from e
    if json.loads(str(arrays.pop("config", "null"))) != json.loads(to_json(run_config)):
        raise InputError(f"the resume state {str(path)!r} belongs to another configuration; delete it to start over")
    return TrainState.from_arrays(arrays)


def resume_saver(run: RunDir, run_config: dict):
    """``on_checkpoint`` of a trainer: write its state to ``run/resume.npz`` atomically (temp file + rename)."""
    recorded = np.array(to_json(run_config))

    def save(state: TrainState) -> None:
        buf = io.BytesIO()
        np.savez(buf, config=recorded, **state.to_arrays())
        run.write_bytes(RESUME_FILE, buf.getvalue())

    return save


def _announce_resume(state: TrainState | None, run: RunDir, updates: int) -> None:
    if state is not None:
        print(f"resumed training in {run.path} from update {state.update} of {updates}", flush=True)


def greedy_returns(mdp: TabularMDP, thetas: np.ndarray) -> np.ndarray:
    """Return of the deterministic argmax policy of each θ [K, n] → [K] (which optimum a seed is heading to)."""
    from policyscape.policies.softmax import TabularSoftmaxPolicy

    policy = TabularSoftmaxPolicy(mdp.num_states, mdp.num_actions)
    out = []
    for theta in thetas:
        greedy = np.eye(mdp.num_actions)[np.argmax(np.asarray(policy.logits(theta)), axis=1)]
        out.append(float(mdp.p0 @ policy_value(mdp, greedy)))
    return np.array(out)


def summarize(
    env_id: str, mdp: TabularMDP, optimal: float, result: ExactTrainResult, tolerance: float = OPTIMAL_TOLERANCE
) -> dict:
    """Summary numbers of a training result: final returns, the fraction near the optimum, greedy returns."""
    final_returns = result.curves["return"][-1]
    reached = np.abs(final_returns - optimal) <= tolerance
    greedy = greedy_returns(mdp, result.final_params)
    return {
        "env_id": env_id,
        "optimal_value": optimal,
        "optimal_tolerance": tolerance,
        "seeds": int(final_returns.size),
        "final_returns": final_returns,
        "frac_optimal": float(reached.mean()),
        "greedy_returns": greedy,
        "frac_greedy_optimal": float(np.mean(np.abs(greedy - optimal) <= tolerance)),
        "mean_final_return": float(final_returns.mean()),
        "median_final_return": float(np.median(final_returns)),
    }


def exact_run_config(env_id: str, config: ExactTrainConfig, curve_every: int = 1) -> dict:
    """The ``config.json`` of an exact-training run directory."""
    run_config = {"command": "train", "env_id": env_id, "exact": True, "train": config.to_dict()}
    if curve_every != 1:
        run_config["curve_every"] = curve_every
    return run_config


def reinforce_run_config(config) -> dict:
    """The ``config.json`` of a REINFORCE run directory."""
    return {"command": "train", "env_id": config.env, "exact": False, "train": dict(config.to_dict())}


def finished_summary(out: Path | str, run_config: dict) -> dict | None:
    """The summary of a finished training run in ``out`` made with ``run_config``, else None.

    A different run in ``out`` is refused (``InputError``, naming the differing settings).
    """
    run = RunDir(out)
    if not run.file("summary.json").exists():
        return None
    run.check_compatible(run_config)
    return run.read_json("summary.json")


#: Columns of curves.csv after ``update`` and ``seed``, in file order.
CURVE_COLUMNS = ("tau", *[c for c in CURVE_NAMES if c != "tau"])


def _curve_rows(updates: np.ndarray, curves: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """curves.csv's columns for ``updates`` [L] from ``curves[k]`` [L, K]: one row per (update, seed)."""
    K = curves["return"].shape[1]
    return {"update": np.repeat(updates, K), "seed": np.tile(np.arange(K), updates.size),
            **{k: np.ravel(curves[k]) for k in CURVE_COLUMNS}}


def run_exact_training(
    env_id: str, config: ExactTrainConfig, out: Path | str, show_progress: bool = True, curve_every: int = 1,
    while_computing: Callable[[], None] | None = None,
) -> dict:
    """Train on ``env_id`` exactly and write the run directory ``out`` (module docstring) → summary dict.

    ``curves.csv`` keeps every ``curve_every``-th update (and the last): sweeps of many runs × seeds ×
    updates stay small on disk. Its rows are formatted segment by segment while the next segment
    computes; ``while_computing()`` is called once while the first one computes (``train_exact``),
    for a caller's own preparations. Figures are not drawn here: ``plots.training.plot_training_run(out)``
    draws them from the saved files.
    """
    from policyscape.objectives.exact import ExactObjective  # JAX: imported when a run starts

    config.validate()
    if isinstance(curve_every, bool) or not isinstance(curve_every, int) or curve_every < 1:
        raise InputError(f"curve_every must be an integer >= 1, got {curve_every!r}")
    mdp = make_tabular(env_id)
    run_config = exact_run_config(env_id, config, curve_every)
    run = RunDir(out)
    run.check_compatible(run_config)
    optimal = optimal_value(mdp).value

    run.create(run_config)
    U = config.updates + 1
    kept = np.zeros(U, dtype=bool)
    kept[::curve_every] = kept[-1] = True
    parts = [",".join(["update", "seed", *CURVE_COLUMNS]) + "\n"]  # curves.csv, header first

    def format_rows(start: int, curves: dict[str, np.ndarray]) -> None:
        rows = np.flatnonzero(kept[start : start + curves["return"].shape[0]])
        parts.append(csv_columns_text(_curve_rows(start + rows, {k: curves[k][rows] for k in CURVE_COLUMNS}),
                                      header=False))

    state = load_resume_state(run, run_config)
    _announce_resume(state, run, config.updates)
    if state is not None:  # the rows of the updates before the resumed one
        done = state.curves["return"].shape[0]
        taus = tau_schedule(config.entropy, config.entropy_decay, done)
        format_rows(0, {**state.curves, "tau": np.broadcast_to(taus[:, None], state.curves["return"].shape)})
    started = time.perf_counter()
    with tqdm(total=config.updates, desc=f"train {env_id}", unit="upd", disable=not show_progress, leave=False) as bar:
        result = train_exact(ExactObjective(mdp), config, progress=bar.update, on_segment=format_rows,
                             while_computing=while_computing, resume=state,
                             on_checkpoint=resume_saver(run, run_config))
    seconds = time.perf_counter() - started
    format_rows(U - 1, {k: result.curves[k][-1:] for k in CURVE_COLUMNS})  # the row after the last update
    run.write_text("curves.csv", "".join(parts))

    summary = summarize(env_id, mdp, optimal, result)
    final = result.curves["return"][-1]
    K = config.seeds
    run.write_columns("final.csv", {
        "seed": np.arange(K), "return": final, "value": result.curves["value"][-1], "gap_to_optimal": optimal - final,
        "optimal": np.abs(final - optimal) <= OPTIMAL_TOLERANCE,
    })
    (run.path / "checkpoints").mkdir(exist_ok=True)
    shapes = dict(env_id=env_id, policy=POLICY_KIND, num_states=mdp.num_states, num_actions=mdp.num_actions)
    for update, theta in result.checkpoints.items():
        save_checkpoint(run.file(f"checkpoints/update_{update:06d}.npz"), theta, update=update, **shapes)
    save_checkpoint(run.file("final.npz"), result.final_params, update=config.updates, **shapes)
    summary["train_seconds"] = seconds
    run.write_json("summary.json", summary)
    run.file(RESUME_FILE).unlink(missing_ok=True)
    return summary


def run_reinforce_training(config, out: Path | str, show_progress: bool = True) -> dict:
    """REINFORCE on a Gymnasium environment (``optimize.reinforce``) into the run directory ``out``.

    Writes config.json, curves.csv (env_steps, update, seed, stochastic and deterministic
    return with standard errors, entropy), checkpoints/update_NNNNNN.npz (every evaluation,
    self-describing, so ``--at DIR/checkpoints/update_000100.npz@K`` works in the landscape
    commands), final.npz and summary.json; ``plots.training.plot_reinforce_run(out)`` draws
    learning_curves.png from them.
    """
    from policyscape.optimize.reinforce import train_reinforce

    config.validate()
    run_config = reinforce_run_config(config)
    run = RunDir(out)
    run.check_compatible(run_config)
    run.create(run_config)
    state = load_resume_state(run, run_config)
    _announce_resume(state, run, config.updates)
    started = time.perf_counter()
    with tqdm(total=config.updates, desc=f"REINFORCE {config.env}", unit="upd", disable=not show_progress,
              leave=False) as bar:
        result = train_reinforce(config, progress=bar.update, resume=state, on_checkpoint=resume_saver(run, run_config))
    seconds = time.perf_counter() - started
    rows = result.rows()
    header = list(rows[0])
    run.write_csv("curves.csv", header, ([r[h] for h in header] for r in rows))
    (run.path / "checkpoints").mkdir(exist_ok=True)
    import gymnasium

    env = gymnasium.make(config.env)
    obs_dim = int(np.prod(env.observation_space.shape)) if env.observation_space.shape else int(env.observation_space.n)
    act_dim = int(env.action_space.shape[0]) if env.action_space.shape else int(env.action_space.n)
    env.close()
    shapes = dict(env_id=config.env, policy=str(config.policy_kind or "default"), num_states=obs_dim, num_actions=act_dim)
    for update, theta in result.checkpoints.items():
        save_checkpoint(run.file(f"checkpoints/update_{update:06d}.npz"), theta, update=update, **shapes)
    save_checkpoint(run.file("final.npz"), result.final_params, update=config.updates, **shapes)
    final = {k: result.curves[k][-1] for k in ("return", "deterministic_return")}
    summary = {
        "env_id": config.env,
        "seeds": config.seeds,
        "sigma": config.sigma,
        "final_return": final["return"],
        "final_deterministic_return": final["deterministic_return"],
        "mean_final_deterministic_return": float(np.mean(final["deterministic_return"])),
        "env_steps": float(np.max(result.curves["env_steps"])),
        "nonfinite_episodes": int(result.curves["nonfinite_episodes"][-1].sum()),  # left out of training
        "train_seconds": seconds,
    }
    run.write_json("summary.json", summary)
    run.file(RESUME_FILE).unlink(missing_ok=True)
    return summary
