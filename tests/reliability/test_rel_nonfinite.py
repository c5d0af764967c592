"""Silently wrong results: NaN never classified; interpolation anchors evaluated; grad/hessian of a batch."""

import json

import numpy as np
import pytest

from policyscape.landscape import perturb as pert
from policyscape.objectives.toy import make_toy
from policyscape.runs.rundir import RunDir


def test_perturb_at_nonfinite_theta0_is_refused_and_writes_nothing(tmp_path, cli):
    out = tmp_path / "D"
    code, _, err = cli("perturb", "--env", "toy/saddle", "--at=1e300,1e300", "--directions", 10, "--out", out,
                       "--no-progress")
    assert code == 2, err
    assert "not finite at θ0" in err
    assert not out.exists()


def test_evaluate_nonfinite_value_exits_2(cli):
    code, out, err = cli("evaluate", "--env", "toy/saddle", "--at=1e300,1e300")
    assert code == 2 and "not finite" in err and "value: nan" not in out


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # matplotlib ticks at ~1e308
def test_nonfinite_deltas_are_counted_not_classified(tmp_path, cli):
    out = tmp_path / "E"  # θ0 finite, θ0 ± αd overflows in −x² for many directions: Δ is NaN/inf
    code, stdout, err = cli("perturb", "--env", "toy/flat-max", "--at=1e154,0", "--alpha", "1e154",
                            "--directions", 10, "--out", out, "--no-progress")
    assert code == 0, err
    table = RunDir(out).read_csv("perturbations.csv")
    bad = ~(np.isfinite(table["delta_plus"]) & np.isfinite(table["delta_minus"]))
    assert bad.any()
    assert list(table["class"][bad]) == [pert.NONFINITE] * bad.sum()
    assert pert.NONFINITE not in set(table["class"][~bad])
    assert f"{bad.sum()} (direction, α) pairs have a non-finite" in stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["nonfinite_directions"] == bad.sum()
    assert summary["per_alpha"][0]["classified_directions"] == (~bad).sum()
    fractions = summary["fractions"].values()
    assert sum(fractions) == pytest.approx(1.0 if (~bad).any() else 0.0)  # over the finite directions only
    assert (out / "perturb_scatter.png").exists()  # the plot did not crash


def test_analyse_leaves_nonfinite_directions_out_of_fractions_and_means():
    # θ0 = 0; direction 0: (+1, −1) gradient-dominated; direction 1: NaN; direction 2: (−1, −1) local max
    values = np.array([0.0, 1.0, -1.0, np.nan, 0.5, -1.0, -1.0])
    table, summary = pert.analyse(values, (0.1,), 3)
    assert list(table["class"]) == ["gradient-dominated", pert.NONFINITE, "local maximum"]
    p = summary["per_alpha"][0]
    assert p["fractions"]["gradient-dominated"] == 0.5 and p["fractions"]["local maximum"] == 0.5
    assert p["nonfinite_directions"] == 1 and np.isfinite(p["mean_curvature"])
    with pytest.raises(ValueError, match="not finite"):
        pert.analyse(np.array([np.nan, 1.0, 1.0]), (0.1,), 1)


@pytest.mark.parametrize("alphas", ["0:1:1", "0.25,0.5", "-0.5,0.5,2"])
def test_interpolation_anchors_are_evaluated_not_read_off_the_grid(tmp_path, cli, alphas):
    out = tmp_path / "I"
    code, _, err = cli("interpolate", "--env", "toy/strict-max", "--at=0.5,-0.3", "--to=1,1", "--alphas", alphas,
                       "--out", out, "--no-progress")
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    expected = make_toy("toy/strict-max").evaluate(np.array([[0.5, -0.3], [1.0, 1.0]]))["value"]
    np.testing.assert_allclose(summary["variants"]["τ=0"]["value_at_anchors"], expected, rtol=0, atol=0)


def test_grad_and_hessian_of_a_batch_are_per_row():
    objective = make_toy("toy/strict-max")
    thetas = np.array([[0.5, -0.3], [1.0, 1.0], [-2.0, 0.25]])
    g, H = objective.grad(thetas), objective.hessian(thetas)
    assert g.shape == (3, 2) and H.shape == (3, 2, 2)
    for b in range(3):
        np.testing.assert_allclose(g[b], objective.grad(thetas[b]), rtol=1e-12)
        np.testing.assert_allclose(H[b], objective.hessian(thetas[b]), rtol=1e-12)
    assert objective.grad(thetas[0]).shape == (2,) and objective.hessian(thetas[0]).shape == (2, 2)
