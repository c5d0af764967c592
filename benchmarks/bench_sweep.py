"""A sweep of REINFORCE runs on Hopper-v5: serial vs a local pool vs Ray, and seeds batched in one run vs separate runs.

Part 1, the sweep engine (``runs.sweep.train_runs``): 8 runs (σ ∈ {0.1, 0.25, 0.5, 1.0} × lr ∈ {0.001,
0.01}; ``--seeds`` seeds, ``--episodes`` episodes per update, ``--updates`` updates each) trained

  serial     : in this process, pinned to one core (one worker = one core)
  local × 2  : ``LocalExecutor(2)``, a spawn process pool, each worker pinned to its core
  ray × 2    : ``RayExecutor(2)`` on a local Ray instance (``num_cpus = 2``)

Each executor is warmed up first (processes, imports of JAX, MuJoCo and policyscape: reported as
start-up), then the sweep is timed on its own, into a fresh directory; each run also reports the CPU
seconds of its process (``time.process_time``), a measure of the work that other jobs on the machine
do not disturb. The sweep time includes each
worker's JIT compilations (one per σ a process meets: a worker pays for every σ it trains). Efficiency
= serial time / (workers × parallel time) (target ≥ 90%); Ray's overhead = ray time / local time − 1
(target ≤ 10%). Every run's curves.csv and final θ must be byte-identical across the three (checked).

Part 2, batching on one core: one run of S = 8 seeds (all S·E episodes step in one lockstep batch, one
batched gradient) vs S separate runs of one seed, same updates and episodes per seed; both warmed
up (compiled) first. Eight (σ, lr) configurations stepped as the rows of one batch would have these
shapes and this cost (a per-row σ in the noise and a per-row learning rate cost next to nothing). Printed: seconds per environment step of each and their ratio. (Lockstep
batching of different (σ, lr) configurations in one run is not implemented: σ is a compile-time
constant of the gradient and a scalar of the rollout engine; seeds batched are the nearest thing.)

    python benchmarks/bench_sweep.py            # ≈ 2 min on 2 cores
    python benchmarks/bench_sweep.py --quick    # ≈ 1 min
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from policyscape.optimize.reinforce import ReinforceConfig, train_reinforce
from policyscape.runs.executor import LocalExecutor, PortableWork, RayExecutor, SerialExecutor
from policyscape.runs.sweep import RETRIES, TrainRuns, sweep_jobs

ENV_ID = "Hopper-v5"
SIGMAS = (0.1, 0.25, 0.5, 1.0)
LRS = (0.001, 0.01)


class WarmUp(PortableWork):
    """Imports what a training run needs (JAX, MuJoCo's batched Hopper) in a worker; trains nothing."""

    def __call__(self, payload):
        import jax.numpy as jnp

        from policyscape.envs.rollout import Rollouts

        jnp.zeros(1).block_until_ready()
        Rollouts(ENV_ID).close()
        return {"pid": np.array([os.getpid()])}


class TimedTrainRuns(TrainRuns):
    """``TrainRuns`` that also reports the CPU seconds its process spent on the run (all threads)."""

    def __call__(self, payload):
        started = time.process_time()
        values = super().__call__(payload)
        return {**values, "cpu_seconds": np.array([time.process_time() - started])}


def saved(out: Path) -> dict[str, bytes]:
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("curves.csv"))}
    for p in sorted(out.rglob("final.npz")):
        with np.load(p) as z:
            files[p.relative_to(out).as_posix()] = z["theta"].tobytes()
    return files


