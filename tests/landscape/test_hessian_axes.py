"""Planes spanned by Hessian eigenvectors (plane --axes hessian…): on a quadratic the plane is the exact
quadratic and the axes are its eigenvectors; Lanczos Ritz vectors agree with the dense eigenvectors; bad
combinations are refused with exit code 2 and nothing written; plot redraws."""

import json

import jax.numpy as jnp
import numpy as np
import pytest

from policyscape.errors import InputError
from policyscape.files import SavedRun
from policyscape.landscape.hessian import hessian_axes
from policyscape.objectives.base import JaxObjective
from policyscape.objectives.registry import Sampling, make_objective
from policyscape.runs.landscape import Point, run_plane

GRID = "policyscape/SymmetricGridworld-v0"
EIGENVALUES = np.array([-3.0, -1.5, -0.2, 0.4, 1.1, 2.5])


class Quadratic(JaxObjective):
    """J(θ) = ½ θᵀAθ + bᵀθ with A symmetric, built in the test from known eigenpairs."""

    name = "test-quadratic"

    def __init__(self, A: np.ndarray, b: np.ndarray) -> None:
        self.A, self.b = A, b

    @property
    def num_params(self) -> int:
        return self.A.shape[0]

    def value_fn(self, theta):
        return 0.5 * theta @ jnp.asarray(self.A) @ theta + jnp.asarray(self.b) @ theta

    def closed_form(self, theta: np.ndarray) -> np.ndarray:
        return 0.5 * np.einsum("bi,ij,bj->b", theta, self.A, theta) + theta @ self.b


@pytest.fixture(scope="module")
def quadratic():
    rng = np.random.default_rng(3)
    Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    A = Q @ np.diag(EIGENVALUES) @ Q.T
    return Quadratic(0.5 * (A + A.T), rng.standard_normal(6)), Q, rng.standard_normal(6)


# which eigenvalue (index into EIGENVALUES, ascending) each choice puts on u and v
CHOICES = {"hessian": (5, 0), "hessian-top": (5, 4), "hessian-bottom": (0, 1)}


@pytest.mark.parametrize("dense_limit", [2000, 0], ids=["dense", "lanczos"])
@pytest.mark.parametrize("axes", list(CHOICES))
def test_quadratic_plane_is_the_exact_quadratic(tmp_path, quadratic, axes, dense_limit):
    objective, Q, theta0 = quadratic
    s = run_plane(objective, Point(theta0, "θ0"), tmp_path / "p", "test", {}, grid=7, span=(-1.5, 2.0),
                  axes=axes, dense_limit=dense_limit, show_progress=False)
    iu, iv = CHOICES[axes]
    assert s["axes"]["method"] == ("dense" if dense_limit else "lanczos")
    np.testing.assert_allclose(s["axes"]["eigenvalues"], EIGENVALUES[[iu, iv]], atol=1e-10)
    assert max(s["axes"]["residuals"]) < 1e-10
    d = np.load(tmp_path / "p" / "directions.npy")
    # the axes are the true eigenvectors, up to sign
    np.testing.assert_allclose(np.abs(d @ Q[:, [iu, iv]]), np.eye(2), atol=1e-10)
    # at every grid point: J(θ0) + u ∇J·x_u + v ∇J·x_v + ½(λ_u u² + λ_v v²), with the true λ and a closed-form ∇J
    table = SavedRun(tmp_path / "p").read_csv("plane.csv")
    u, v = table["u"], table["v"]
    g = objective.A @ theta0 + objective.b
    x_u, x_v = Q[:, iu] * np.sign(Q[:, iu] @ d[0]), Q[:, iv] * np.sign(Q[:, iv] @ d[1])
    expected = (objective.closed_form(theta0[None])[0] + u * (g @ x_u) + v * (g @ x_v)
                + 0.5 * (EIGENVALUES[iu] * u**2 + EIGENVALUES[iv] * v**2))
    assert u.size == 49 and set(np.round(u, 12)) == set(np.round(np.linspace(-1.5, 2.0, 7), 12))
    np.testing.assert_allclose(table["value"], expected, rtol=0, atol=1e-10)
    saved = json.loads((tmp_path / "p" / "axes.json").read_text())
    assert saved["eigenvalues"] == s["axes"]["eigenvalues"]


def test_resumed_run_reads_its_axes_back(tmp_path, quadratic, monkeypatch):
    import policyscape.landscape.hessian as hessian

    objective, _, theta0 = quadratic
    first = run_plane(objective, Point(theta0, "θ0"), tmp_path / "p", "test", {}, grid=5, axes="hessian",
                      show_progress=False)
    table = SavedRun(tmp_path / "p").read_csv("plane.csv")
    # a resumed run uses the saved axes, never a recomputation (which could differ in the last bits)
    monkeypatch.setattr(hessian, "hessian_axes", lambda *a, **k: pytest.fail("the axes were recomputed"))
    (tmp_path / "p" / "summary.json").unlink()
    again = run_plane(objective, Point(theta0, "θ0"), tmp_path / "p", "test", {}, grid=5, axes="hessian",
                      show_progress=False)
    assert again["axes"] == first["axes"]
    np.testing.assert_array_equal(SavedRun(tmp_path / "p").read_csv("plane.csv")["value"], table["value"])
    with pytest.raises(InputError, match="different run"):  # another choice of axes in the same directory
        run_plane(objective, Point(theta0, "θ0"), tmp_path / "p", "test", {}, grid=5, axes="hessian-top",
                  show_progress=False)


