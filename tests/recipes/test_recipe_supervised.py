"""The supervised sanity check end to end at the tiny budget, and its verdict functions on synthetic data."""

import pytest

from policyscape.recipes import supervised
from policyscape.recipes import verdicts as v
from policyscape.recipes.base import Claim, Figure
from policyscape.recipes.reproduce import run_recipe


def test_tiny_budget_produces_figures_and_both_claims(tmp_path):
    out = tmp_path / "supervised"
    run_recipe(supervised.RECIPE, "tiny", out, progress=False)
    items = supervised.RECIPE.assess(out)
    claims = {i.key: i for i in items if isinstance(i, Claim)}
    assert set(claims) == {"init-linear", "solution-minimum"}
    for f in (i for i in items if isinstance(i, Figure)):
        assert (out / f.path).read_bytes()[:4] == b"\x89PNG", f.path
    # a convex loss: the solution is a strict minimum whatever the budget (every Hessian eigenvalue < 0)
    assert claims["solution-minimum"].verdict == v.HOLDS
    assert claims["solution-minimum"].evidence["max_eigenvalue"] < 0


def summary(fractions, n=500):
    return {"directions": n, "per_alpha": [{"alpha": 0.1, "fractions": fractions}]}


@pytest.mark.parametrize("fraction,top,expected", [
    (1.0, -1e-3, v.HOLDS),     # all local maxima, negative definite
    (0.9, -1e-3, v.PARTLY),    # interval straddles 0.9
    (1.0, 1e-3, v.PARTLY),     # a positive eigenvalue: not a minimum of the loss
    (0.2, 1e-3, v.FAILS),
])
def test_minimum_claim_thresholds(fraction, top, expected):
    verdict, _, _ = supervised.minimum_claim(summary({"local maximum": fraction}), {"eigenvalues": [-1.0, top]})
    assert verdict == expected


@pytest.mark.parametrize("fraction,expected", [(0.97, v.HOLDS), (0.9, v.PARTLY), (0.3, v.FAILS)])
def test_init_claim_thresholds(fraction, expected):
    assert supervised.fraction_claim(summary({"gradient-dominated": fraction}), ("gradient-dominated",), "x")[0] == expected
