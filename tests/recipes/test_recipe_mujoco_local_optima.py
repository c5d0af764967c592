"""The mujoco-local-optima recipe end to end at the tiny budget (Hopper and HalfCheetah); its verdict
functions on synthetic measurements on both sides of every threshold; its curvature counts against the
library's own perturbation summary and its monotonicity rule against a brute-force reference."""

import itertools
import json
import math

import numpy as np
import pytest

from policyscape.recipes import mujoco_local_optima as lo
from policyscape.recipes import verdicts as v
from policyscape.recipes.base import Claim, Figure
from policyscape.recipes.reproduce import run_recipe

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def recipe_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce") / "mujoco-local-optima"
    run_recipe(lo.RECIPE, "tiny", out, progress=False)
    return out


def test_tiny_budget_produces_every_figure_and_claim(recipe_dir):
    items = lo.RECIPE.assess(recipe_dir)
    figures = [i for i in items if isinstance(i, Figure)]
    claims = {i.key: i for i in items if isinstance(i, Claim)}
    assert set(claims) == set(lo.RECIPE.claims)  # tiny runs HalfCheetah too
    paths = {f.path for f in figures}
    assert {"hopper/curvature_classes.png", "hopper/perturb_sigma_0/perturb_scatter.png",
            "hopper/perturb_sigma_1/perturb_scatter.png", "hopper/interpolation/interpolation.png",
            "halfcheetah/interpolation/interpolation.png"} <= paths
    for f in figures:
        assert (recipe_dir / f.path).read_bytes()[:8] == PNG, f.path
    for c in claims.values():
        assert c.verdict in v.VERDICTS and c.verdict != v.NOT_RUN and c.measured
        assert c.figures and all((recipe_dir / f).exists() for f in c.figures)
    solutions = json.loads((recipe_dir / "hopper/solutions.json").read_text())
    train = json.loads((recipe_dir / "hopper/train/sigma_0.1/summary.json").read_text())
    assert solutions["poor_return"] == min(train["final_deterministic_return"])


def test_curvature_counts_match_the_library_summary(recipe_dir):
    """The recipe's significant-negative count equals the library's fraction_significant_negative_curvature."""
    for sigma in (0.0, 1.0):
        counts, n, summary = lo.perturbation_counts(recipe_dir, "Hopper-v5", sigma)
        assert sum(counts.values()) == n == 8
        expected = summary["per_alpha"][0]["fraction_significant_negative_curvature"]
        assert counts["significant negative"] == round(expected * n)


def test_rerun_reuses_every_sub_run(recipe_dir):
    before = (recipe_dir / "hopper/perturb_sigma_0/perturbations.csv").read_text()
    interp = (recipe_dir / "halfcheetah/interpolation/interpolation.csv").read_text()
    lo.RECIPE.run(lo.RECIPE.config("tiny"), recipe_dir, False)
    assert (recipe_dir / "hopper/perturb_sigma_0/perturbations.csv").read_text() == before
    assert (recipe_dir / "halfcheetah/interpolation/interpolation.csv").read_text() == interp


def test_quick_budget_is_hopper_only_and_skips_the_counterexample():
    quick = lo.RECIPE.config("quick")
    assert [p.env for p in quick.parts] == ["Hopper-v5"]
    assert [p.env for p in lo.RECIPE.config("full").parts] == ["Hopper-v5", "HalfCheetah-v5"]
    assert lo.RECIPE.config("full").directions == 500 and lo.RECIPE.config("full").episodes == 128


@pytest.mark.parametrize("negative,expected", [(85, v.HOLDS), (40, v.PARTLY), (5, v.FAILS)])
def test_negative_curvature_verdict_thresholds(negative, expected):
    """100 directions: 85% → Wilson lower end ≈ 0.77 ≥ 0.5; 40% → [0.31, 0.50]; 5% → upper end ≈ 0.11 < 0.2."""
    verdict, text, evidence = lo.negative_curvature_verdict(negative, 100, noise_std=0.3)
    assert verdict == expected
    assert f"{negative:.1f}%" in text and evidence["n"] == 100
    assert evidence["ci95"][0] <= negative / 100 <= evidence["ci95"][1]


@pytest.mark.parametrize("within,expected", [(98, v.HOLDS), (75, v.PARTLY), (30, v.FAILS)])
def test_within_noise_verdict_thresholds(within, expected):
    """100 directions: 98% → lower end ≈ 0.93 ≥ 0.8; 75% → straddles 0.8; 30% → upper end ≈ 0.40 < 0.5."""
    verdict, _, evidence = lo.within_noise_verdict(within, 100, noise_std=12.0)
    assert verdict == expected and evidence["holds_at"] == lo.WITHIN_NOISE_HOLDS_AT


def test_curvature_counts_by_hand():
    # tol = 1 → bound 2: sums −3 (negative), −2 (within, not strictly below), 0, 2.5 (positive)
    counts = lo.curvature_counts([-1.0, -1.0, 0.5, 2.0], [-2.0, -1.0, -0.5, 0.5], tol=1.0)
    assert counts == {"significant negative": 1, "within noise": 2, "significant positive": 1}


