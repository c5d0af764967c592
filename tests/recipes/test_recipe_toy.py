"""The toy recipe end to end at the tiny budget; its verdict functions on synthetic data; its numbers
against the closed forms of the toy functions."""

import math

import numpy as np
import pytest

from policyscape.recipes import toy
from policyscape.recipes import verdicts as v
from policyscape.recipes.base import Claim, Figure
from policyscape.recipes.reproduce import run_recipe


@pytest.fixture(scope="module")
def toy_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce") / "toy"
    run_recipe(toy.RECIPE, "tiny", out, progress=False)
    return out


def test_tiny_budget_produces_every_figure_and_claim(toy_dir):
    items = toy.RECIPE.assess(toy_dir)
    figures = [i for i in items if isinstance(i, Figure)]
    claims = {i.key: i for i in items if isinstance(i, Claim)}
    assert set(claims) == set(toy.RECIPE.claims)
    for f in figures:
        assert (toy_dir / f.path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f.path
    for c in claims.values():
        assert c.verdict in v.VERDICTS and c.measured
        assert all((toy_dir / f).exists() for f in c.figures)
    # exact objectives, 50 directions: the illustrations are unambiguous even at this budget
    for key in ("strict-max", "linear", "goodfellow-barrier", "flat-max"):
        assert claims[key].verdict == v.HOLDS, claims[key]


def test_near_optimum_fraction_matches_the_closed_form(tmp_path):
    """J = −x² − 2y² at (0.1, 0), α = 0.1, d = (cos φ, sin φ): Δ± = ∓0.02c − 0.01c² − 0.02s², so a direction
    is gradient-dominated iff |cos φ| > √3 − 1, with probability (2/π)·arccos(√3 − 1) for uniform φ."""
    from policyscape.recipes.common import class_fraction

    run_recipe(toy.RECIPE, "tiny", tmp_path / "toy", progress=False, config=toy.ToyConfig(directions=2000))
    summary = __import__("json").loads((tmp_path / "toy/perturb/near-optimum/summary.json").read_text())
    measured = class_fraction(summary, "gradient-dominated")
    expected = 2 / math.pi * math.acos(math.sqrt(3) - 1)
    assert measured.lo <= expected <= measured.hi


def perturb_summary(fractions: dict[str, float], n: int = 1000) -> dict:
    return {"directions": n, "per_alpha": [{"alpha": 0.1, "fractions": fractions,
                                            "fraction_significant_negative_curvature": 0.0}]}


@pytest.mark.parametrize("fraction,expected", [(0.99, v.HOLDS), (0.95, v.PARTLY), (0.45, v.FAILS)])
def test_fraction_claim_thresholds(fraction, expected):
    """1000 directions: 99% → interval above 0.95; 95% → interval straddles it; 45% → below a majority."""
    verdict, text, evidence = toy.fraction_claim(perturb_summary({"local maximum": fraction}), ("local maximum",), "x")
    assert verdict == expected
    assert f"{100 * fraction:.1f}%" in text and evidence["n"] == 1000


@pytest.mark.parametrize("first,second,expected", [(0.5, 0.5, v.HOLDS), (0.97, 0.03, v.PARTLY), (1.0, 0.0, v.PARTLY)])
def test_both_classes_claim(first, second, expected):
    summary = perturb_summary({"local maximum": first, "convex": second})
    assert toy.both_classes_claim(summary, "local maximum", "convex")[0] == expected


def test_barrier_claim_both_ways():
    alphas = np.linspace(0, 1, 11)
    valley = -0.3 * np.sin(np.pi * alphas)
    assert toy.barrier_claim(alphas, valley, 0.0)[0] == v.HOLDS
    assert toy.barrier_claim(alphas, np.zeros_like(alphas), 0.0)[0] == v.PARTLY  # no barrier, but connected
    assert toy.barrier_claim(alphas, np.zeros_like(alphas), 1.0)[0] == v.FAILS


def test_flat_max_claim_both_ways():
    summary = perturb_summary({"local maximum": 0.9, "flat": 0.1})
    assert toy.flat_max_claim(summary, np.array([-2.0, -1.0, -1e-4]))[0] == v.HOLDS
    assert toy.flat_max_claim(summary, np.array([-2.0, -1.0, -0.5]))[0] == v.PARTLY
    improving = perturb_summary({"local maximum": 0.5, "gradient-dominated": 0.5})
    assert toy.flat_max_claim(improving, np.array([-2.0, -1.0, -0.5]))[0] == v.FAILS
