"""SampledObjective throughput on Hopper-v5 vs the physics limit, a hand-written Gymnasium loop
and EnvPool: env-steps per second, ratios measured in one run (best of interleaved repeats).

Workload: ``SampledObjective("Hopper-v5", sigma=0.1, episodes=16, max_steps=T)`` evaluating 64 θ
= θ* + 0.02·N(0, I) around the hand-found "standing" linear policy θ* of ``bench_backends.py``
(long episodes, as for trained policies), i.e. 1024 episodes in lockstep. Only real env steps
are counted (ended episodes are not stepped; the objective's ``env_steps``).

  (a) physics limit: the objective's own actions and active masks are recorded once and
      replayed open loop (MuJoCo is deterministic, so the replay takes exactly the same steps):
        BatchedLocomotion.step(actions, active)           (its numpy v5 semantics, no policy)
        raw mujoco.batch: ctrl[ids] = a; Batch.step(ids, nstep=4)   (no semantics)
        raw mujoco.batch: Batch.step(nstep=4·T), constant ctrl, no Python per step
  (b) hand-written Gymnasium loop, one θ at a time, one env at a time (a subset of θ and
      episodes, same seeds and noise streams as the objective; rate = steps / time). It uses one
      core; the row "objective, 1 thread" (the same objective with its backend on one thread)
      gives the per-core ratio, which does not depend on how busy the machine's other core is.
  (c) EnvPool, N = 1024, numpy policy, only running envs stepped (``step(a, env_id=active)``)

Targets: objective >= 85% of (a) (BatchedLocomotion replay), >= 2.5× (b), >= 1.0× (c).

Then the paper's perturbation experiment (500 directions × 2 signs × 128 episodes at a
trained-like θ, 1000-step episodes): predicted wall time = env-steps / measured rate, checked on
a reduced run (directions × 2 signs × episodes, evaluated in one call) by predicted vs measured.

    python benchmarks/bench_sampled.py            # ≈ 2.5 min on 2 cores
    python benchmarks/bench_sampled.py --quick    # ≈ 1 min
    python benchmarks/bench_sampled.py --profile  # + cProfile of one evaluate()
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import mujoco
import numpy as np
from mujoco import batch as mj_batch

from policyscape.envs.mujoco_batch import BatchedLocomotion
from policyscape.objectives.sampled import SampledObjective, episode_seed_sequence

# The workload's constants and the hand-found "standing" Hopper policy are bench_backends.py's.
from bench_backends import B_STAR, ENV_ID, FRAME_SKIP, SIGMA, W_STAR, n_cores  # noqa: E402

THETA_STAR = np.concatenate([W_STAR.ravel(), B_STAR])      # LinearGaussian layout: W [D, K] row-major, then b


def make_thetas(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return THETA_STAR + 0.02 * rng.standard_normal((n, THETA_STAR.size))


# ---------------------------------------------------------------- the objective (+ recording)
class Recorder:
    """Wraps the objective's backend and records (actions, active) of every step."""

    def __init__(self, inner):
        self.inner, self.num_envs = inner, inner.num_envs
        self.seeds, self.log = None, []

    def reset(self, seeds):
        self.seeds, self.log = np.array(seeds), []
        return self.inner.reset(seeds)

    def step(self, actions, active):
        self.log.append((np.array(actions), np.array(active)))
        return self.inner.step(actions, active)


def bench_objective(obj: SampledObjective, thetas: np.ndarray, seed: int) -> tuple[int, float]:
    t0 = time.perf_counter()
    out = obj.evaluate(thetas, seed=seed)
    return int(out["env_steps"].sum()), time.perf_counter() - t0


def record(obj: SampledObjective, thetas: np.ndarray, seed: int) -> Recorder:
    saved = obj.engine.backend(thetas.shape[0] * obj.episodes)
    rec = Recorder(saved)
    obj.engine.use_backend(rec)
    try:
        obj.evaluate(thetas, seed=seed)
    finally:
        obj.engine.use_backend(saved)
    return rec


# ---------------------------------------------------------------- (a) physics limit
def bench_replay_locomotion(env: BatchedLocomotion, rec: Recorder) -> tuple[int, float]:
    t0 = time.perf_counter()
    env.reset(rec.seeds)
    steps = 0
    for a, active in rec.log:
        env.step(a, active)
        steps += int(active.sum())
    return steps, time.perf_counter() - t0


def bench_replay_raw(env: BatchedLocomotion, rec: Recorder, ids_log) -> tuple[int, float]:
    """The same steps on the same Batch, with nothing but ctrl writes and Batch.step per step."""
    env.reset(rec.seeds)
    sim, ctrl = env._sim, env._ctrl
    steps = 0
    t0 = time.perf_counter()
    for (a, _), ids in zip(rec.log, ids_log):
        ctrl[ids] = a[ids]
        sim.step(ids, nstep=FRAME_SKIP)
        steps += ids.size
    return steps, time.perf_counter() - t0


