"""Throughput of a 256×256 MLP agent policy vs the linear policy on Hopper-v5: env-steps/s, same run.

Workload (both rows): ``SampledObjective("Hopper-v5", σ = 0.1, episodes=E, max_steps=T)`` evaluating
B copies of one θ, i.e. B·E episodes stepped in lockstep by the one rollout engine; at every step ONE
batched policy call for all B·E observations.

  linear  the paper's linear Gaussian policy at the hand-found "standing" θ* of ``bench_backends.py``
  MLP     an :class:`~policyscape.policies.agent.AgentPolicy` (an SB3-shaped actor 11 → 256 → 256 → 3, tanh,
          σ fixed at 0.1: ``--sigma 0.1`` on a loaded agent), whose weights make it compute the same
          standing policy up to ~1e-6 (11 of its 256 units carry ε·o through tanh ≈ identity, the rest are
          random with zero outgoing weight), so both rows run episodes of the same lengths and
          the ratio measures the cost of the network alone: 256·256 + 11·256 + 256·3 ≈ 70k
          multiply-adds per observation, against 33 for the linear policy.

Target: MLP env-steps/s ≥ 0.7 × linear env-steps/s (best of interleaved repeats).

    python benchmarks/bench_agents.py            # ≈ 1 min on 2 cores
    python benchmarks/bench_agents.py --quick    # ≈ 20 s
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from policyscape.agents.spec import AgentSpec, Dense
from policyscape.objectives.sampled import SampledObjective
from policyscape.policies.agent import AgentPolicy

from bench_backends import B_STAR, ENV_ID, SIGMA, W_STAR  # noqa: E402

EPS = 1e-4  # tanh(ε·x) = ε·x (1 − O(ε²x²)): the carried units are linear to ~1e-6 relative for |x| ≲ 10


def mlp_standing_agent(width: int = 256, seed: int = 0) -> AgentSpec:
    """An SB3-shaped 11 → width → width → 3 tanh actor that computes ≈ the standing linear policy."""
    rng = np.random.default_rng(seed)
    D, K = W_STAR.shape
    W0 = rng.normal(0, 1 / np.sqrt(D), (width, D)).astype(np.float32)
    W0[:D] = EPS * np.eye(D)
    W1 = rng.normal(0, 1 / np.sqrt(width), (width, width)).astype(np.float32)
    W1[:D] = 0.0
    W1[:D, :D] = np.eye(D)
    mu = np.zeros((K, width), np.float32)
    mu[:, :D] = W_STAR.T / EPS  # h1 = tanh(ε o) ≈ ε o, h2 = tanh(h1) ≈ ε o on the carried units
    return AgentSpec(source="benchmark", algorithm="PPO-shaped MLP", path="<bench>", obs_shape=(D,),
                     layers=(Dense(W0, np.zeros(width, np.float32)), Dense(W1, np.zeros(width, np.float32))),
                     activation="tanh", mu=Dense(mu, B_STAR.astype(np.float32)), log_std="parameter",
                     log_std_param=np.zeros(K, np.float32), action_low=-np.ones(K, np.float32),
                     action_high=np.ones(K, np.float32), action_transform="clip")


def bench(obj: SampledObjective, thetas: np.ndarray, seed: int) -> tuple[int, float]:
    t0 = time.perf_counter()
    out = obj.evaluate(thetas, seed=seed)
    return int(out["env_steps"].sum()), time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer steps and repeats")
    p.add_argument("--thetas", type=int, default=16)
    p.add_argument("--episodes", type=int, default=16)
    p.add_argument("--max-steps", type=int, default=None, help="episode cap (default 200; --quick 60)")
    p.add_argument("--repeats", type=int, default=None, help="interleaved repeats (default 5; --quick 3)")
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    T = args.max_steps or (60 if args.quick else 200)
    repeats = args.repeats or (3 if args.quick else 5)
    B, E, seed = args.thetas, args.episodes, args.seed

    linear = SampledObjective(ENV_ID, sigma=SIGMA, episodes=E, max_steps=T, seed=seed)
    theta_lin = np.tile(np.concatenate([W_STAR.ravel(), B_STAR]), (B, 1))
    policy = AgentPolicy(mlp_standing_agent(args.width, seed), "fixed")
    mlp = SampledObjective(ENV_ID, sigma=SIGMA, episodes=E, max_steps=T, seed=seed, policy=policy)
    theta_mlp = policy.initial_params(num=B)
    print(f"{ENV_ID}: {B} θ × {E} episodes = {B * E} envs in lockstep, σ = {SIGMA}, max_steps = {T}; "
          f"MLP 11 → {args.width} → {args.width} → 3 ({policy.num_params} parameters) vs linear "
          f"({linear.num_params}); best of {repeats} interleaved repeats")
    obs = np.random.default_rng(1).normal(size=(1, 64, 11))
    gap = np.abs(policy.mode(theta_mlp[:1], obs) - (obs @ W_STAR + B_STAR)).max()
    print(f"  the MLP's mean action differs from the linear policy's by at most {gap:.1e} on random observations")
    bench(linear, theta_lin[:1], seed), bench(mlp, theta_mlp[:1], seed)  # warm-up: backends, imports
    best = {"linear": (0.0, 0, 0.0), "MLP": (0.0, 0, 0.0)}
    for _ in range(repeats):
        for name, obj, thetas in (("linear", linear, theta_lin), ("MLP", mlp, theta_mlp)):
            steps, dt = bench(obj, thetas, seed)
            if steps / dt > best[name][0]:
                best[name] = (steps / dt, steps, dt)
    print(f"\n{'policy':<10}{'env-steps/s':>14}{'steps':>10}{'time s':>9}")
    for name, (rate, steps, dt) in best.items():
        print(f"{name:<10}{rate:>14,.0f}{steps:>10,}{dt:>9.2f}")
    ratio = best["MLP"][0] / best["linear"][0]
    print(f"\nMLP / linear env-steps/s: {ratio:.2f}× (target ≥ 0.70×: {'met' if ratio >= 0.7 else 'NOT met'})")


if __name__ == "__main__":
    main()