def sweep_part(base: ReinforceConfig, work: Path) -> None:
    runs = {"serial": (1, SerialExecutor), "local × 2": (2, lambda: LocalExecutor(2)),
            "ray × 2": (2, lambda: RayExecutor(2, init_kwargs={"object_store_memory": 200 * 1024**2}))}
    all_cores = os.sched_getaffinity(0)
    results = {}
    for name, (workers, make) in runs.items():
        os.sched_setaffinity(0, all_cores if workers > 1 else {min(all_cores)})
        try:
            with make() as executor:
                started = time.perf_counter()
                list(executor.map_chunks(WarmUp(), [(i, np.zeros(1)) for i in range(workers)]))
                startup = time.perf_counter() - started
                jobs = sweep_jobs(base, SIGMAS, LRS, work / name.replace(" ", ""))
                started = time.perf_counter()
                out = [v for _, v in executor.map_chunks(TimedTrainRuns(jobs), [(i, np.array([i])) for i in range(len(jobs))],
                                                         retries=RETRIES)]  # what runs.sweep.train_runs does, timed
                seconds = time.perf_counter() - started
        finally:
            os.sched_setaffinity(0, all_cores)
        steps = float(sum(r["env_steps"].sum() for r in out))
        cpu = float(sum(r["cpu_seconds"].sum() for r in out))
        results[name] = {"workers": workers, "seconds": seconds, "startup": startup, "steps": steps, "cpu": cpu,
                         "files": saved(work / name.replace(" ", ""))}
        print(f"  {name:<10} {len(jobs)} runs, {steps:.3g} training env steps in {seconds:.1f} s, {cpu:.1f} CPU s in "
              f"the runs (start-up {startup:.1f} s)", flush=True)
    serial = results["serial"]["seconds"]
    print(f"\n{'run':<10} {'workers':>7} {'wall s':>8} {'start-up s':>10} {'speed-up':>9} {'efficiency':>10} "
          f"{'CPU s':>7} {'CPU eff.':>9} {'core share':>10}")
    for name, r in results.items():
        speedup = serial / r["seconds"]
        print(f"{name:<10} {r['workers']:>7} {r['seconds']:>8.2f} {r['startup']:>10.2f} {speedup:>8.2f}× "
              f"{speedup / r['workers']:>9.0%} {r['cpu']:>7.1f} {results['serial']['cpu'] / r['cpu']:>8.0%} "
              f"{r['cpu'] / (r['seconds'] * r['workers']):>9.0%}")
    print("(CPU eff. = serial CPU seconds / CPU seconds of the runs on the workers: what splitting the work adds, e.g.\n"
          " a compilation per σ per worker; unlike wall time it does not depend on other jobs sharing the cores.\n"
          " core share = CPU seconds / (wall seconds × workers): below 100% the workers waited for cores or each other)")
    with_startup = {n: serial / (r["workers"] * (r["seconds"] + r["startup"])) for n, r in results.items() if r["workers"] > 1}
    print("efficiency with start-up included: " + ", ".join(f"{n} {e:.0%}" for n, e in with_startup.items()))
    overhead = results["ray × 2"]["seconds"] / results["local × 2"]["seconds"] - 1
    print(f"Ray overhead vs local pool at 2 workers: {overhead:+.1%} (target ≤ 10%)")
    reference = results["serial"]["files"]
    same = all(r["files"] == reference for r in results.values())
    print(f"curves.csv and final θ byte-identical across the {len(results)} runs ({len(reference)} files): {same}")
    if not same:
        raise SystemExit("files differ between backends")


def batching_part(base: ReinforceConfig, seeds: int) -> None:
    all_cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(all_cores)})
    try:
        batched = ReinforceConfig(**{**base.to_dict(), "seeds": seeds, "sigma": 0.5})
        single = ReinforceConfig(**{**base.to_dict(), "seeds": 1, "sigma": 0.5})
        train_reinforce(ReinforceConfig(**{**single.to_dict(), "updates": 1}))  # compile (seeds: vmapped gradient)
        train_reinforce(ReinforceConfig(**{**batched.to_dict(), "updates": 1}))
        started = time.perf_counter()
        r = train_reinforce(batched)
        t_batched, s_batched = time.perf_counter() - started, float(r.curves["env_steps"][-1].sum())
        t_sep = s_sep = 0.0
        for k in range(seeds):
            started = time.perf_counter()
            r = train_reinforce(ReinforceConfig(**{**single.to_dict(), "seed": k}))
            t_sep += time.perf_counter() - started
            s_sep += float(r.curves["env_steps"][-1].sum())
    finally:
        os.sched_setaffinity(0, all_cores)
    per_b, per_s = t_batched / s_batched, t_sep / s_sep
    print(f"\nbatching on one core: 1 run × {seeds} seeds {t_batched:.2f} s for {s_batched:.3g} steps "
          f"({per_b * 1e6:.1f} µs/step); {seeds} runs × 1 seed {t_sep:.2f} s for {s_sep:.3g} steps "
          f"({per_s * 1e6:.1f} µs/step)")
    print(f"seeds batched in one run vs separate runs: {per_s / per_b:.2f}× faster per environment step")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer updates (≈ 1 min)")
    parser.add_argument("--updates", type=int, default=None, help="updates per run (default 20; quick 10)")
    parser.add_argument("--episodes", type=int, default=8, help="episodes per update and seed (default 8)")
    parser.add_argument("--seeds", type=int, default=2, help="seeds per run (default 2)")
    parser.add_argument("--skip-sweep", action="store_true", help="only the batching part")
    args = parser.parse_args()
    updates = args.updates or (10 if args.quick else 20)
    base = ReinforceConfig(env=ENV_ID, seeds=args.seeds, batch_episodes=args.episodes, updates=updates,
                           eval_every=max(updates // 2, 1), eval_episodes=4)
    print(f"{ENV_ID}: {len(SIGMAS) * len(LRS)} REINFORCE runs (σ {SIGMAS} × lr {LRS}), {args.seeds} seeds × "
          f"{args.episodes} episodes × {updates} updates each; {len(os.sched_getaffinity(0))} cores", flush=True)
    work = Path(tempfile.mkdtemp(prefix="bench_sweep."))
    try:
        if not args.skip_sweep:
            sweep_part(base, work)
        batching_part(base, len(SIGMAS) * len(LRS))  # as many rows as the sweep has configurations
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
