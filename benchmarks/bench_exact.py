"""Exact gridworld benchmarks (issue 2), ratios measured in one run against numpy baselines.

1. Training: 64 seeds × 1500 exact-gradient updates (SGD, lr 0.1, τ0 = 1 × 0.99^t) with
   ``train_exact`` vs a plain per-seed numpy loop that inverts (I − γP_π) and applies the
   policy-gradient formula at every update (``objectives.reference.policy_gradient``). The
   numpy loop is timed on a subset of seeds and scaled linearly (it is a loop over seeds).
2. Evaluation: exact values of 10,000 θ with ``ExactObjective.evaluate`` vs a per-θ numpy
   loop (softmax, P_π, one np.linalg.solve per θ), timed on a subset and scaled.
3. The whole command, as a user runs it: ``policyscape train --env policyscape/SymmetricGridworld-v0
   --exact --seeds 64 --updates 1500 --lr 0.1 --out DIR`` in a fresh process and a fresh DIR,
   start-up, compilation, writing and figures included, against the same numpy loop as 1.
   Repetitions alternate the command and the loop (the machine's load changes between them);
   the ratio is of the medians (target <= 1/3). The command gets a JAX compilation cache of its
   own (``POLICYSCAPE_JAX_CACHE``, a temporary directory): the first repetition compiles and is
   reported apart (``cold``), the others find the cache as a second run on a user's machine does.
   The command trains on one JAX CPU device per core and draws its figures in a figure process
   (README, "Benchmarks"); the numpy loop runs on one core, as a per-seed loop does.

    python benchmarks/bench_exact.py [--quick] [--command-only] [--repeats N]

Times of 1 and 2 include nothing of start-up except where said; compile time is reported separately.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from policyscape.envs.gridworlds import symmetric_gridworld
from policyscape.objectives import reference
from policyscape.objectives.exact import ExactObjective
from policyscape.optimize.exact_pg import ExactTrainConfig, tau_schedule, train_exact


def numpy_training(mdp, init: np.ndarray, config: ExactTrainConfig) -> np.ndarray:
    """Per-seed loop of exact SGD ascent with the policy-gradient theorem → final θ [K, n]."""
    taus = tau_schedule(config.entropy, config.entropy_decay, config.updates)
    final = []
    for theta in init:
        theta = theta.copy()
        for tau in taus:
            theta += config.lr * reference.policy_gradient(mdp, theta, tau)
        final.append(theta)
    return np.stack(final)


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


COMMAND = ["train", "--env", "policyscape/SymmetricGridworld-v0", "--exact", "--seeds", "64", "--updates", "1500",
           "--lr", "0.1"]


def run_command(out: Path, cache: str) -> float:
    """Wall time of ``policyscape train …`` (COMMAND) in a fresh Python process writing to ``out``."""
    env = {**os.environ, "POLICYSCAPE_JAX_CACHE": cache}
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "policyscape.cli", *COMMAND, "--out", str(out)], env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"policyscape train failed ({proc.returncode}):\n{proc.stderr}")
    missing = [f for f in ("curves.csv", "final.csv", "final.npz", "summary.json", "learning_curves.png",
                           "final_returns.png") if not (out / f).is_file()]
    if missing:
        raise SystemExit(f"policyscape train did not write {missing}")
    return seconds


def whole_command(repeats: int, subset: int) -> None:
    """Section 3: the train command end to end vs the per-seed numpy loop, alternating (module docstring)."""
    mdp = symmetric_gridworld()
    config = ExactTrainConfig(seeds=64, updates=1500, lr=0.1)
    init = ExactObjective(mdp).policy.initial_params(config.seed, subset)
    numpy_times, command_times = [], []
    with tempfile.TemporaryDirectory(prefix="bench_exact_") as tmp:
        tmp = Path(tmp)
        cold = run_command(tmp / "cold", str(tmp / "jax-cache"))
        no_cache = run_command(tmp / "no-cache", "off")
        for r in range(repeats):
            t = time.perf_counter()
            numpy_training(mdp, init, config)
            numpy_times.append((time.perf_counter() - t) * config.seeds / subset)
            command_times.append(run_command(tmp / f"warm_{r}", str(tmp / "jax-cache")))
    ours, base = float(np.median(command_times)), float(np.median(numpy_times))
    print(f"\n== the whole command: policyscape {' '.join(COMMAND)} --out DIR ==")
    print(f"policyscape train (fresh process, fresh DIR): {ours:6.2f} s median of {repeats} "
          f"({', '.join(f'{x:.2f}' for x in command_times)})")
    print(f"  first run, empty compilation cache        : {cold:6.2f} s")
    print(f"  compilation cache off                     : {no_cache:6.2f} s")
    print(f"numpy per-seed loop                         : {base:6.2f} s median of {repeats} "
          f"({', '.join(f'{x:.2f}' for x in numpy_times)}; timed on {subset} seeds, scaled ×{config.seeds // subset})")
    print(f"command / numpy loop                        : {ours / base:6.3f}   (target <= 1/3 = 0.333)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer baseline seeds/θ (noisier ratios)")
    parser.add_argument("--command-only", action="store_true", help="only section 3, the whole train command")
    parser.add_argument("--repeats", type=int, default=5, help="repetitions of section 3 (default 5)")
    args = parser.parse_args()
    if args.command_only:
        whole_command(args.repeats, 2 if args.quick else 4)
        return
    mdp = symmetric_gridworld()
    objective = ExactObjective(mdp)

    # 1. training
    config = ExactTrainConfig(seeds=64, updates=1500, lr=0.1, entropy=1.0, entropy_decay=0.99)
    t = time.perf_counter()
    result = train_exact(objective, config)  # includes compilation
    first = time.perf_counter() - t
    ours = best_of(lambda: train_exact(objective, config), 2)
    subset = 2 if args.quick else 4
    init = result.initial_params[:subset]
    t = time.perf_counter()
    final_np = numpy_training(mdp, init, config)
    numpy_seconds = (time.perf_counter() - t) * config.seeds / subset
    agree = np.max(np.abs(final_np - result.final_params[:subset]))
    print("== exact training: 64 seeds × 1500 updates, 5×5 gridworld ==")
    print(f"policyscape train_exact : {ours:8.3f} s  (first call incl. compile {first:.3f} s)")
    print(f"numpy per-seed loop     : {numpy_seconds:8.3f} s  (timed on {subset} seeds, scaled ×{config.seeds // subset})")
    print(f"speed-up                : {numpy_seconds / ours:8.1f}×   (target >= 5×, and <= 10 s)")
    print(f"max |θ_numpy − θ_ours|  : {agree:.2e}")

    # 2. evaluation
    B = 10_000
    thetas = np.random.default_rng(0).uniform(-3, 3, size=(B, objective.num_params))
    t = time.perf_counter()
    values = objective.evaluate(thetas)["value"]
    first = time.perf_counter() - t
    ours = best_of(lambda: objective.evaluate(thetas), 5)
    subset = 1000 if args.quick else 3000
    t = time.perf_counter()
    ref = [reference.value(mdp, th) for th in thetas[:subset]]
    numpy_seconds = (time.perf_counter() - t) * B / subset
    print(f"\n== exact evaluation of {B} θ, 5×5 gridworld ==")
    print(f"policyscape evaluate    : {ours * 1e3:8.1f} ms  ({ours / B * 1e6:.2f} µs/θ; first call incl. compile {first:.2f} s)")
    print(f"numpy per-θ loop        : {numpy_seconds * 1e3:8.1f} ms  ({numpy_seconds / B * 1e6:.2f} µs/θ)")
    print(f"speed-up                : {numpy_seconds / ours:8.1f}×   (target >= 5×)")
    print(f"max |J_numpy − J_ours|  : {np.max(np.abs(np.asarray(ref) - values[:subset])):.2e}")

    # 3. the whole command
    whole_command(args.repeats, 2 if args.quick else 4)


if __name__ == "__main__":
    main()
