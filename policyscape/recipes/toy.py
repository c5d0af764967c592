"""Recipe ``toy``: the paper's method illustrations on 2-D functions (Experiments, item 1; Figure 1).

Paired random perturbations with α = 0.1 at: the strict maximum of ``−x² − 2y²``, the flat
maximum of ``−x²``, the saddle of ``−2x² + 2y²``, the strict function just off its maximum at
(0.1, 0), the linear ``−2x + 2y``, and Goodfellow's ``−(1 − xy)²`` at an optimum (1, 1) and at its
saddle (0, 0): one scatter and gradient/curvature spectra each (``perturb/<case>/``). Goodfellow's
function also gets the straight-line interpolation from (−2, −0.5) to (−0.5, −2) — two optima
joined by the curve xy = 1, with a barrier on the straight line — beside its contour plot.

Budgets differ only in the number of directions (tiny 100, quick 1000, full 5000); the values are
exact, so every verdict is decided by the closed forms up to the direction sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from policyscape.objectives.toy import TOY_OBJECTIVES, TOY_POINTS
from policyscape.plots.landscape import plot_interpolation, plot_perturb
from policyscape.recipes import verdicts as v
from policyscape.recipes.base import Figure, Recipe
from policyscape.recipes.common import at_least_fraction_claim, class_fraction, fraction_text, read_summary
from policyscape.runs.landscape import Point, run_interpolate, run_perturb
from policyscape.runs.rundir import RunDir

ALPHA = 0.1
#: (case, toy id, point name) of the perturbation illustrations, in the paper's order.
CASES = (
    ("strict-max", "toy/strict-max", "origin"),
    ("flat-max", "toy/flat-max", "origin"),
    ("saddle", "toy/saddle", "origin"),
    ("near-optimum", "toy/strict-max", "near-optimum"),
    ("linear", "toy/linear", "origin"),
    ("goodfellow-optimum", "toy/goodfellow", "goodfellow-optimum"),
    ("goodfellow-saddle", "toy/goodfellow", "goodfellow-saddle"),
)
#: "Almost all" directions: the Wilson interval's lower end must reach this to hold …
MOST = 0.95
#: … and the claim fails if the interval's upper end stays below this (the majority is elsewhere).
MAJORITY = 0.5
#: A class "occurs" in a saddle's or a near-optimum's scatter if it covers at least this fraction.
OCCURS = 0.1
#: A curvature is "near zero" (a flat direction of the flat maximum) below this share of the largest |curvature|.
NEAR_ZERO = 0.05
#: The barrier must rise above the optima's value by more than this (exact values: rounding only).
BARRIER = 1e-6


@dataclass(frozen=True)
class ToyConfig:
    directions: int = 1000
    """Random unit directions per case."""
    seed: int = 0
    """Seed of the directions."""
    interpolation_steps: int = 80
    """α steps per unit for Goodfellow's interpolation on [−0.25, 1.25] (α = 0 and 1 on the grid)."""
    contour_grid: int = 201
    """Grid points per axis of Goodfellow's contour plot."""


def run(config: ToyConfig, out: Path, progress: bool = True, executor=None) -> None:
    from policyscape.landscape.perturb import PerturbConfig

    perturb = PerturbConfig(alphas=(ALPHA,), directions=config.directions, seed=config.seed)
    for case, toy_id, point in CASES:
        at = Point(np.array(TOY_POINTS[point]), point)
        run_perturb(TOY_OBJECTIVES[toy_id], at, perturb, out / "perturb" / case, toy_id, {}, show_progress=progress)
    ends = [Point(np.array(TOY_POINTS[p]), p) for p in ("goodfellow-start", "goodfellow-end")]
    q = config.interpolation_steps // 4
    alphas = np.arange(-q, config.interpolation_steps + q + 1) / config.interpolation_steps
    run_interpolate({"(1 − xy)²": TOY_OBJECTIVES["toy/goodfellow"]}, ends, alphas, out / "goodfellow-interpolation",
                    "toy/goodfellow", show_progress=progress)
    save_goodfellow_contour(out, config.contour_grid)
    draw_figures(out)


def draw_figures(out: Path) -> list[Path]:
    """Every figure of the recipe, from its saved files."""
    paths = [p for case, *_ in CASES for p in plot_perturb(out / "perturb" / case)]
    paths += plot_interpolation(out / "goodfellow-interpolation")
    return [*paths, plot_goodfellow(out)]


def save_goodfellow_contour(out: Path, grid: int, span: float = 2.5) -> None:
    """Goodfellow's objective on a ``grid × grid`` square ``[−span, span]²`` → ``goodfellow_contour.npz``."""
    axis = np.linspace(-span, span, grid)
    x, y = np.meshgrid(axis, axis)
    values = TOY_OBJECTIVES["toy/goodfellow"].evaluate(np.stack([x.ravel(), y.ravel()], axis=1))["value"]
    buf = __import__("io").BytesIO()
    np.savez(buf, axis=axis, values=np.asarray(values).reshape(grid, grid))
    RunDir(out).write_bytes("goodfellow_contour.npz", buf.getvalue())


