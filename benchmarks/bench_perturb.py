"""Paired perturbations on the exact gridworld (issue 3), ratios measured in one run.

1. The whole command, start-up included:
   ``policyscape perturb --at RUN/final.npz@K --directions 1000 --alpha 0.1`` (a subprocess).
2. The analysis itself, in memory (directions, the 2,001 points evaluated as one batch, Δ±,
   projections, classes), and the whole persisted ``run_perturb`` (resumable point store,
   CSV/JSON files, no figures), both warm, vs evaluating the same 2,001 points in a per-point
   numpy loop (softmax, P_π, one solve per point).

    python benchmarks/bench_perturb.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from policyscape.envs.gridworlds import symmetric_gridworld
from policyscape.landscape.perturb import PerturbConfig, analyse, num_points, perturbation_thetas
from policyscape.objectives import reference
from policyscape.objectives.exact import ExactObjective
from policyscape.optimize.exact_pg import ExactTrainConfig, train_exact
from policyscape.runs.checkpoint import save_checkpoint
from policyscape.runs.landscape import Point, make_directions, run_perturb

ENV = "policyscape/SymmetricGridworld-v0"


def main() -> None:
    mdp = symmetric_gridworld()
    objective = ExactObjective(mdp)
    theta = train_exact(objective, ExactTrainConfig(seeds=1, updates=300)).final_params[0]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ckpt = save_checkpoint(tmp / "theta.npz", theta, ENV, "tabular-softmax", mdp.num_states, mdp.num_actions)
        cmd = [sys.executable, "-m", "policyscape.cli", "perturb", "--at", str(ckpt), "--directions", "1000",
               "--alpha", "0.1", "--no-progress"]
        walls = []
        for i in range(3):
            t = time.perf_counter()
            subprocess.run([*cmd, "--out", str(tmp / f"cli{i}")], check=True, capture_output=True)
            walls.append(time.perf_counter() - t)
        print("== policyscape perturb, 1000 directions, α = 0.1, exact 5×5 gridworld ==")
        print(f"whole command incl. start-up : {min(walls):6.2f} s  (best of 3: {', '.join(f'{w:.2f}' for w in walls)}; target < 5 s)")

        config = PerturbConfig(alphas=(0.1,), directions=1000, seed=0)
        run_perturb(objective, Point(theta, "θ"), config, tmp / "warm", ENV, {}, show_progress=False)
        t = time.perf_counter()
        run_perturb(objective, Point(theta, "θ"), config, tmp / "timed", ENV, {}, show_progress=False)
        persisted = time.perf_counter() - t

        def in_memory():
            directions = make_directions(objective, theta, 1000, 0, "unit")
            thetas = perturbation_thetas(theta, directions, (0.1,), np.arange(num_points(1000, 1)))
            return thetas, analyse(objective.evaluate(thetas)["value"], (0.1,), 1000)

        in_memory()
        times = []
        for _ in range(5):
            t = time.perf_counter()
            thetas, _ = in_memory()
            times.append(time.perf_counter() - t)
        ours = min(times)
        t = time.perf_counter()
        values = np.array([reference.value(mdp, th) for th in thetas])
        loop = time.perf_counter() - t
        stored = np.loadtxt(tmp / "timed" / "perturbations.csv", delimiter=",", skiprows=1, usecols=(2, 3))
        err = max(np.abs(stored[:, 0] - (values[1::2] - values[0])).max(), np.abs(stored[:, 1] - (values[2::2] - values[0])).max())
        print(f"per-point numpy loop         : {loop:6.3f} s  ({len(thetas)} points, evaluation only)")
        print(f"analysis in memory (warm)    : {ours:6.3f} s  → {loop / ours:5.1f}× the loop (target >= 5×)")
        print(f"run_perturb persisted (warm) : {persisted:6.3f} s  → {loop / persisted:5.1f}× the loop "
              "(adds the resumable store and CSV/JSON output)")
        print(f"max |Δ_ours − Δ_numpy|       : {err:.1e}")


if __name__ == "__main__":
    main()
