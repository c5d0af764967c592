"""Recipe ``supervised``: the sanity check on a convex loss (Experiments, item 4).

Multinomial logistic regression on scikit-learn's bundled digits (``supervised/digits-logreg``,
L2 1e-3; the paper used Fashion-MNIST, which would need a download), maximized as ``J = −loss``.
Paired random perturbations at the small random initializer and at the solution (Newton's
method): at the initializer the scatter should look linear (gradient-dominated), at the solution
like a minimum of the loss (every direction a local maximum of J). The Hessian spectrum at the
solution (dense, 650 × 650) confirms it exactly: every eigenvalue of ∇²J is negative.

Budgets differ only in the number of directions (tiny 40, quick 500, full 2000).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from policyscape.plots.landscape import plot_hessian, plot_perturb
from policyscape.recipes import verdicts as v
from policyscape.recipes.base import Figure, Recipe
from policyscape.recipes.common import at_least_fraction_claim, class_fraction, read_summary
from policyscape.runs.landscape import Point, run_hessian, run_perturb

ENV_ID = "supervised/digits-logreg"
#: "Almost all" directions: the Wilson interval's lower end must reach this …
MOST = 0.9
#: … and the claim fails if its upper end stays below a majority.
MAJORITY = 0.5


@dataclass(frozen=True)
class SupervisedConfig:
    directions: int = 500
    """Random unit directions per point."""
    alpha: float = 0.1
    """Perturbation size α (the toy illustrations' α)."""
    seed: int = 0
    """Seed of the directions and of the initializer."""
    hessian_directions: int = 500
    """Random directions whose curvature dᵀHd is shown beside the Hessian spectrum."""


def run(config: SupervisedConfig, out: Path, progress: bool = True, executor=None) -> None:
    from policyscape.api import resolve_params
    from policyscape.landscape.perturb import PerturbConfig
    from policyscape.objectives.registry import make_objective

    objective = make_objective(ENV_ID)
    perturb = PerturbConfig(alphas=(config.alpha,), directions=config.directions, seed=config.seed)
    for name in ("init", "solution"):
        theta, _ = resolve_params(name, ENV_ID)
        run_perturb(objective, Point(theta, name), perturb, out / name, ENV_ID, {}, show_progress=progress)
    theta, _ = resolve_params("solution", ENV_ID)
    run_hessian(objective, Point(theta, "solution"), out / "hessian", ENV_ID, {},
                directions=config.hessian_directions, seed=config.seed)
    draw_figures(out)


def draw_figures(out: Path) -> list[Path]:
    """Every figure of the recipe, from its saved files."""
    return [*plot_perturb(out / "init"), *plot_perturb(out / "solution"), *plot_hessian(out / "hessian")]


def fraction_claim(summary: dict, classes: tuple[str, ...], what: str) -> tuple[str, str, dict]:
    """(verdict, measured text, evidence) for "almost all directions are in ``classes``"."""
    return at_least_fraction_claim(class_fraction(summary, classes), summary["directions"], what, MOST, MAJORITY)


def minimum_claim(perturb_summary: dict, hessian_summary: dict) -> tuple[str, str, dict]:
    """Almost all directions are local maxima of J, and (exactly) the largest Hessian eigenvalue is < 0."""
    verdict, text, evidence = fraction_claim(perturb_summary, ("local maximum",), "directions are local maxima of −loss")
    top = float(max(hessian_summary["eigenvalues"]))
    verdict = v.combine([verdict, v.exact(top < 0)])
    return verdict, f"{text}; largest Hessian eigenvalue {top:.3g}", {**evidence, "max_eigenvalue": top}


def assess(out: Path) -> list:
    init, solution, hessian = (read_summary(out / name) for name in ("init", "solution", "hessian"))
    alpha = init["per_alpha"][0]["alpha"]
    items: list = [
        Figure("init/perturb_scatter.png", f"At the initializer: Δ+ vs Δ− (α = {alpha})"),
        Figure("solution/perturb_scatter.png", f"At the solution: Δ+ vs Δ− (α = {alpha})"),
        Figure("init/perturb_spectra.png", "At the initializer: gradient and curvature spectra"),
        Figure("solution/perturb_spectra.png", "At the solution: gradient and curvature spectra"),
        Figure("hessian/hessian.png", "Hessian spectrum of J = −loss at the solution, beside random-direction curvatures"),
    ]
    verdict, measured, evidence = fraction_claim(init, ("gradient-dominated",), "directions are gradient-dominated")
    items.append(RECIPE.claim("init-linear", measured, verdict, evidence, ("init/perturb_scatter.png",)))
    verdict, measured, evidence = minimum_claim(solution, hessian)
    items.append(RECIPE.claim("solution-minimum", measured, verdict, evidence,
                              ("solution/perturb_scatter.png", "hessian/hessian.png")))
    return items


RECIPE = Recipe(
    name="supervised",
    title="Sanity check: logistic regression (a convex loss)",
    summary="On a convex supervised loss the perturbation tool must show the obvious: a slope at the "
            "initializer and a minimum at the solution (the paper used Fashion-MNIST; scikit-learn's bundled "
            "digits serve the same purpose offline).",
    claims={
        "init-linear": "At the initializer the perturbation scatter looks linear (almost every direction is "
                       "gradient-dominated).",
        "solution-minimum": "At the solution the scatter looks like a minimum of the loss (almost every direction "
                            "worsens on both sides).",
    },
    budgets={"tiny": SupervisedConfig(directions=40, hessian_directions=40), "quick": SupervisedConfig(),
             "full": SupervisedConfig(directions=2000, hessian_directions=2000)},
    expected_time={"quick": "about 5 s", "full": "about 10 s"},
    run=run,
    assess=assess,
)
