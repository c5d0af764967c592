"""The gridworld recipe's configuration: what it runs at each budget, the thresholds of its verdicts,
the files it writes and the paper's claims it checks (see ``recipes.gridworld``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from policyscape.envs.registry import DEFAULT_ENV_ID
from policyscape.recipes.entropy_schedules import DEFAULT_SCHEDULES, Schedule

NO_ENTROPY, AUTHORS = "no-entropy", "authors"
#: "A sizeable fraction" ends sub-optimal: the claim holds if the Wilson interval's lower end is at least one
#: initialization in ten (the paper reports about one in four) …
SIZEABLE_HOLDS_AT = 0.10
#: … and fails if its upper end stays below 3% (a rare event, not a sizeable fraction).
SIZEABLE_FAILS_BELOW = 0.03
#: "Every initialization reaches the optimum" cannot be confirmed from finitely many seeds: we ask that the 95%
#: interval excludes a failure rate above 10% (holds), and call it failed when it excludes reaching 90%.
EVERY_INIT_AT = 0.90
#: "Flat for τ = 0": at least 90% of directions flat (lower end) holds; fewer than half (upper end) fails.
FLAT_HOLDS_AT, FLAT_FAILS_BELOW = 0.90, 0.50
#: "Shows improving directions": a clear share, a quarter of directions (lower end), improves on one side;
#: fails if fewer than 5% (upper end) do, i.e. the scatter looks as flat or as peaked as at τ = 0.
IMPROVING_HOLDS_AT, IMPROVING_FAILS_BELOW = 0.25, 0.05
#: Exact values: a valley or dip must be deeper than rounding, relative to max(1, |value|) (the perturbation
#: runs' flat tolerance).
EXACT_TOLERANCE = 1e-6
#: Perturbation variants at the sub-optimal solution: (directory, label, τ, c).
PERTURB_VARIANTS = (("tau0", "τ = 0", 0.0, 0.0), ("tau0.01", "τ = 0.01", 0.01, 0.0), ("mix0.1", "mixing c = 0.1", 0.0, 0.1))
#: Interpolation variants from the sub-optimal to the optimal solution: label → (τ, c).
INTERP_VARIANTS = {"τ = 0": (0.0, 0.0), "τ = 0.01": (0.01, 0.0), "τ = 0.1": (0.1, 0.0), "mixing c = 0.1": (0.0, 0.1)}
CORNER_TAUS = (0.0, 0.001, 0.01, 0.05, 0.1, 0.5)
#: Logit of the actions a deterministic "all <action>" policy does not take (the chosen one has 0).
OTHER_LOGIT = -20.0
DOWN, RIGHT = 3, 1  # action indices of envs.gridworlds.ACTIONS = (left, right, up, down)


@dataclass(frozen=True)
class GridworldConfig:
    """Every setting of the gridworld recipe (module docstring)."""

    env: str = DEFAULT_ENV_ID
    """Tabular environment id (the paper's 5×5 gridworld)."""
    seeds: int = 64
    """Seeds per (schedule, learning rate) of the sweep; the same initial θ for every run."""
    updates: int = 1500
    """Exact-gradient updates per sweep run."""
    lrs: tuple[float, ...] = (0.05, 0.1, 0.5)
    """Learning rates (SGD) of the sweep."""
    reference_lr: float = 0.1
    """The paper's learning rate: claims "without-entropy" and "entropy-helps" are measured at it."""
    schedules: tuple[Schedule, ...] = field(default=DEFAULT_SCHEDULES)
    """Entropy schedules; must include 'no-entropy' (τ = 0) and 'authors' (1.0 × 0.99^t)."""
    seed: int = 0
    """Run seed of the sweep (seed k's initial θ depends only on (seed, k))."""
    confirm_seed: int = 1
    """Run seed of the fresh seeds on which the best schedule of the sweep is confirmed."""
    solution_seeds: int = 8
    """Seeds of the long τ = 0 run whose solutions are perturbed and interpolated."""
    solution_updates: int = 20000
    """Updates of the long τ = 0 run (until the sub-optimal solution has converged)."""
    solution_lr: float = 1.0
    """Learning rate of the long τ = 0 run (larger than the sweep's: the same path, faster)."""
    directions: int = 500
    """Random unit directions of the perturbations."""
    perturb_alphas: tuple[float, ...] = (0.1, 1.0)
    """Perturbation step sizes α."""
    interp_points: int = 81
    """α points on [−0.5, 1.5] of the solution interpolations."""
    corner_points: int = 101
    """α points on [0, 1] between the "all down" and "all right" policies."""
    start_seeds_per_kind: int = 2
    """Start → solution interpolations: this many optimal and this many sub-optimal seeds."""


#: Training curves keep every 50th update: 19 sweep runs × 64 seeds × 1501 updates would be ~200 MB.
CURVE_EVERY = 50


def sweep_dir(schedule: Schedule, lr: float) -> str:
    return f"sweep/{schedule.name}_lr{lr:g}"


#: Figures, relative to the recipe directory.
FIG_STRIP, FIG_FRACTION = "final_returns_by_schedule.png", "frac_optimal_by_schedule.png"
FIG_PERTURB, FIG_SUB_OPT = "perturb_suboptimal.png", "interp_sub_to_opt.png"
FIG_CORNERS, FIG_DIP = "interp_down_right.png", "dip_depth_by_tau.png"
FIG_START = "start_to_solution.png"

NAME = "gridworld"
TITLE = "Exact gradient on the 5×5 gridworld (Section 3.1)"
SUMMARY = ("Exact policy-gradient ascent from many initializations with and without entropy (several schedules "
           "and learning rates), then the landscape at a sub-optimal solution: perturbations and interpolations "
           "under τ = 0, τ = 0.01 and mixing, and the path between two deterministic policies for growing τ "
           "(paper, Figures 2–3).")
#: The paper's claims, by key.
CLAIMS = {
    "without-entropy": "Without entropy a sizeable fraction of initializations (about a quarter) ends in the "
                       "sub-optimal corner.",
    "entropy-helps": "With entropy regularization fewer initializations (none in the paper) end sub-optimal.",
    "best-schedule": "A suitable entropy schedule makes every initialization reach the optimum.",
    "perturb-flat": "At the sub-optimal solution perturbations are flat for τ = 0 but show improving directions "
                    "with τ = 0.01 or with mixing.",
    "interp-valley": "Interpolating from the sub-optimal to the optimal solution shows a valley for τ = 0 and "
                     "rises monotonically for τ = 0.01.",
    "entropy-smooths": 'Higher entropy makes the path between the deterministic "all down" and "all right" '
                       "policies smoother: the valley between them shrinks as τ grows and is gone at the "
                       "largest τ.",
}
BUDGETS = {
    "tiny": GridworldConfig(seeds=8, updates=200, lrs=(0.1, 0.5),
                            schedules=tuple(s for s in DEFAULT_SCHEDULES if s.name in (NO_ENTROPY, AUTHORS, "tau0.1-slow")),
                            solution_seeds=8, solution_updates=1000, directions=50, interp_points=21,
                            corner_points=21, start_seeds_per_kind=1),
    "quick": GridworldConfig(),
    "full": GridworldConfig(seeds=256, updates=2000, lrs=(0.01, 0.05, 0.1, 0.5, 1.0), solution_seeds=8,
                            solution_updates=50000, directions=1000, interp_points=161, corner_points=201),
}
EXPECTED_TIME = {"quick": "20 s to 1 min", "full": "about 2 min"}
