"""Exact gridworld benchmarks (issue 2), ratios measured in one run against numpy baselines.

1. Training: 64 seeds × 1500 exact-gradient updates (SGD, lr 0.1, τ0 = 1 × 0.99^t) with
   ``train_exact`` vs a plain per-seed numpy loop that inverts (I − γP_π) and applies the
   policy-gradient formula at every update (``objectives.reference.policy_gradient``). The
   numpy loop is timed on a subset of seeds and scaled linearly (it is a loop over seeds).
2. Evaluation: exact values of 10,000 θ with ``ExactObjective.evaluate`` vs a per-θ numpy
   loop (softmax, P_π, one np.linalg.solve per θ), timed on a subset and scaled.

    python benchmarks/bench_exact.py [--quick]

Times include nothing of start-up except where said; compile time is reported separately.
"""

from __future__ import annotations

import argparse
import time

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer baseline seeds/θ (noisier ratios)")
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
