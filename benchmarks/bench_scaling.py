"""Scaling of the execution layer: one Hopper-v5 perturbation run in this process, on a local process pool and on Ray.

Workload: ``policyscape perturb`` on Hopper-v5 at the hand-found "standing" linear policy θ* of
``bench_backends.py`` (long episodes, as for trained policies): sampled objective with σ = 0.1,
``--episodes`` episodes per θ (common random numbers), ``--directions`` unit directions at
α = 0.1, chunks of 64 points (the sampled default of ``perturb``). The same points run under

  serial     : ``--workers 1``, the in-process path
  local × w  : ``LocalExecutor(w)``, a spawn process pool
  ray × w    : ``RayExecutor(w)`` on a local Ray instance (``num_cpus = w``)

One worker is one core: the 1-worker runs (serial, ray × 1) run with this process (and the Ray
instance it starts) pinned to one core, since MuJoCo's batched stepping would otherwise use
every core by threads; pool workers pin themselves to their share of the cores
(``executor.pin_worker``). Each executor is warmed up first (process start, imports, objective
build, one short chunk per worker; reported as start-up), then the measured run is timed on its own. Rates are environment steps
per second of the measured run; speed-up and efficiency (speed-up / workers, ideal = 100%) are
relative to the serial run; the Ray overhead at w workers is ``(local rate − ray rate) / local
rate`` (target ≤ 10%). Every run's values must be identical (checked and printed).

    python benchmarks/bench_scaling.py            # ≈ 2 min on 2 cores
    python benchmarks/bench_scaling.py --quick    # ≈ 30 s
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

# The workload's constants and the hand-found "standing" Hopper policy are bench_backends.py's.
from bench_backends import B_STAR, ENV_ID, SIGMA, W_STAR, n_cores

from policyscape.landscape.perturb import PerturbConfig
from policyscape.objectives.registry import Sampling, make_objective
from policyscape.runs.executor import LocalExecutor, RayExecutor, SerialExecutor, spec_of
from policyscape.runs.landscape import Point, run_perturb

THETA_STAR = np.concatenate([W_STAR.ravel(), B_STAR])  # LinearGaussian layout: W [D, K] row-major, then b
CHUNK_SIZE = 64


def perturb(objective, out: Path, directions: int, executor) -> tuple[dict[str, np.ndarray], float]:
    """One perturbation run → (points/perturb.csv as columns, wall seconds)."""
    config = PerturbConfig(alphas=(0.1,), directions=directions, seed=0, chunk_size=CHUNK_SIZE, noise_evaluations=0)
    started = time.perf_counter()
    run_perturb(objective, Point(THETA_STAR, "theta_star"), config, out, ENV_ID, {}, show_progress=False,
                executor=executor)
    seconds = time.perf_counter() - started
    text = (out / "points" / "perturb.csv").read_text().strip().split("\n")
    header, rows = text[0].split(","), [r.split(",") for r in text[1:]]
    return {h: np.array([float(r[i]) for r in rows]) for i, h in enumerate(header)}, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer directions and episodes (≈ 30 s)")
    parser.add_argument("--directions", type=int, default=None, help="directions (default 191; quick 127)")
    parser.add_argument("--episodes", type=int, default=None, help="episodes per θ (default 2; quick 1)")
    args = parser.parse_args()
    directions = args.directions or (127 if args.quick else 191)
    episodes = args.episodes or (1 if args.quick else 2)
    objective = make_objective(ENV_ID, sampling=Sampling(sigma=SIGMA, episodes=episodes, seed=0))
    points = 2 * directions + 1
    print(f"{ENV_ID} perturbation at θ*: {directions} directions, {points} points in {-(-points // CHUNK_SIZE)} chunks "
          f"of {CHUNK_SIZE}, {episodes} episodes per θ; {n_cores()} cores")

    runs = {
        "serial": (1, lambda: SerialExecutor()),
        "local × 2": (2, lambda: LocalExecutor(2)),
        "ray × 1": (1, lambda: RayExecutor(1, init_kwargs={"object_store_memory": 200 * 1024**2})),
        "ray × 2": (2, lambda: RayExecutor(2, init_kwargs={"object_store_memory": 200 * 1024**2})),
    }
    work = Path(tempfile.mkdtemp(prefix="bench_scaling."))
    all_cores = os.sched_getaffinity(0)
    results = {}
    try:
        for name, (workers, make) in runs.items():
            os.sched_setaffinity(0, all_cores if workers > 1 else {min(all_cores)})
            with make() as executor:
                started = time.perf_counter()
                warm_up = [(i, THETA_STAR[None]) for i in range(2 * workers)]  # processes, imports, objective
                evaluate = objective.evaluate if isinstance(executor, SerialExecutor) else spec_of(objective)
                list(executor.map_chunks(evaluate, warm_up))
                startup = time.perf_counter() - started
                values, seconds = perturb(objective, work / name, directions, executor)
            os.sched_setaffinity(0, all_cores)
            steps = float(values["env_steps"].sum())
            results[name] = {"workers": workers, "values": values, "seconds": seconds, "startup": startup,
                             "rate": steps / seconds, "steps": steps}
            print(f"  {name:<10} done: {steps:.3g} env steps in {seconds:.1f} s (start-up {startup:.1f} s)", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    base = results["serial"]["rate"]
    print(f"\n{'run':<10} {'workers':>7} {'wall s':>8} {'start-up s':>10} {'env-steps/s':>12} {'speed-up':>9} "
          f"{'efficiency':>10}")
    for name, r in results.items():
        speedup = r["rate"] / base
        print(f"{name:<10} {r['workers']:>7} {r['seconds']:>8.2f} {r['startup']:>10.2f} {r['rate']:>12,.0f} "
              f"{speedup:>8.2f}× {speedup / r['workers']:>9.0%}")
    overhead = (results["local × 2"]["rate"] - results["ray × 2"]["rate"]) / results["local × 2"]["rate"]
    print(f"\nRay overhead vs local at 2 workers: {overhead:+.1%} (target ≤ 10%)")
    reference = results["serial"]["values"]
    same = all(np.array_equal(r["values"][k], reference[k], equal_nan=True) for r in results.values() for k in reference)
    print(f"values identical across the {len(results)} runs (np.array_equal, every column of points/perturb.csv): {same}")
    if not same:
        raise SystemExit("values differ between runs")


if __name__ == "__main__":
    main()
