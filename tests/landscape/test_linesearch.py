"""Gradient line search: values along θ0 + η∇O against closed forms, the cliff detector on a function with a
known cliff, the initial slope against ‖∇O‖² from the values themselves, and the command."""

import jax
import numpy as np
import pytest

from policyscape.errors import InputError
from policyscape.files import SavedRun
from policyscape.landscape.linesearch import analyse, parse_steps
from policyscape.objectives.base import JaxObjective
from policyscape.objectives.registry import Sampling, make_objective
from policyscape.objectives.toy import make_toy
from policyscape.runs.beyond import run_linesearch
from policyscape.runs.landscape import Point

GRID = "policyscape/SymmetricGridworld-v0"


class Cliff(JaxObjective):
    """J(x) = x − 10·sigmoid(200(x − 1)): rises with slope 1, then falls by 10 within ~0.05 around x = 1."""

    name = "cliff"

    @property
    def num_params(self) -> int:
        return 1

    def value_fn(self, theta: jax.Array) -> jax.Array:
        return theta[0] - 10.0 * jax.nn.sigmoid(200.0 * (theta[0] - 1.0))


def test_parse_steps():
    np.testing.assert_allclose(parse_steps("log:1e-3:1e1:5"), [1e-3, 1e-2, 1e-1, 1, 10])
    np.testing.assert_allclose(parse_steps("0:1:3"), [0, 0.5, 1])
    np.testing.assert_allclose(parse_steps("1,0.5"), [0.5, 1])
    for bad, match in [("1,0.5,0.5", "distinct"), ("log:0:1:5", "0 < lo < hi"), ("log:a:1:5", "log:lo:hi:num"), ("-1,1", ">= 0"), ("1", "two")]:
        with pytest.raises(InputError, match=match):
            parse_steps(bad)


def test_strict_max_line_matches_the_closed_form(tmp_path):
    # J = −x² − 2y² at (1, 1): ∇J = (−2, −4), θ(η) = (1 − 2η, 1 − 4η) (not normalized: η a learning rate),
    # J(η) = −(1 − 2η)² − 2(1 − 4η)²: the exact maximum at η = 20/72, worse than J(θ0) = −3 from η = 20/36 on,
    # slope at 0 = ‖∇J‖² = 20.
    toy = make_toy("toy/strict-max")
    s = run_linesearch(toy, Point(np.array([1.0, 1.0]), "(1,1)"), tmp_path / "l", "toy/strict-max", {},
                       parse_steps("0.05:1:20"), normalize=False, show_progress=False)
    table = SavedRun(tmp_path / "l").read_csv("linesearch.csv")
    eta = table["step"]
    assert eta[0] == 0.0 and eta.size == 21  # η = 0 added
    np.testing.assert_allclose(table["value"], -(1 - 2 * eta) ** 2 - 2 * (1 - 4 * eta) ** 2, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(table["first_order"], -3 + 20 * eta, rtol=1e-12)
    np.testing.assert_allclose(table["distance"], eta * np.sqrt(20), rtol=1e-12)
    assert s["initial_slope"] == pytest.approx(20.0)
    assert s["best_step"] == pytest.approx(0.3) and s["best_value"] == pytest.approx(-0.24)
    assert s["overshoot_step"] == pytest.approx(0.6)  # first grid step beyond 5/9
    assert s["largest_improving_step"] == pytest.approx(0.55)  # last grid step before 5/9


def test_normalized_line_and_the_cliff_rule_on_the_parabola(tmp_path):
    # d = ∇J/‖∇J‖ = −(1, 2)/√5, a = η/√5: J = −(1 − a)² − 2(1 − 2a)², maximal at a = 5/9, below −3 beyond a = 10/9.
    toy = make_toy("toy/strict-max")
    s = run_linesearch(toy, Point(np.array([1.0, 1.0]), "(1,1)"), tmp_path / "n", "toy/strict-max", {},
                       parse_steps("0:3:61"), show_progress=False)
    table = SavedRun(tmp_path / "n").read_csv("linesearch.csv")
    a = table["step"] / np.sqrt(5)
    J = -(1 - a) ** 2 - 2 * (1 - 2 * a) ** 2
    np.testing.assert_allclose(table["value"], J, rtol=1e-12, atol=1e-12)
    assert s["initial_slope"] == pytest.approx(np.sqrt(20.0))
    assert s["best_step"] == pytest.approx(1.25)  # the grid step nearest 5√5/9 = 1.242
    assert s["overshoot_step"] == pytest.approx(2.5) and s["largest_improving_step"] == pytest.approx(2.45)  # 10√5/9
    # the rule: falls of more than 10% of |J(θ0)| = 0.3 between neighbouring steps (0.05 apart)
    falls = J[:-1] - J[1:]
    expected = [(table["step"][k], table["step"][k + 1]) for k in np.flatnonzero(falls > 0.3)]
    assert [(c["step_before"], c["step_after"]) for c in s["cliffs"]] == expected
    assert expected and expected[0][0] > 2.5  # only far out, where the parabola is steep


def test_cliff_is_found_where_the_function_falls(tmp_path):
    # from x = 0.5 (J = 0.5) along +x: J rises with slope 1 to 0.9 at x = 0.9, then falls by ~10 around x = 1
    s = run_linesearch(Cliff(), Point(np.array([0.5]), "0.5"), tmp_path / "c", "cliff", {}, parse_steps("0:1:11"),
                       show_progress=False)
    assert s["initial_slope"] == pytest.approx(1.0, rel=1e-9)
    assert s["best_step"] == pytest.approx(0.4) and s["largest_improving_step"] == pytest.approx(0.4)
    # the fall of 10 is split between the grid intervals [0.4, 0.5] and [0.5, 0.6] (sigmoid(0) = 1/2 at x = 1)
    assert [(c["step_before"], c["step_after"]) for c in s["cliffs"]] == [pytest.approx((0.4, 0.5)),
                                                                            pytest.approx((0.5, 0.6))]
    assert s["cliffs"][0]["drop"] == pytest.approx(0.9 - (1.0 - 5.0), rel=1e-6)
    assert s["cliffs"][0]["slope_in_initial_slopes"] == pytest.approx(-49.0, rel=1e-5)
    assert s["overshoot_step"] == pytest.approx(0.5)
    assert s["first_order"]["valid_up_to_step"] == pytest.approx(0.4)


def test_analyse_without_a_gradient_and_on_a_flat_line():
    s = analyse(np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 1.0]), 1.0, None)
    assert s["cliffs"] == [] and s["overshoot_step"] is None and "first_order" not in s
    assert s["largest_improving_step"] is None
    # a fall of 0.5 (50% of |O(θ0)|) is a cliff without noise, not with standard errors of 0.3 (2·√0.18 = 0.85)
    steps, values = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.2, 0.7])
    assert len(analyse(steps, values, 1.0, None)["cliffs"]) == 1
    noisy = analyse(steps, values, 1.0, None, stderr=np.full(3, 0.3))
    assert noisy["cliffs"] == [] and noisy["largest_improving_step"] is None  # 0.2 is within the noise
    with pytest.raises(InputError, match="cliff_fraction"):
        analyse(np.array([0.0, 1.0]), np.array([1.0, 0.0]), 1.0, None, cliff_fraction=1.5)