def bench_physics_only(model, n: int, horizon: int, seed: int) -> tuple[int, float]:
    sim = mj_batch.Batch(model, nsim=n, nthread=n_cores())
    qpos, qvel, ctrl = sim.bind("qpos"), sim.bind("qvel"), sim.bind("ctrl")
    rng = np.random.default_rng(seed)
    sim.reset(stage=mujoco.mjtStage.mjSTAGE_NONE.value)
    qpos[:] = model.qpos0 + rng.uniform(-5e-3, 5e-3, (n, model.nq))
    qvel[:] = rng.uniform(-5e-3, 5e-3, (n, model.nv))
    ctrl[:] = np.clip(B_STAR, -1, 1)
    sim.forward()
    t0 = time.perf_counter()
    sim.step(nstep=FRAME_SKIP * horizon)
    return n * horizon, time.perf_counter() - t0


# ---------------------------------------------------------------- (b) hand-written Gymnasium loop
def bench_gym_loop(thetas: np.ndarray, episodes: int, horizon: int, seed: int) -> tuple[int, float]:
    """What a user writes: for θ, for episode: reset(seed), step until done (same seeds/noise as CRN)."""
    env = gym.make(ENV_ID, max_episode_steps=horizon)
    low, high = env.action_space.low, env.action_space.high
    steps = 0
    t0 = time.perf_counter()
    for theta in thetas:
        W, b = theta[:33].reshape(11, 3), theta[33:]
        for k in range(episodes):
            reset_seed, rng = episode_seed_sequence(seed, k)
            obs, _ = env.reset(seed=reset_seed)
            while True:
                a = np.clip(obs @ W + b + SIGMA * rng.standard_normal(3), low, high)
                obs, _, term, trunc, _ = env.step(a)
                steps += 1
                if term or trunc:
                    break
    dt = time.perf_counter() - t0
    env.close()
    return steps, dt


# ---------------------------------------------------------------- (c) EnvPool
def make_envpool(n: int, seed: int):
    import envpool
    return envpool.make(ENV_ID, env_type="gymnasium", num_envs=n, batch_size=n,
                        num_threads=n_cores(), seed=seed)


def bench_envpool(pool, thetas: np.ndarray, episodes: int, horizon: int, seed: int) -> tuple[int, float]:
    n = pool.num_envs
    W = np.repeat(thetas[:, :33].reshape(-1, 11, 3), episodes, axis=0)
    b = np.repeat(thetas[:, 33:], episodes, axis=0)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    obs, _ = pool.reset()
    active = np.arange(n, dtype=np.int32)
    steps = 0
    for _ in range(horizon):
        mean = np.einsum("bi,bij->bj", obs, W[active]) + b[active]
        a = np.clip(mean + SIGMA * rng.standard_normal(mean.shape), -1.0, 1.0)
        o, _, term, trunc, _ = pool.step(a, active)
        steps += active.size
        keep = ~(term | trunc)
        active, obs = active[keep], o[keep]
        if active.size == 0:
            break
    return steps, time.perf_counter() - t0


