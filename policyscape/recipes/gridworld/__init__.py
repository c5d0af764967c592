"""Recipe ``gridworld``: the paper's 5×5 gridworld with the exact gradient (Section 3.1, Figures 2–3).

Five parts, each in its own resumable sub-directory of the recipe directory:

1. ``sweep/<schedule>_lr<lr>/``: exact policy-gradient training of the same seeds under every entropy
   schedule ``τ_t = τ0 · decay^t`` (``entropy_schedules.DEFAULT_SCHEDULES``: τ = 0, the authors'
   1.0 × 0.99^t, slower decays, a constant τ) and every learning rate; ``sweep.json`` lists the
   fraction of seeds whose final return is within 1e-2 of the optimum. The best entropy schedule of
   the sweep is re-trained on fresh seeds (``confirm/``, run seed ``confirm_seed``) so that its
   fraction is not biased by the selection.
2. ``solution/``: a long τ = 0 run (the sub-optimal solutions of the sweep are still moving after
   1500 updates: most directions are gradient-dominated there, not flat); ``solution.json`` names a
   seed whose greedy policy goes to the 4.5 corner and one at the optimum, with the gradient norm and
   the return gap that show how converged they are. ``perturb/<variant>/``: paired perturbations at
   the sub-optimal solution under τ = 0, τ = 0.01 and mixing c = 0.1 (the same directions).
3. ``interp-sub-to-opt/``: interpolation from the sub-optimal to the optimal solution under τ = 0,
   0.01, 0.1 and mixing.
4. ``interp-down-right/``: interpolation between the deterministic "all down" and "all right"
   policies (chosen action's logit 0, the others −20) for τ ∈ {0, 0.001, 0.01, 0.05, 0.1, 0.5}.
5. ``start-to-solution/seed_K/``: interpolation from seed K's initial θ to its solution, drawn on the
   distance axis α·‖θ1 − θ0‖ (figure only).

Budgets: ``tiny`` (the test suite, seconds): 8 seeds × 200 updates, three schedules, two learning
rates, a 1000-update solution run, 50 directions, 21 α — every part, figure and claim row.
``quick`` (about a minute on 2 cores): 64 seeds × 1500 updates, six schedules × three learning
rates, a 20000-update solution run (lr 1.0), 500 directions. ``full``: 256 seeds × 2000 updates,
five learning rates, a 50000-update solution run, 1000 directions.

The recipe is split by role: ``config`` (settings per budget, thresholds, file names, the claims),
``compute`` (training and landscape runs; saves, draws nothing), ``measures`` (quantities read back
from the saved results), ``plots`` (figures from the saved results) and ``claims`` (verdict rules and
``assess``). This package composes them into :data:`RECIPE`.
"""

from __future__ import annotations

from pathlib import Path

from policyscape.recipes.base import Recipe
from policyscape.recipes.gridworld.claims import (
    assess,
    verdict_best_schedule,
    verdict_entropy_helps,
    verdict_entropy_smooths,
    verdict_interp_valley,
    verdict_perturb_flat,
    verdict_without_entropy,
)
from policyscape.recipes.gridworld.compute import (
    best_entropy_row,
    choose_solutions,
    compute,
    deterministic_theta,
    sweep_row,
    train,
)
from policyscape.recipes.gridworld.config import (
    AUTHORS,
    BUDGETS,
    CLAIMS,
    CORNER_TAUS,
    CURVE_EVERY,
    DOWN,
    EVERY_INIT_AT,
    EXACT_TOLERANCE,
    EXPECTED_TIME,
    FIG_CORNERS,
    FIG_DIP,
    FIG_FRACTION,
    FIG_PERTURB,
    FIG_START,
    FIG_STRIP,
    FIG_SUB_OPT,
    FLAT_FAILS_BELOW,
    FLAT_HOLDS_AT,
    IMPROVING_FAILS_BELOW,
    IMPROVING_HOLDS_AT,
    INTERP_VARIANTS,
    NAME,
    NO_ENTROPY,
    OTHER_LOGIT,
    PERTURB_VARIANTS,
    RIGHT,
    SIZEABLE_FAILS_BELOW,
    SIZEABLE_HOLDS_AT,
    SUMMARY,
    TITLE,
    GridworldConfig,
    sweep_dir,
)
from policyscape.recipes.gridworld.measures import dip_depth, dip_depths
from policyscape.recipes.gridworld.plots import (
    draw_figures,
    plot_corners,
    plot_dip_depth,
    plot_fractions,
    plot_perturb_grid,
    plot_start_to_solution,
    plot_strip,
    plot_sub_to_opt,
)


def run(config: GridworldConfig, out: Path, progress: bool = True, executor=None) -> None:
    """Compute and save every part (:func:`~.compute.compute`), then draw the figures from the saved files."""
    compute(config, out, progress, executor)
    draw_figures(out)


RECIPE = Recipe(name=NAME, title=TITLE, summary=SUMMARY, claims=CLAIMS, budgets=BUDGETS, expected_time=EXPECTED_TIME,
                run=run, assess=assess)

__all__ = [
    "AUTHORS", "BUDGETS", "CLAIMS", "CORNER_TAUS", "CURVE_EVERY", "DOWN", "EVERY_INIT_AT", "EXACT_TOLERANCE",
    "EXPECTED_TIME", "FIG_CORNERS", "FIG_DIP", "FIG_FRACTION", "FIG_PERTURB", "FIG_START", "FIG_STRIP", "FIG_SUB_OPT",
    "FLAT_FAILS_BELOW", "FLAT_HOLDS_AT", "IMPROVING_FAILS_BELOW", "IMPROVING_HOLDS_AT", "INTERP_VARIANTS", "NAME",
    "NO_ENTROPY", "OTHER_LOGIT", "PERTURB_VARIANTS", "RECIPE", "RIGHT", "SIZEABLE_FAILS_BELOW", "SIZEABLE_HOLDS_AT",
    "SUMMARY", "TITLE", "GridworldConfig", "assess", "best_entropy_row", "choose_solutions", "compute",
    "deterministic_theta", "dip_depth", "dip_depths", "draw_figures", "plot_corners", "plot_dip_depth",
    "plot_fractions", "plot_perturb_grid", "plot_start_to_solution", "plot_strip", "plot_sub_to_opt", "run",
    "sweep_dir", "sweep_row", "train", "verdict_best_schedule", "verdict_entropy_helps", "verdict_entropy_smooths",
    "verdict_interp_valley", "verdict_perturb_flat", "verdict_without_entropy",
]
