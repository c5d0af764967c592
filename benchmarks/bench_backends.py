"""Batched stepping backends for sampled objectives on Hopper-v5: env-steps per second.

Workload (the same for every backend): linear Gaussian policies
``a = clip(Wᵀs + b + σ ε, -1, 1)``, one θ per episode, θ = θ* + 0.02·N(0, I) around a
hand-found "standing" Hopper policy θ* (so that episodes are long, as for trained policies;
``--thetas random`` for short episodes instead), σ = 0.1, episodes cut at ``--horizon`` steps
(or ended earlier by Hopper-v5's termination).
Only real environment steps are counted (not the steps a vector env wastes on finished
episodes). All batched backends step all (θ, episode) pairs in lockstep with one batched numpy
forward pass per time step and only the still-running episodes stepped, except SyncVectorEnv,
which cannot step a subset. Each timing is the best of ``--repeats``.

  (a) gymnasium  : gym.make("Hopper-v5"), one env, one episode at a time (a hand-written loop)
  (b) gym-sync   : gymnasium.vector.SyncVectorEnv, N_small envs
      gym-async  : gymnasium.vector.AsyncVectorEnv, 2 worker processes per core
  (c) envpool    : envpool.make("Hopper-v5", env_type="gymnasium"), N envs, all cores
  (d) mujoco     : Gymnasium's model stepped by MuJoCo's own batched C code, Hopper-v5's
                   obs/reward/termination in numpy:
      batch closed-loop  : mujoco.batch.Batch.step(active, nstep=frame_skip) once per env step
      rollout closed-loop: mujoco.rollout one env step (4 substeps) per call
      rollout open-loop  : precomputed controls, one mujoco.rollout call (physics limit)
      physics only       : Batch.step(nstep=4·horizon), constant control (no Python at all)

Then a semantic spot check against Gymnasium (same initial qpos/qvel, same actions).
Everything is physics-bound: the last row (one thread, plain mj_step) is the per-core ceiling.
On a shared machine the cores actually available vary: compare rows of one run.

    python benchmarks/bench_backends.py            # ≈ 2–3 min on 2 cores
    python benchmarks/bench_backends.py --quick    # ≈ 1 min
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import gymnasium as gym
import mujoco
import numpy as np
from mujoco import batch as mj_batch
from mujoco import rollout as mj_rollout

ENV_ID = "Hopper-v5"
FRAME_SKIP = 4
SIGMA = 0.1
# A "standing" linear policy for Hopper-v5, found by a short random search (episodes ≈ 1000 steps).
W_STAR = np.array([
    [0.283, 0.417, 0.059], [0.026, 0.681, -0.053], [0.448, 0.231, -0.082], [0.237, -0.364, -0.322],
    [-0.260, -0.214, 0.008], [0.179, -0.817, -0.808], [-0.096, -0.124, 0.616], [-0.228, 0.731, -0.134],
    [-0.448, 0.028, -0.248], [-0.621, -0.192, -0.313], [0.539, 0.340, -1.124]])
B_STAR = np.array([0.157, -0.011, -0.034])


def n_cores() -> int:
    return len(os.sched_getaffinity(0))


THETAS = "standing"   # --thetas


def make_thetas(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n policies around θ* ("standing": long episodes) or W ~ N(0, 0.1²), b = 0 ("random": short)."""
    rng = np.random.default_rng(seed)
    if THETAS == "random":
        return 0.1 * rng.standard_normal((n, 11, 3)), np.zeros((n, 3))
    return W_STAR + 0.02 * rng.standard_normal((n, 11, 3)), B_STAR + 0.02 * rng.standard_normal((n, 3))


