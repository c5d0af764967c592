"""Trajectory plane: PCA recovers a known plane, the grid is the exact function on the toy quadratic, and on an
exact gridworld run the value at every checkpoint equals the value the training loop recorded."""

import numpy as np
import pytest

from policyscape.errors import InputError
from policyscape.files import SavedRun
from policyscape.landscape.trajectory import grid_axes, pca_plane
from policyscape.objectives.toy import make_toy
from policyscape.runs.beyond import run_trajectory_plane
from policyscape.runs.landscape import Point


def test_pca_recovers_a_plane_the_trajectory_lies_in():
    rng = np.random.default_rng(0)
    basis, _ = np.linalg.qr(rng.standard_normal((6, 2)))  # orthonormal e1, e2 in R^6
    center = rng.standard_normal(6)
    t = np.linspace(0, 1, 9)
    ab = np.stack([-3 * (1 - t), np.sin(3 * t) - np.sin(3)], axis=1)  # ends at (0, 0): the centre
    thetas = center + ab @ basis.T
    p = pca_plane(thetas, center)
    np.testing.assert_allclose(p["residual"], 0, atol=1e-12)
    assert p["explained"].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(center + p["coords"] @ p["directions"], thetas, atol=1e-12)  # projections reproduce θ_t
    np.testing.assert_allclose(p["directions"] @ p["directions"].T, np.eye(2), atol=1e-12)
    assert np.all(p["coords"][0] <= 0)  # the sign convention: training moves towards +u, +v
    # the spanned plane is the one of e1, e2
    np.testing.assert_allclose(np.abs(np.linalg.svd(basis.T @ p["directions"].T)[1]), 1.0, atol=1e-12)
    u, v = grid_axes(p["coords"], 5, 0.1)
    assert u[0] < p["coords"][:, 0].min() and u[-1] >= 0 and v[0] <= p["coords"][:, 1].min()
    with pytest.raises(InputError, match="line"):
        pca_plane(np.outer(np.arange(4.0), np.ones(6)), np.zeros(6))
    with pytest.raises(InputError, match="three"):
        pca_plane(thetas[:2], center)


def test_toy_quadratic_plane_is_the_exact_function(tmp_path):
    # gradient ascent on J = −x² − 2y² from (1, 1), lr 0.1: x shrinks by 0.8, y by 0.6 per step (a curved path in R²)
    toy = make_toy("toy/strict-max")
    thetas = [np.array([0.8**k, 0.6**k]) for k in range(8)]
    s = run_trajectory_plane(toy, [Point(t, f"step {k}") for k, t in enumerate(thetas)], tmp_path / "t",
                             "toy/strict-max", {}, grid=9, show_progress=False)
    run = SavedRun(tmp_path / "t")
    plane, path = run.read_csv("plane.csv"), run.read_csv("trajectory.csv")
    d1, d2 = np.load(tmp_path / "t" / "directions.npy")
    xy = thetas[-1] + plane["u"][:, None] * d1 + plane["v"][:, None] * d2
    np.testing.assert_allclose(plane["value"], -xy[:, 0] ** 2 - 2 * xy[:, 1] ** 2, rtol=1e-12, atol=1e-15)
    T = np.stack(thetas)
    np.testing.assert_allclose(path["value"], -T[:, 0] ** 2 - 2 * T[:, 1] ** 2, rtol=1e-12)
    np.testing.assert_allclose(path["residual"], 0, atol=1e-12)  # n = 2: the plane is all of R²
    assert sum(s["explained_variance"]) == pytest.approx(1.0)
    assert s["value_end"] == pytest.approx(-(0.8**14) - 2 * 0.6**14)
    assert s["plane_max"] <= 0.0


def test_gridworld_run_checkpoints_match_the_training_curve(tmp_path, capsys):
    from policyscape.cli import main

    train = tmp_path / "train"
    assert main(["train", "--exact", "--seeds", "2", "--updates", "60", "--checkpoint-every", "10", "--lr", "0.5",
                 "--out", str(train), "--no-progress"]) == 0
    out = tmp_path / "traj"
    assert main(["trajectory", "--run", str(train), "--seed-index", "1", "--grid", "7", "--out", str(out),
                 "--no-progress"]) == 0
    assert "checkpoints; the plane holds" in capsys.readouterr().out
    path = SavedRun(out).read_csv("trajectory.csv")
    curves = SavedRun(train).read_csv("curves.csv")
    recorded = {int(u): v for u, k, v in zip(curves["update"], curves["seed"], curves["value"]) if k == 1}
    # the landscape's evaluation of each checkpoint equals the training loop's own value at that update
    np.testing.assert_allclose(path["value"], [recorded[u] for u in range(0, 61, 10)], rtol=1e-9)
    s = SavedRun(out).read_json("summary.json")
    assert len(s["points"]) == 7 and s["explained_variance"][0] > s["explained_variance"][1] > 0
    assert s["value_end"] > s["value_start"]
    (out / "trajectory_plane.png").unlink()
    assert main(["plot", str(out)]) == 0 and (out / "trajectory_plane.png").exists()
    assert main(["trajectory", "--run", str(tmp_path), "--out", str(tmp_path / "bad")]) == 2  # no checkpoints
    assert not (tmp_path / "bad").exists()


def test_reinforce_run_on_a_sampled_objective(tmp_path):
    from policyscape.cli import main
    from policyscape.objectives.registry import Sampling, make_objective
    from policyscape.runs.beyond import trajectory_from_run

    train = tmp_path / "rf"
    assert main(["train", "--env", "CartPole-v1", "--updates", "10", "--eval-every", "5", "--batch-episodes", "4",
                 "--seeds", "1", "--lr", "0.05", "--out", str(train), "--no-progress"]) == 0
    out = tmp_path / "traj"
    trajectory = trajectory_from_run(train, 0)
    # three checkpoints (updates 0, 5, 10); the first is zeros, so the plane is centred on the last
    assert main(["trajectory", "--run", str(train), "--grid", "3", "--episodes", "3", "--out", str(out),
                 "--no-progress"]) == 0
    path = SavedRun(out).read_csv("trajectory.csv")
    objective = make_objective("CartPole-v1", sampling=Sampling(episodes=3))
    expected = objective.evaluate(np.stack([p.theta for p in trajectory]))["value"]  # CRN: values depend on (seed, θ)
    np.testing.assert_array_equal(path["value"], expected)
    assert np.all(path["value_stderr"] >= 0)