def plot_goodfellow(out: Path) -> Path:
    """Contour plot with the straight path and the connecting curve xy = 1, beside the interpolation."""
    from policyscape.plots.style import plt, save_figure

    contour = np.load(out / "goodfellow_contour.npz")
    axis, values = contour["axis"], contour["values"]
    curve = RunDir(out / "goodfellow-interpolation").read_csv("interpolation.csv")
    start, end = np.array(TOY_POINTS["goodfellow-start"]), np.array(TOY_POINTS["goodfellow-end"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    cs = left.contourf(axis, axis, np.maximum(values, -4), levels=30, cmap="viridis")
    fig.colorbar(cs, ax=left, label="−(1 − xy)²  (clipped at −4)")
    x = np.linspace(-2.5, -0.4, 200)
    left.plot(x, 1 / x, "w--", lw=1.5, label="optima xy = 1 (connected)")
    left.plot(np.linspace(0.4, 2.5, 200), 1 / np.linspace(0.4, 2.5, 200), "w--", lw=1.5)
    left.plot(*np.stack([start, end]).T, "r-", lw=2, label="straight path")
    left.plot(*np.stack([start, end]).T, "ro")
    left.set(xlabel="x", ylabel="y", title="Goodfellow's function and the straight path", xlim=(-2.5, 2.5),
             ylim=(-2.5, 2.5))
    left.legend(loc="upper right", fontsize=8)
    right.plot(curve["alpha"], curve["value"], "r-")
    right.axvline(0, color="gray", lw=0.8)
    right.axvline(1, color="gray", lw=0.8)
    right.set(xlabel="α  (θ = (1 − α)·(−2, −0.5) + α·(−0.5, −2))", ylabel="−(1 − xy)²",
              title="Linear interpolation between two optima: a barrier")
    return save_figure(fig, out / "goodfellow.png")


def fraction_claim(summary: dict, classes: tuple[str, ...], what: str, holds_at: float = MOST,
                   fails_below: float = MAJORITY) -> tuple[str, str, dict]:
    """(verdict, measured text, evidence) for "at least ``holds_at`` of the directions are in ``classes``"."""
    return at_least_fraction_claim(class_fraction(summary, classes), summary["directions"], what, holds_at,
                                   fails_below)


def both_classes_claim(summary: dict, first: str, second: str) -> tuple[str, str, dict]:
    """(verdict, text, evidence) for "both ``first`` and ``second`` directions occur" (each ≥ OCCURS)."""
    parts = {c: class_fraction(summary, c) for c in (first, second)}
    verdict = v.combine(v.at_least(i, OCCURS, OCCURS / 10) for i in parts.values())
    text = "; ".join(fraction_text(i, summary["directions"], f"directions: {c}") for c, i in parts.items())
    return verdict, text, {c: {"fraction": i.estimate, "ci95": [i.lo, i.hi]} for c, i in parts.items()} | {
        "occurs_at": OCCURS}


def flat_max_claim(summary: dict, curvatures: np.ndarray) -> tuple[str, str, dict]:
    """No direction improves (exact), and the curvatures reach (near) zero: a flat direction exists."""
    improving = class_fraction(summary, ("gradient-dominated", "convex"))
    scale = float(np.abs(curvatures).max())
    smallest = float(np.abs(curvatures).min())
    verdict = v.combine([v.exact(improving.estimate == 0.0), v.exact(smallest <= NEAR_ZERO * scale)])
    text = (f"{improving.estimate:.1%} of {summary['directions']} directions improve on either side; "
            f"curvatures range from {curvatures.min():.3g} to {curvatures.max():.3g} "
            f"(smallest |curvature| {smallest:.2g} = {smallest / scale:.1%} of the largest)")
    return verdict, text, {"improving_fraction": improving.estimate, "min_abs_curvature": smallest,
                           "max_abs_curvature": scale, "near_zero_share": NEAR_ZERO}


def barrier_claim(alphas: np.ndarray, values: np.ndarray, curve_max_loss: float) -> tuple[str, str, dict]:
    """A barrier on the straight path (min inside below both ends) although the optima are connected.

    ``curve_max_loss`` is the largest loss along the connecting curve xy = 1 (0 up to rounding).
    """
    inside = (alphas >= 0) & (alphas <= 1)
    ends = min(float(np.interp(0.0, alphas, values)), float(np.interp(1.0, alphas, values)))
    depth = ends - float(values[inside].min())
    verdict = v.combine([v.exact(depth > BARRIER), v.exact(curve_max_loss <= BARRIER)])
    text = (f"barrier depth {depth:.4g} on the straight path (value {values[inside].min():.4g} at its worst vs "
            f"{ends + 0.0:.3g} at the optima); largest loss along xy = 1 between them {curve_max_loss:.2g}")
    return verdict, text, {"barrier_depth": depth, "end_value": ends, "curve_max_loss": curve_max_loss}


def assess(out: Path) -> list:
    summaries = {case: read_summary(out / "perturb" / case) for case, _, _ in CASES}
    scatter = {case: f"perturb/{case}/perturb_scatter.png" for case in summaries}
    items: list = [Figure(path, f"{case}: Δ+ vs Δ− at α = {ALPHA} (paired perturbations)") for case, path in scatter.items()]
    items.append(Figure("goodfellow.png", "Goodfellow's function: the straight path between two optima crosses a "
                                          "barrier, although the optima are joined by the curve xy = 1"))
    for case in summaries:
        spectrum = f"perturb/{case}/perturb_spectra.png"
        if (out / spectrum).exists():
            items.append(Figure(spectrum, f"{case}: gradient and curvature spectra"))

    def add(key: str, result: tuple[str, str, dict], figures: tuple[str, ...]) -> None:
        verdict, measured, evidence = result
        items.append(RECIPE.claim(key, measured, verdict, evidence, figures))

    add("strict-max", fraction_claim(summaries["strict-max"], ("local maximum",), "directions are local maxima"),
        (scatter["strict-max"],))
    table = RunDir(out / "perturb" / "flat-max").read_csv("perturbations.csv")
    add("flat-max", flat_max_claim(summaries["flat-max"], table["curvature"]), (scatter["flat-max"],))
    add("saddle", both_classes_claim(summaries["saddle"], "local maximum", "convex"), (scatter["saddle"],))
    add("near-optimum", both_classes_claim(summaries["near-optimum"], "gradient-dominated", "local maximum"),
        (scatter["near-optimum"],))
    add("linear", fraction_claim(summaries["linear"], ("gradient-dominated",), "directions are gradient-dominated"),
        (scatter["linear"],))
    add("goodfellow-points", goodfellow_points_claim(summaries), (scatter["goodfellow-saddle"], scatter["goodfellow-optimum"]))
    curve = RunDir(out / "goodfellow-interpolation").read_csv("interpolation.csv")
    x = np.linspace(-2.0, -0.5, 1001)
    curve_loss = float(-TOY_OBJECTIVES["toy/goodfellow"].evaluate(np.stack([x, 1 / x], axis=1))["value"].min())
    add("goodfellow-barrier", barrier_claim(curve["alpha"], curve["value"], abs(curve_loss)), ("goodfellow.png",))
    return items


def goodfellow_points_claim(summaries: dict) -> tuple[str, str, dict]:
    """The saddle shows both local-maximum and convex directions; at the optimum no direction improves."""
    saddle = both_classes_claim(summaries["goodfellow-saddle"], "local maximum", "convex")
    optimum = class_fraction(summaries["goodfellow-optimum"], ("gradient-dominated", "convex"))
    verdict = v.combine([saddle[0], v.exact(optimum.estimate == 0.0)])
    text = f"saddle: {saddle[1]}; optimum: {optimum.estimate:.1%} of directions improve on either side"
    return verdict, text, {"saddle": saddle[2], "optimum_improving_fraction": optimum.estimate}


RECIPE = Recipe(
    name="toy",
    title="Method illustrations on 2-D toy functions",
    summary="Paired random perturbations (α = 0.1) tell maxima, flat maxima, saddles, slopes and plain "
            "linear functions apart by the signs of Δ+ and Δ−; Goodfellow's function shows why a linear "
            "interpolation can suggest a barrier between connected optima (paper, Figure 1).",
    claims={
        "strict-max": "At a strict maximum every direction is a local maximum (both Δ+ and Δ− negative).",
        "flat-max": "At a flat maximum no direction improves, and the curvature runs from negative down to zero "
                    "(flat directions).",
        "saddle": "At a saddle point some directions are local maxima and others improve on both sides (convex).",
        "near-optimum": "Near (not at) a strict maximum, part of the directions show the gradient "
                        "(gradient-dominated: one side improves), the rest are still local maxima.",
        "linear": "On a linear function every direction is gradient-dominated.",
        "goodfellow-points": "Perturbations tell Goodfellow's saddle (directions curving both ways) from its "
                             "optimum (no improving direction).",
        "goodfellow-barrier": "Linear interpolation between two optima of (1 − xy)² shows a barrier although the "
                              "optima are connected.",
    },
    budgets={"tiny": ToyConfig(directions=100, interpolation_steps=20, contour_grid=61),
             "quick": ToyConfig(), "full": ToyConfig(directions=5000, interpolation_steps=400, contour_grid=401)},
    expected_time={"quick": "about 5 s", "full": "about 10 s"},
    run=run,
    assess=assess,
)
