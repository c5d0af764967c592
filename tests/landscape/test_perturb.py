"""Paired perturbations: classes on the toy functions, exact curvature, gridworld Δ± recomputed."""

import json

import numpy as np
import pytest

from policyscape.landscape import perturb as pert
from policyscape.landscape.directions import gaussian_directions
from policyscape.objectives.registry import make_objective
from policyscape.objectives.toy import make_toy
from policyscape.runs.landscape import Point, run_perturb
from policyscape.runs.rundir import RunDir

ALPHA = 0.1


def perturb_toy(toy_id, at, tmp_path, directions=1000, alphas=(ALPHA,)):
    config = pert.PerturbConfig(alphas=alphas, directions=directions, seed=0)
    summary = run_perturb(make_toy(toy_id), Point(np.array(at, float), str(at)), config, tmp_path / toy_id.replace("/", "_"),
                          toy_id, {}, show_progress=False)
    return summary, RunDir(tmp_path / toy_id.replace("/", "_")).read_csv("perturbations.csv")


def test_strict_maximum_every_direction_local_max(tmp_path):
    summary, table = perturb_toy("toy/strict-max", (0, 0), tmp_path)
    assert summary["fractions"]["local maximum"] == 1.0
    assert set(table["class"]) == {"local maximum"}


def test_linear_every_direction_gradient_dominated(tmp_path):
    summary, table = perturb_toy("toy/linear", (0.3, -0.7), tmp_path)
    assert summary["fractions"]["gradient-dominated"] == 1.0
    g = np.array([-2.0, 2.0])
    d = np.load(tmp_path / "toy_linear" / "directions.npy")
    np.testing.assert_allclose(table["gradient"], d @ g, rtol=1e-9, atol=1e-12)


def test_saddle_has_local_max_and_convex_directions(tmp_path):
    summary, _ = perturb_toy("toy/saddle", (0, 0), tmp_path)
    f = summary["fractions"]
    assert f["local maximum"] > 0.3 and f["convex"] > 0.3
    assert f["local maximum"] + f["convex"] == 1.0


def test_flat_maximum_has_flat_directions(tmp_path):
    summary, table = perturb_toy("toy/flat-max", (0, 0), tmp_path)
    assert summary["fractions"]["flat"] > 0
    flat = table["class"] == "flat"
    assert np.all(np.abs(table["delta_plus"][flat]) <= summary["significance_tolerance"])
    assert summary["fractions"]["convex"] == 0 and summary["fractions"]["gradient-dominated"] == 0


@pytest.mark.parametrize("toy_id, at", [("toy/strict-max", (0.1, 0.0)), ("toy/saddle", (0.2, -0.4)), ("toy/flat-max", (1.0, 2.0))])
def test_curvature_estimate_equals_dHd_of_the_quadratic(tmp_path, toy_id, at):
    _, table = perturb_toy(toy_id, at, tmp_path, directions=200, alphas=(0.1, 0.7))
    d = np.load(tmp_path / toy_id.replace("/", "_") / "directions.npy")
    H = make_toy(toy_id).exact_hessian(np.array(at, float))
    dHd = np.einsum("ij,jk,ik->i", d, H, d)
    for alpha in (0.1, 0.7):
        rows = table["alpha"] == alpha
        np.testing.assert_allclose(table["curvature"][rows], dHd, rtol=1e-9, atol=1e-11)
        np.testing.assert_array_equal(table["direction"][rows], np.arange(200))


def test_near_optimum_shows_gradient_at_small_alpha(tmp_path):
    """Strict maximum seen from (0.1, 0): at α = 0.01 the gradient term dominates many directions."""
    summary, _ = perturb_toy("toy/strict-max", (0.1, 0.0), tmp_path, alphas=(0.01, 0.5))
    by_alpha = {p["alpha"]: p["fractions"] for p in summary["per_alpha"]}
    assert by_alpha[0.01]["gradient-dominated"] > 0.5
    assert by_alpha[0.5]["local maximum"] == 1.0


def test_classify_thresholds():
    tol = 0.1
    dp = np.array([0.05, -0.2, 0.2, 0.2, -0.05, 0.05, -0.2])
    dm = np.array([-0.05, -0.2, 0.2, -0.2, -0.2, 0.2, 0.05])
    assert list(pert.classify(dp, dm, tol)) == [
        "flat", "local maximum", "convex", "gradient-dominated", "local maximum", "convex", "local maximum"]


def test_most_improvement_curvature_is_90th_percentile_of_delta_plus():
    dp = np.arange(11.0)[::-1]  # direction 1 has Δ+ = 9: the 90th percentile of 0..10
    curv = np.arange(11.0) * 10
    assert pert.most_improvement_curvature(dp, curv) == (10.0, 1)


@pytest.fixture(scope="module")
def gridworld_theta():
    objective = make_objective("policyscape/SymmetricGridworld-v0")
    return objective.policy.initial_params(seed=2, num_seeds=1, scale=2.0)[0]


@pytest.mark.parametrize("entropy, mix", [(0.0, 0.0), (0.01, 0.0), (0.0, 0.1)])
def test_gridworld_deltas_recomputed_independently(tmp_path, gridworld_theta, entropy, mix):
    from policyscape.objectives import reference
    from policyscape.envs.gridworlds import symmetric_gridworld

    objective = make_objective("policyscape/SymmetricGridworld-v0", entropy, mix)
    config = pert.PerturbConfig(alphas=(0.1, 1.0), directions=50, seed=3, chunk_size=64)
    out = tmp_path / "grid"
    run_perturb(objective, Point(gridworld_theta, "θ"), config, out, "policyscape/SymmetricGridworld-v0",
                          {"entropy": entropy, "mix": mix}, show_progress=False)
    d = np.load(out / "directions.npy")
    np.testing.assert_array_equal(d, gaussian_directions(108, 50, seed=3))
    table = RunDir(out).read_csv("perturbations.csv")
    mdp = symmetric_gridworld()
    base = reference.value(mdp, gridworld_theta, entropy, mix)
    for row in (0, 17, 49, 50, 99):
        alpha, i = table["alpha"][row], int(table["direction"][row])
        plus = reference.value(mdp, gridworld_theta + alpha * d[i], entropy, mix) - base
        minus = reference.value(mdp, gridworld_theta - alpha * d[i], entropy, mix) - base
        assert table["delta_plus"][row] == pytest.approx(plus, abs=1e-11)
        assert table["delta_minus"][row] == pytest.approx(minus, abs=1e-11)
    saved = json.loads((out / "summary.json").read_text())
    assert saved["value_at_theta0"] == pytest.approx(base, rel=1e-12)
    assert abs(sum(saved["per_alpha"][0]["fractions"].values()) - 1.0) < 1e-12


def test_plot_redraws_figures_from_saved_files(tmp_path):
    from policyscape.cli import main

    perturb_toy("toy/saddle", (0, 0), tmp_path, directions=50, alphas=(0.1, 0.5))
    out = tmp_path / "toy_saddle"
    table_before = (out / "perturbations.csv").read_text()
    assert main(["plot", str(out)]) == 0
    assert (out / "perturb_scatter.png").stat().st_size > 10_000 and (out / "perturb_spectra.png").is_file()
    assert (out / "perturbations.csv").read_text() == table_before  # nothing recomputed
