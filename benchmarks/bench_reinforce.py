"""REINFORCE throughput on CartPole-v1 (issue 10): the batched classic-control backend vs the
Gymnasium loop, both through the one rollout engine, in one run.

The same REINFORCE run (same config, seeds, numbers: the two backends are bit-identical, checked
here on the final θ) is timed with ``train_reinforce(config, backend="gym")`` (every env stepped in
a Python loop, what REINFORCE used for CartPole before issue 10) and ``backend="auto"``
(``BatchedClassicControl``). Throughput = training env steps / wall time of the whole
``train_reinforce`` call (rollouts, gradients, evaluations; JAX compiled in a warm-up run first).

    python benchmarks/bench_reinforce.py [--quick]

Before issue 10 (main at 553ad00, its own REINFORCE rollout on the Gym loop), the same default run
measured on the 2-core development machine (shared with other jobs): see README.md, Benchmarks.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from policyscape.optimize.reinforce import ReinforceConfig, train_reinforce


def timed(config: ReinforceConfig, backend: str, repeats: int) -> tuple[float, int, np.ndarray]:
    """(best wall seconds, training env steps, final θ) of ``repeats`` identical runs."""
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = train_reinforce(config, backend=backend)
        best = min(best, time.perf_counter() - t0)
    steps = int(result.curves["env_steps"][-1].sum())
    return best, steps, result.final_params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (about 10 s)")
    parser.add_argument("--repeats", type=int, default=None, help="best of this many runs per backend")
    args = parser.parse_args()
    updates, episodes = (10, 32) if args.quick else (30, 64)
    repeats = args.repeats or (1 if args.quick else 2)
    config = ReinforceConfig(env="CartPole-v1", lr=0.1, batch_episodes=episodes, updates=updates, seeds=2,
                             eval_every=updates, eval_episodes=8, max_steps=500, seed=3)
    train_reinforce(ReinforceConfig(**{**config.to_dict(), "updates": 1}))  # warm-up: imports, JAX compilation
    print(f"REINFORCE on CartPole-v1: {config.seeds} seeds × {episodes} episodes × {updates} updates, "
          f"max_steps 500, best of {repeats}")
    t_gym, steps_gym, final_gym = timed(config, "gym", repeats)
    t_fast, steps_fast, final_fast = timed(config, "auto", repeats)
    assert steps_gym == steps_fast and np.array_equal(final_gym, final_fast), "backends disagree"
    print(f"  Gymnasium loop:           {t_gym:6.2f} s  {steps_gym / t_gym:10,.0f} env-steps/s")
    print(f"  BatchedClassicControl:    {t_fast:6.2f} s  {steps_fast / t_fast:10,.0f} env-steps/s")
    print(f"  ratio batched / loop:     {t_gym / t_fast:6.2f}×   (identical final θ, {steps_fast:,} training steps)")


if __name__ == "__main__":
    main()