def test_lanczos_ritz_vectors_match_dense_eigenvectors_on_the_gridworld():
    objective = make_objective(GRID, entropy=0.01)
    theta = objective.policy.initial_params(seed=2, num_seeds=1, scale=2.0)[0]
    w, Vd = np.linalg.eigh(objective.hessian(theta))
    dense = hessian_axes(objective, theta, "hessian")
    lanczos = hessian_axes(objective, theta, "hessian", dense_limit=0, num_steps=objective.num_params)
    for result in (dense, lanczos):
        np.testing.assert_allclose(result["eigenvalues"], [w[-1], w[0]], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(np.abs(result["vectors"] @ Vd[:, [-1, 0]]), np.eye(2), atol=1e-7)
    np.testing.assert_allclose(lanczos["vectors"], dense["vectors"], atol=1e-7)  # same sign convention


def test_api_refusals(tmp_path, quadratic):
    objective, _, theta0 = quadratic
    sampled = make_objective(GRID, sampling=Sampling(episodes=2))
    theta = np.zeros(sampled.num_params)
    with pytest.raises(InputError, match="differentiable objective"):
        run_plane(sampled, Point(theta, "0"), tmp_path / "s", GRID, {}, axes="hessian", show_progress=False)
    with pytest.raises(InputError, match="--to"):
        run_plane(objective, Point(theta0, "θ0"), tmp_path / "t", "test", {}, axes="hessian",
                  towards=[Point(theta0 + 1, "B"), Point(theta0 - 2 * np.eye(6)[0], "C")], show_progress=False)
    with pytest.raises(InputError, match="axes must be"):
        run_plane(objective, Point(theta0, "θ0"), tmp_path / "t", "test", {}, axes="hessian-middle")
    assert not (tmp_path / "s").exists() and not (tmp_path / "t").exists()


def run_cli(argv, capsys):
    from policyscape.cli import main

    try:
        code = main(argv)
    except SystemExit as e:  # argument parsing errors exit directly
        code = e.code
    return code, capsys.readouterr()


@pytest.mark.parametrize("argv, message", [
    (["--env", "CartPole-v1", "--at", ",".join(["0"] * 10)], "needs Hessian eigenvectors"),
    (["--env", GRID, "--at", "zeros", "--episodes", "4"], "needs Hessian eigenvectors"),
    (["--env", "toy/saddle", "--at=0.5,0.2", "--to", "1,1", "--to", "0,1"], "give one or the other"),
    (["--env", "toy/saddle", "--at=0.5,0.2", "--normalization", "filter"], "drop --normalization"),
    (["--env", "toy/saddle", "--at=0.5,0.2", "--dense-limit", "-1"], "--dense-limit must be >= 0"),
    (["--env", "toy/saddle", "--at=0.5,0.2", "--axes", "random", "--dense-limit", "5"], "applies to --axes hessian"),
    (["--env", "toy/saddle", "--at=0.5,0.2", "--axes", "hessian-sideways"], ""),
])
def test_cli_refuses_bad_combinations_and_writes_nothing(tmp_path, capsys, argv, message):
    if "zeros" in argv:
        np.save(tmp_path / "zeros.npy", np.zeros(make_objective(GRID).num_params))
        argv = [str(tmp_path / "zeros.npy") if a == "zeros" else a for a in argv]
    axes = [] if "--axes" in argv else ["--axes", "hessian"]
    for dry in ([], ["--dry-run"]):
        code, captured = run_cli(["plane", *argv, *axes, *dry, "--grid", "5", "--no-progress", "--out",
                                  str(tmp_path / "out")], capsys)
        assert code == 2, captured.err
        assert message in captured.err
        assert not (tmp_path / "out").exists()


def test_cli_hessian_plane_and_plot_redraws(tmp_path, capsys):
    from policyscape.cli import main

    out = tmp_path / "p"
    # toy/saddle J = −2x² + 2y²: λ_max = 4 along y, λ_min = −4 along x; from (0.5, 0.2) the plane is all of R²
    assert main(["plane", "--env", "toy/saddle", "--at=0.5,0.2", "--axes", "hessian", "--grid", "5",
                 "--no-progress", "--out", str(out)]) == 0
    assert "λ = 4" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["axes"]["eigenvalues"] == pytest.approx([4.0, -4.0], abs=1e-12)
    d = np.load(out / "directions.npy")
    np.testing.assert_allclose(d, [[0.0, 1.0], [1.0, 0.0]], atol=1e-12)  # sign: largest entry positive
    table = SavedRun(out).read_csv("plane.csv")
    x, y = 0.5 + table["v"], 0.2 + table["u"]
    np.testing.assert_allclose(table["value"], -2 * x**2 + 2 * y**2, atol=1e-12)
    (out / "plane.png").unlink()
    assert main(["plot", str(out)]) == 0
    assert (out / "plane.png").is_file()