def test_gridworld_initial_slope_equals_the_gradient_norm_squared(tmp_path):
    # Cross-check: the slope of the measured values at small η against ‖∇O‖² from autodiff, and a finite-difference
    # gradient of evaluate() against the exact one along the searched direction.
    objective = make_objective(GRID)
    theta0 = objective.policy.initial_params(seed=3, num_seeds=1, scale=1.0)[0]
    s = run_linesearch(objective, Point(theta0, "init"), tmp_path / "g", GRID, {}, parse_steps("1e-5,1"),
                       normalize=False, show_progress=False)
    table = SavedRun(tmp_path / "g").read_csv("linesearch.csv")
    measured_slope = (table["value"][1] - table["value"][0]) / 1e-5
    g = objective.grad(theta0)
    assert s["initial_slope"] == pytest.approx(float(g @ g), rel=1e-12)
    assert measured_slope == pytest.approx(float(g @ g), rel=1e-3)
    h = 1e-6 * g / np.linalg.norm(g)
    v = objective.evaluate(np.stack([theta0 + h, theta0 - h]))["value"]
    assert (v[0] - v[1]) / 2e-6 == pytest.approx(float(np.linalg.norm(g)), rel=1e-6)


def test_linesearch_command_draws_and_redraws(tmp_path, capsys):
    from policyscape.cli import main

    out = tmp_path / "ls"
    assert main(["linesearch", "--env", "toy/strict-max", "--at", "1,1", "--steps", "0:1:11", "--no-normalize",
                 "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "best η 0.3" in printed and (out / "linesearch.png").exists()
    (out / "linesearch.png").unlink()
    assert main(["plot", str(out)]) == 0
    assert (out / "linesearch.png").exists()
    np.save(tmp_path / "d.npy", np.array([1.0, 0.0]))
    assert main(["linesearch", "--env", "toy/strict-max", "--at", "1,1", "--direction", str(tmp_path / "d.npy"),
                 "--steps", "0:2:5", "--out", str(tmp_path / "d"), "--no-progress"]) == 0
    assert SavedRun(tmp_path / "d").read_json("summary.json")["best_step"] == 0.0  # +x only lowers −x² from x = 1
    assert main(["linesearch", "--env", "toy/strict-max", "--at", "1,1", "--steps", "log:1:0:3",
                 "--out", str(tmp_path / "bad")]) == 2
    assert not (tmp_path / "bad").exists()


def test_sampled_line_searches_along_the_reinforce_estimate(tmp_path):
    # Cross-check on the gridworld: the REINFORCE direction points where the exact gradient points (cosine > 0.9
    # with 256 episodes), and the sampled values along it agree with the exact objective within 4 standard errors.
    exact = make_objective(GRID)
    sampled = make_objective(GRID, sampling=Sampling(episodes=64))
    theta0 = exact.policy.initial_params(seed=3, num_seeds=1, scale=1.0)[0]
    s = run_linesearch(sampled, Point(theta0, "init"), tmp_path / "s", GRID, {}, parse_steps("0:2:3"),
                       show_progress=False)
    d = np.load(tmp_path / "s" / "direction.npy")
    g = exact.grad(theta0)
    assert s["direction"] == "reinforce" and np.linalg.norm(d) == pytest.approx(1.0)
    assert float(d @ g) / np.linalg.norm(g) > 0.9
    assert (tmp_path / "s" / "gradient_stderr.npy").exists() and s["reinforce_estimate"]["stderr_norm"] > 0
    table = SavedRun(tmp_path / "s").read_csv("linesearch.csv")
    truth = exact.evaluate(theta0[None] + table["step"][:, None] * d[None])["return"]
    assert np.all(np.abs(table["discounted_return"] - truth) < 4 * table["discounted_stderr"])