ALPHAS = np.linspace(0.0, 1.0, 11)


def test_monotone_rise_within_noise_holds():
    values = 100 * ALPHAS + np.array([0, 3, -2, 4, 0, 1, -3, 2, 0, 1, 0])  # wiggles well within 2 SE
    m = lo.path_monotonicity(ALPHAS, values, np.full(11, 5.0))
    assert not m["significant_drop"] and m["rise"].lo > 0
    assert lo.monotone_verdict(m) == v.HOLDS and lo.negate(lo.monotone_verdict(m)) == v.FAILS


def test_valley_is_not_monotone():
    values = np.array([50, 40, 20, 10, 5, 10, 30, 60, 90, 110, 120], dtype=float)  # dips 45 below the start
    m = lo.path_monotonicity(ALPHAS, values, np.full(11, 5.0))
    assert m["significant_drop"] and m["drop"] == pytest.approx(45.0)
    assert m["drop_z"] == pytest.approx(45 / math.sqrt(50))
    assert m["drop_alphas"] == [0.0, 0.4]
    assert lo.monotone_verdict(m) == v.FAILS and lo.negate(lo.monotone_verdict(m)) == v.HOLDS


def test_flat_noisy_path_is_undecided():
    values = np.array([10, 12, 9, 11, 10, 13, 9, 10, 12, 11, 12], dtype=float)
    m = lo.path_monotonicity(ALPHAS, values, np.full(11, 5.0))
    assert not m["significant_drop"] and m["rise"].lo < 0 < m["rise"].hi
    assert lo.monotone_verdict(m) == v.PARTLY and lo.negate(v.PARTLY) == v.PARTLY


def test_points_outside_the_segment_are_ignored_and_nan_stderr_is_zero():
    alphas = np.array([-0.5, 0.0, 0.5, 1.0, 1.5])
    values = np.array([500.0, 0.0, 5.0, 10.0, -500.0])  # huge drops only outside [0, 1]
    m = lo.path_monotonicity(alphas, values, np.full(5, np.nan))  # σ = 0 style: no stderr → exact comparison
    assert m["points"] == 3 and not m["significant_drop"]
    assert lo.monotone_verdict(m) == v.HOLDS  # rise 10 with a zero-width interval


def test_path_monotonicity_matches_a_brute_force_reference():
    rng = np.random.default_rng(3)
    for _ in range(50):
        values = np.cumsum(rng.normal(1.0, 4.0, 9))
        se = rng.uniform(0.5, 3.0, 9)
        alphas = np.linspace(0, 1, 9)
        m = lo.path_monotonicity(alphas, values, se)
        pairs = [(i, j) for i, j in itertools.combinations(range(9), 2)]
        zs = [(values[i] - values[j]) / math.hypot(se[i], se[j]) for i, j in pairs]
        assert m["drop_z"] == pytest.approx(max(zs))
        assert m["significant_drop"] == any(z > lo.DROP_STANDARD_ERRORS for z in zs)
        half = v.Z95 * math.hypot(se[0], se[-1])
        assert m["rise"].lo == pytest.approx(values[-1] - values[0] - half)


def test_select_solutions_worst_poor_best_good_nan_is_worst():
    s = lo.select_solutions([120.0, float("nan"), 80.0], [300.0, float("nan"), 450.0])
    assert (s["poor_seed"], s["good_seed"]) == (1, 2) and s["good_return"] == 450.0


def test_paper_fraction_note_only_when_the_interval_excludes_85_percent():
    assert lo.paper_fraction_note("sigma0-negative-curvature", {"ci95": [0.7, 0.9]}) == ""
    assert "above" in lo.paper_fraction_note("sigma0-negative-curvature", {"ci95": [0.94, 1.0]})
    assert "below" in lo.paper_fraction_note("sigma0-negative-curvature", {"ci95": [0.1, 0.3]})
    assert lo.paper_fraction_note("sigma1-within-noise", {"ci95": [0.94, 1.0]}) == ""


def test_a_local_pool_gives_the_same_results_as_in_process(recipe_dir, tmp_path):
    """The recipe's sampled landscape runs in chunks of 4 points on two worker processes: every result table
    identical to the in-process run with one chunk (sampled values do not depend on the batch)."""
    from dataclasses import replace

    from policyscape.runs.executor import LocalExecutor

    out = tmp_path / "mujoco-local-optima"
    with LocalExecutor(2) as executor:
        run_recipe(lo.RECIPE, "tiny", out, progress=False, executor=executor,
                   config=replace(lo.RECIPE.config("tiny"), chunk_size=4))
    assert max(int(line.split(",")[0]) for line in (out / "hopper/interpolation/points/variant_000.csv")
               .read_text().splitlines()[1:]) > 0  # several chunks, so the pool had work to share
    tables = sorted(p.relative_to(recipe_dir) for p in recipe_dir.rglob("*.csv") if "points" not in p.parts)
    assert any("perturb" in str(t) for t in tables) and any("interpolation" in str(t) for t in tables)
    for table in tables:
        assert (out / table).read_text() == (recipe_dir / table).read_text(), table