def act(obs: np.ndarray, W: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The batched policy forward pass: [B, 11] → [B, 3]."""
    mean = np.einsum("bi,bij->bj", obs, W) + b
    return np.clip(mean + SIGMA * rng.standard_normal(mean.shape), -1.0, 1.0)


# ---- Hopper-v5 semantics in numpy (gymnasium/envs/mujoco/hopper_v5.py, default arguments) ----
def hopper_obs(qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
    return np.concatenate([qpos[:, 1:], np.clip(qvel, -10.0, 10.0)], axis=1)


def hopper_healthy(qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
    state = np.concatenate([qpos[:, 2:], qvel], axis=1)
    return ((qpos[:, 1] > 0.7) & (qpos[:, 2] > -0.2) & (qpos[:, 2] < 0.2)
            & np.all((state > -100.0) & (state < 100.0), axis=1))


def hopper_reward(x_before, x_after, healthy, action, dt):
    # v5: the healthy reward is paid only while healthy; ctrl cost on the action as given.
    return (x_after - x_before) / dt + 1.0 * healthy - 1e-3 * np.sum(np.square(action), axis=1)


def reset_noise(model: mujoco.MjModel, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Initial qpos/qvel as Hopper-v5's reset_model draws them (uniform ±0.005 around qpos0, 0)."""
    rng = np.random.default_rng(seed)
    qpos = model.qpos0 + rng.uniform(-5e-3, 5e-3, (n, model.nq))
    qvel = rng.uniform(-5e-3, 5e-3, (n, model.nv))
    return qpos, qvel


# ---------------------------------------------------------------- backends
def bench_gym_loop(episodes: int, horizon: int, seed: int) -> tuple[int, float]:
    env = gym.make(ENV_ID)
    W, b = make_thetas(episodes, seed)
    rng = np.random.default_rng(seed)
    steps = 0
    t0 = time.perf_counter()
    for e in range(episodes):
        obs, _ = env.reset(seed=seed + e)
        for _ in range(horizon):
            a = np.clip(obs @ W[e] + b[e] + SIGMA * rng.standard_normal(3), -1.0, 1.0)
            obs, _, term, trunc, _ = env.step(a)
            steps += 1
            if term or trunc:
                break
    return steps, time.perf_counter() - t0


def bench_gym_vector(n: int, horizon: int, seed: int, mode: str) -> tuple[int, float]:
    env = gym.make_vec(ENV_ID, num_envs=n, vectorization_mode=mode)
    W, b = make_thetas(n, seed)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    obs, _ = env.reset(seed=[seed + i for i in range(n)])   # per-env seeds: CRN possible
    running = np.ones(n, bool)
    steps = 0
    for _ in range(horizon):
        obs, _, term, trunc, _ = env.step(act(obs, W, b, rng))
        steps += int(running.sum())
        running &= ~(term | trunc)
        if not running.any():
            break
    dt = time.perf_counter() - t0
    env.close()
    return steps, dt


def make_envpool(n: int, seed: int):
    import envpool
    # one seed per sub-env: envs with equal seeds draw equal initial-state sequences (CRN)
    return envpool.make(ENV_ID, env_type="gymnasium", num_envs=n, batch_size=n,
                        num_threads=n_cores(), seed=[seed + i for i in range(n)])


def bench_envpool(env, horizon: int, seed: int) -> tuple[int, float]:
    n = env.num_envs
    W, b = make_thetas(n, seed)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    obs, _ = env.reset()
    active = np.arange(n, dtype=np.int32)
    steps = 0
    for _ in range(horizon):
        o, _, term, trunc, _ = env.step(act(obs, W[active], b[active], rng), active)
        steps += active.size
        keep = ~(term | trunc)
        active, obs = active[keep], o[keep]
        if active.size == 0:
            break
    return steps, time.perf_counter() - t0


def bench_batch_closed(model, n: int, horizon: int, seed: int) -> tuple[int, float]:
    W, b = make_thetas(n, seed)
    rng = np.random.default_rng(seed)
    qpos0, qvel0 = reset_noise(model, n, seed)
    dt = model.opt.timestep * FRAME_SKIP
    t0 = time.perf_counter()
    sim = mj_batch.Batch(model, nsim=n, nthread=n_cores())
    qpos, qvel, ctrl = sim.bind("qpos"), sim.bind("qvel"), sim.bind("ctrl")
    sim.reset(stage=mujoco.mjtStage.mjSTAGE_NONE.value)   # mj_resetData, as Gymnasium's reset
    qpos[:], qvel[:] = qpos0, qvel0                        # any initial state per episode (CRN)
    sim.forward()                                          # set_state → mj_forward
    active = np.arange(n)
    obs = hopper_obs(qpos, qvel)
    ret = np.zeros(n)
    steps = 0
    for _ in range(horizon):
        a = act(obs, W[active], b[active], rng)
        x_before = qpos[active, 0]
        ctrl[active] = a
        sim.step(active, nstep=FRAME_SKIP)
        qp, qv = qpos[active], qvel[active]
        healthy = hopper_healthy(qp, qv)
        ret[active] += hopper_reward(x_before, qp[:, 0], healthy, a, dt)
        steps += active.size
        active, obs = active[healthy], hopper_obs(qp[healthy], qv[healthy])
        if active.size == 0:
            break
    return steps, time.perf_counter() - t0


def bench_rollout_closed(model, n: int, horizon: int, seed: int) -> tuple[int, float]:
    W, b = make_thetas(n, seed)
    rng = np.random.default_rng(seed)
    spec = mujoco.mjtState.mjSTATE_FULLPHYSICS.value
    nstate = mujoco.mj_stateSize(model, spec)
    qpos0, qvel0 = reset_noise(model, n, seed)
    state = np.zeros((n, nstate))
    state[:, 1:1 + model.nq], state[:, 1 + model.nq:1 + model.nq + model.nv] = qpos0, qvel0
    datas = [mujoco.MjData(model) for _ in range(n_cores())]
    q0, v0 = 1, 1 + model.nq   # FULLPHYSICS = [time, qpos, qvel, (act, ...)]
    dt = model.opt.timestep * FRAME_SKIP
    ret = np.zeros(n)
    t0 = time.perf_counter()
    with mj_rollout.Rollout(nthread=n_cores()) as pool:
        active = np.arange(n)
        steps = 0
        for _ in range(horizon):
            s = state[active]
            obs = hopper_obs(s[:, q0:q0 + model.nq], s[:, v0:v0 + model.nv])
            a = act(obs, W[active], b[active], rng)
            out, _ = pool.rollout(model, datas, s, np.repeat(a[:, None, :], FRAME_SKIP, axis=1),
                                  nstep=FRAME_SKIP)
            s_new = out[:, -1]
            state[active] = s_new
            healthy = hopper_healthy(s_new[:, q0:q0 + model.nq], s_new[:, v0:v0 + model.nv])
            ret[active] += hopper_reward(s[:, q0], s_new[:, q0], healthy, a, dt)
            steps += active.size
            active = active[healthy]
            if active.size == 0:
                break
    return steps, time.perf_counter() - t0


def bench_rollout_open(model, n: int, horizon: int, seed: int) -> tuple[int, float]:
    rng = np.random.default_rng(seed)
    controls = rng.uniform(-0.3, 0.3, (n, horizon * FRAME_SKIP, model.nu))
    qpos0, qvel0 = reset_noise(model, n, seed)
    state = np.zeros((n, mujoco.mj_stateSize(model, mujoco.mjtState.mjSTATE_FULLPHYSICS.value)))
    state[:, 1:1 + model.nq], state[:, 1 + model.nq:1 + model.nq + model.nv] = qpos0, qvel0
    datas = [mujoco.MjData(model) for _ in range(n_cores())]
    t0 = time.perf_counter()
    with mj_rollout.Rollout(nthread=n_cores()) as pool:
        pool.rollout(model, datas, state, controls)
    return n * horizon, time.perf_counter() - t0


def bench_physics_only(model, n: int, horizon: int, seed: int) -> tuple[int, float]:
    qpos0, qvel0 = reset_noise(model, n, seed)
    t0 = time.perf_counter()
    sim = mj_batch.Batch(model, nsim=n, nthread=n_cores())
    sim.reset(stage=mujoco.mjtStage.mjSTAGE_NONE.value)
    sim.bind("qpos")[:], sim.bind("qvel")[:] = qpos0, qvel0
    sim.forward()
    sim.step(nstep=horizon * FRAME_SKIP)
    return n * horizon, time.perf_counter() - t0


# ---------------------------------------------------------------- semantic spot check
def spot_check(model, n: int = 4, horizon: int = 1000, seed: int = 7) -> None:
    """Closed loop from the same initial states; batch vs Gymnasium, envpool vs Gymnasium."""
    W, b = make_thetas(n, seed)
    gyms = [gym.make(ENV_ID) for _ in range(n)]
    for i, g in enumerate(gyms):
        g.reset(seed=seed + i)
    # (0) Gymnasium's reset(seed=s) draws from default_rng(s): qpos noise (nq) then qvel noise (nv)
    same_start = all(np.array_equal(reset_noise(model, 1, seed + i)[0][0], g.unwrapped.data.qpos)
                     and np.array_equal(reset_noise(model, 1, seed + i)[1][0], g.unwrapped.data.qvel)
                     for i, g in enumerate(gyms))
    print(f"  reset_noise(seed=s) == Gymnasium reset(seed=s) qpos/qvel, bit for bit: {same_start}")
    # (1) mujoco.batch + numpy Hopper-v5: must be bit-identical to Gymnasium
    sim = mj_batch.Batch(model, nsim=n, nthread=n_cores())
    qpos, qvel, ctrl = sim.bind("qpos"), sim.bind("qvel"), sim.bind("ctrl")
    sim.reset(stage=mujoco.mjtStage.mjSTAGE_NONE.value)
    for i, g in enumerate(gyms):
        qpos[i], qvel[i] = g.unwrapped.data.qpos, g.unwrapped.data.qvel
    sim.forward()
    rng = np.random.default_rng(seed)
    active, obs = np.arange(n), hopper_obs(qpos, qvel)
    d_obs = d_rew = 0.0
    flags_equal, lengths = True, np.zeros(n, int)
    for t in range(horizon):
        a = act(obs, W[active], b[active], rng)
        x_before = qpos[active, 0]
        ctrl[active] = a
        sim.step(active, nstep=FRAME_SKIP)
        qp, qv = qpos[active], qvel[active]
        healthy = hopper_healthy(qp, qv)
        rew = hopper_reward(x_before, qp[:, 0], healthy, a, model.opt.timestep * FRAME_SKIP)
        o = hopper_obs(qp, qv)
        keep = np.ones(active.size, bool)
        for j, i in enumerate(active):
            go, gr, gterm, gtrunc, _ = gyms[i].step(a[j])
            d_obs, d_rew = max(d_obs, np.abs(go - o[j]).max()), max(d_rew, abs(gr - rew[j]))
            flags_equal &= (gterm == (not healthy[j])) and (gtrunc == (t + 1 == 1000))
            keep[j] = not (gterm or gtrunc)
            lengths[i] = t + 1
        active, obs = active[keep], o[keep]
        if active.size == 0:
            break
    print(f"  mujoco.batch+numpy vs Gymnasium, closed loop, lengths {lengths.tolist()}: "
          f"max|Δobs| {d_obs:.1e}, max|Δr| {d_rew:.1e}, terminated/truncated equal: {flags_equal}")
    # (2) envpool vs Gymnasium: same initial state (x0 recovered from info), same action sequence
    try:
        import envpool
    except ImportError as err:
        print(f"  envpool: not importable ({err})")
        return
    ep = envpool.make(ENV_ID, env_type="gymnasium", num_envs=n, seed=seed, num_threads=n_cores())
    eobs, _ = ep.reset()
    rng = np.random.default_rng(seed)
    actions = np.clip(eobs @ W_STAR + B_STAR, -1, 1)
    o, r, term, trunc, info = ep.step(actions)
    x0 = info["x_position"] - info["x_velocity"] * model.opt.timestep * FRAME_SKIP
    for i, g in enumerate(gyms):
        g.reset(seed=0)
        g.unwrapped.set_state(np.r_[x0[i], eobs[i, :5]], eobs[i, 5:])
    first_div = np.full(n, -1)
    d_rew, flags_equal, running = 0.0, True, np.ones(n, bool)
    for t in range(horizon):
        if t > 0:
            actions = np.clip(o @ W_STAR + B_STAR + SIGMA * rng.standard_normal((n, 3)), -1, 1)
            # drive both with the envpool obs' policy output (open-loop for Gymnasium)
            o, r, term, trunc, info = ep.step(actions)
        for i in np.flatnonzero(running):
            go, gr, gterm, gtrunc, _ = gyms[i].step(actions[i])
            if first_div[i] < 0 and np.abs(go - o[i]).max() > 1e-6:
                first_div[i] = t + 1
            d_rew = max(d_rew, abs(gr - r[i])) if first_div[i] < 0 else d_rew
            if first_div[i] < 0:
                flags_equal &= (gterm == bool(term[i])) and (gtrunc == bool(trunc[i]))
            if gterm or gtrunc or term[i] or trunc[i]:
                running[i] = False
        if not running.any():
            break
    print(f"  envpool vs Gymnasium, same start and actions: first step with |Δobs| > 1e-6: "
          f"{first_div.tolist()} (-1: never), max|Δr| before that {d_rew:.1e} "
          f"(reward is float32: {np.asarray(r).dtype}), flags equal before that: {flags_equal}")


# ---------------------------------------------------------------- main
def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="smaller run (≈ 1 min)")
    p.add_argument("--n", type=int, default=None, help="episodes in lockstep for the fast backends")
    p.add_argument("--horizon", type=int, default=100, help="steps per episode at most")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--thetas", choices=("standing", "random"), default="standing",
                   help="θ around a standing policy (episodes ≈ 1000 steps) or random θ (≈ 40 steps)")
    p.add_argument("--no-check", action="store_true", help="skip the semantic spot check")
    args = p.parse_args()
    global THETAS
    THETAS = args.thetas
    horizon = args.horizon
    repeats = args.repeats or 3
    n = args.n or (256 if args.quick else 1024)
    n_small = 16 if args.quick else 64
    warnings.filterwarnings("ignore")
    model = gym.make(ENV_ID).unwrapped.model
    print(f"== {ENV_ID}: env-steps/s, {THETAS} θ, σ = {SIGMA}, best of {repeats} (interleaved), horizon {horizon}, "
          f"{n_cores()} cores; gymnasium {gym.__version__}, mujoco {mujoco.__version__}", flush=True)

    def one_thread_physics():
        data = mujoco.MjData(model)
        t0 = time.perf_counter()
        mujoco.mj_step(model, data, nstep=400 * FRAME_SKIP)
        return 400, time.perf_counter() - t0

    benches = [
        ("(a) gymnasium, 1 env, numpy policy", lambda: bench_gym_loop(16 if args.quick else 48, horizon, 0),
         "episodes one at a time"),
        (f"(b) gymnasium SyncVectorEnv, N={n_small}", lambda: bench_gym_vector(n_small, horizon, 0, "sync"), ""),
    ]
    if not args.quick:
        benches.append((f"    gymnasium AsyncVectorEnv, N={2 * n_cores()}",
                        lambda: bench_gym_vector(2 * n_cores(), horizon, 0, "async"), "a process per env"))
    try:
        import envpool
        t = time.perf_counter()
        pool = make_envpool(n, 0)
        made = time.perf_counter() - t
        benches.append((f"(c) envpool {envpool.__version__}, N={n}", lambda: bench_envpool(pool, horizon, 0),
                        f"make() {made:.1f} s, untimed"))
    except Exception as err:  # noqa: BLE001 - report and go on
        print(f"(c) envpool unavailable: {type(err).__name__}: {err}")
    benches += [
        (f"(d) mujoco.batch closed-loop, N={n}", lambda: bench_batch_closed(model, n, horizon, 0),
         "bit-identical to Gymnasium"),
        (f"    mujoco.rollout closed-loop, N={n}", lambda: bench_rollout_closed(model, n, horizon, 0),
         "warmstart lost per call"),
        (f"    mujoco.rollout open-loop, N={n}", lambda: bench_rollout_open(model, n, horizon, 0),
         "precomputed controls"),
        (f"    physics only, Batch.step, N={n}", lambda: bench_physics_only(model, n, horizon, 0),
         "no Python per step"),
        ("    physics only, 1 thread, mj_step", one_thread_physics, "reference"),
    ]
    results: dict[str, list[tuple[int, float]]] = {name: [] for name, _, _ in benches}
    for _ in range(repeats):
        for name, fn, _ in benches:
            results[name].append(fn())
    base = None
    for name, _, note in benches:
        steps, dt = max(results[name], key=lambda r: r[0] / r[1])
        rate = steps / dt
        base = base or rate
        spread = ", ".join(f"{s / d:,.0f}" for s, d in results[name])
        print(f"{name:40s} {steps:>7d} steps {dt:6.2f} s {rate:>8,.0f}/s {rate / base:5.1f}×  "
              f"{note} [{spread}]", flush=True)
    if not args.no_check:
        print(f"== semantic spot check (closed loop, θ*, σ = {SIGMA})", flush=True)
        spot_check(model)


if __name__ == "__main__":
    main()