# ---------------------------------------------------------------- profile
def profile_objective(obj: SampledObjective, thetas: np.ndarray, seed: int) -> None:
    import cProfile
    import pstats
    pr = cProfile.Profile()
    pr.enable()
    obj.evaluate(thetas, seed=seed)
    pr.disable()
    pstats.Stats(pr).sort_stats("tottime").print_stats(12)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="≈ 1 min: shorter episodes, 3 repeats, smaller subsets")
    p.add_argument("--thetas", type=int, default=64)
    p.add_argument("--episodes", type=int, default=16)
    p.add_argument("--max-steps", type=int, default=None, help="episode cap (default 60; --quick 30)")
    p.add_argument("--repeats", type=int, default=None, help="interleaved repeats (default 5; --quick 3)")
    p.add_argument("--profile", action="store_true", help="cProfile one evaluate() at the end")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    T = args.max_steps or (30 if args.quick else 60)
    repeats = args.repeats or (3 if args.quick else 5)
    gym_thetas, gym_eps = (4, 4) if args.quick else (4, 8)
    red_dirs, red_eps = (4, 4) if args.quick else (4, 32)
    B, E, seed = args.thetas, args.episodes, args.seed
    N = B * E
    print(f"{ENV_ID}: {B} θ × {E} episodes = {N} envs, σ = {SIGMA}, max_steps = {T}, "
          f"{n_cores()} cores, best of {repeats} interleaved repeats")

    thetas = make_thetas(B, seed)
    obj = SampledObjective(ENV_ID, sigma=SIGMA, episodes=E, max_steps=T, seed=seed)
    obj.evaluate(thetas[:1])   # warm-up: imports
    obj1 = SampledObjective(ENV_ID, sigma=SIGMA, episodes=E, max_steps=T, seed=seed)
    obj1.engine.use_backend(BatchedLocomotion(ENV_ID, N, num_threads=1, max_episode_steps=T))   # one core
    t0 = time.perf_counter()
    rec = record(obj, thetas, seed)   # builds the backend for N envs; records actions + masks
    print(f"  (recording run: {sum(int(m.sum()) for _, m in rec.log)} steps, "
          f"{time.perf_counter() - t0:.1f} s incl. backend build)")
    ids_log = [np.flatnonzero(m).astype(np.int32) for _, m in rec.log]
    replay_env = BatchedLocomotion(ENV_ID, N, max_episode_steps=T)
    model = gym.make(ENV_ID).unwrapped.model
    try:
        pool = make_envpool(N, seed)
    except ImportError as e:
        pool = None
        print(f"  (c) EnvPool skipped: {e}")

    rows = ["objective", "objective, 1 thread", "(a) BatchedLocomotion replay", "(a) raw Batch replay", "(a) physics only",
            "(b) gymnasium loop", "(c) envpool"]
    best = {r: (0.0, 0, 0.0) for r in rows}

    def keep(name, steps_dt):
        steps, dt = steps_dt
        rate = steps / dt
        if rate > best[name][0]:
            best[name] = (rate, steps, dt)

    for _ in range(repeats):
        keep("objective", bench_objective(obj, thetas, seed))
        keep("objective, 1 thread", bench_objective(obj1, thetas, seed))
        keep("(a) BatchedLocomotion replay", bench_replay_locomotion(replay_env, rec))
        keep("(a) raw Batch replay", bench_replay_raw(replay_env, rec, ids_log))
        keep("(a) physics only", bench_physics_only(model, N, T, seed))
        keep("(b) gymnasium loop", bench_gym_loop(thetas[:gym_thetas], gym_eps, T, seed))
        if pool is not None:
            keep("(c) envpool", bench_envpool(pool, thetas, E, T, seed))

    r_obj = best["objective"][0]
    print(f"\n{'backend':<32}{'steps/s':>10}{'steps':>10}{'time s':>8}{'objective ÷ row':>17}")
    for r in rows:
        rate, steps, dt = best[r]
        if rate == 0:
            continue
        print(f"{r:<32}{rate:>10,.0f}{steps:>10,}{dt:>8.2f}{r_obj / rate:>16.2f}×")
    checks = [("objective / (a) BatchedLocomotion replay", "(a) BatchedLocomotion replay", 0.85),
              ("objective / (b) gymnasium loop", "(b) gymnasium loop", 2.5),
              ("objective / (c) envpool", "(c) envpool", 1.0)]
    print()
    for label, r, target in checks:
        if best[r][0] == 0:
            print(f"  {label}: skipped")
            continue
        ratio = r_obj / best[r][0]
        print(f"  {label:<42} {ratio:6.2f}  (target >= {target:g}: {'OK' if ratio >= target else 'MISSED'})")
    print(f"  objective, 1 thread / (b) gymnasium loop (per core)  "
          f"{best['objective, 1 thread'][0] / best['(b) gymnasium loop'][0]:.2f}")
    print(f"  (a) raw Batch replay / physics only: "
          f"{best['(a) raw Batch replay'][0] / best['(a) physics only'][0]:.2f}")

    # ---- paper scale: 500 directions × 2 signs × 128 episodes at θ*, 1000-step episodes
    print("\nPaper-scale perturbation estimate (θ* standing policy, 1000-step cap, rate from the objective row):")
    rng = np.random.default_rng(seed + 1)
    d = rng.standard_normal((red_dirs, THETA_STAR.size))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    alpha = 0.1
    pts = np.concatenate([THETA_STAR + alpha * d, THETA_STAR - alpha * d])
    red = SampledObjective(ENV_ID, sigma=SIGMA, episodes=red_eps, max_steps=1000, seed=seed)
    red.engine.backend(len(pts) * red_eps)   # build the backend outside the timing
    t0 = time.perf_counter()
    out = red.evaluate(pts, seed=seed + 1)
    t_red = time.perf_counter() - t0
    steps_red = int(out["env_steps"].sum())
    mean_len = steps_red / (2 * red_dirs * red_eps)
    pred_red = steps_red / r_obj
    print(f"  reduced run: {red_dirs} dirs × 2 signs × {red_eps} episodes (α = {alpha}, {len(pts) * red_eps} envs "
          f"in one call): {steps_red:,} steps, mean episode length {mean_len:.0f}; "
          f"predicted {pred_red:.1f} s, measured {t_red:.1f} s (measured / predicted {t_red / pred_red:.2f}; "
          f"its own rate {steps_red / t_red:,.0f} steps/s)")
    for label, L in (("at the measured mean length", mean_len), ("upper bound, 1000 steps", 1000.0)):
        steps_full = 500 * 2 * 128 * L
        print(f"  paper scale {label}: {steps_full:,.0f} env-steps / {r_obj:,.0f} per s = "
              f"{steps_full / r_obj / 60:.0f} min ({steps_full / r_obj / 3600:.2f} h)")

    if args.profile:
        print("\ncProfile of one objective evaluate():")
        profile_objective(obj, thetas, seed)


if __name__ == "__main__":
    main()
