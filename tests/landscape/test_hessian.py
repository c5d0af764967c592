"""Hessian spectra against dense eigensolvers, finite differences and closed-form moments."""

import json
import math

import numpy as np
import pytest

from policyscape.envs.gridworlds import symmetric_gridworld
from policyscape.errors import InputError
from policyscape.landscape.hessian import (
    dense_spectral_density,
    dense_spectrum,
    density_grid,
    expected_random_curvature,
    extreme_eigenvalues,
    hessian_spectrum,
    hutchinson_trace,
    lanczos,
    random_curvature_std,
    random_direction_curvatures,
    ritz,
    spectral_density,
)
from policyscape.objectives.exact import ExactObjective


def integrate(x, y):
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))


@pytest.fixture(scope="module")
def grid_case():
    """The paper's gridworld with τ = 0.01 at a random θ (init scale 1.0): objective, θ, dense H, eigenvalues."""
    objective = ExactObjective(symmetric_gridworld(), entropy=0.01)
    theta = objective.policy.initial_params(seed=3, num_seeds=1, scale=1.0)[0]
    H = objective.hessian(theta)
    return objective, theta, H, dense_spectrum(H)


@pytest.fixture(scope="module")
def known_matrix():
    """H = Q diag(λ) Qᵀ, n = 300, with a bulk in [−1, 2] and outliers −6, −4, 9, 12."""
    rng = np.random.default_rng(0)
    n = 300
    lam = np.concatenate([rng.uniform(-1.0, 2.0, n - 4), [-6.0, -4.0, 9.0, 12.0]])
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    H = (Q * lam) @ Q.T
    return 0.5 * (H + H.T), np.sort(lam)


def test_dense_spectrum_matches_finite_difference_hessian(grid_case):
    objective, theta, _, eigenvalues = grid_case
    n, h = objective.num_params, 1e-5
    fd = np.empty((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = h
        fd[:, i] = (objective.grad(theta + e) - objective.grad(theta - e)) / (2 * h)
    reference = np.linalg.eigvalsh(0.5 * (fd + fd.T))
    scale = np.abs(eigenvalues).max()
    assert scale > 0.1  # a non-trivial Hessian
    np.testing.assert_allclose(eigenvalues, reference, rtol=0, atol=1e-5 * scale)
    assert np.all(np.diff(eigenvalues) >= 0)


def test_lanczos_extremes_match_dense_on_gridworld(grid_case):
    objective, theta, _, eigenvalues = grid_case
    n = objective.num_params
    for num_steps in (60, n):
        smallest, largest = extreme_eigenvalues(lambda v: objective.hvp(theta, v), n, k=3, num_steps=num_steps, seed=1)
        scale = np.abs(eigenvalues).max()
        np.testing.assert_allclose(smallest, eigenvalues[:3], rtol=0, atol=1e-8 * scale)
        np.testing.assert_allclose(largest, eigenvalues[::-1][:3], rtol=0, atol=1e-8 * scale)


def test_lanczos_tridiagonal_and_breakdown(grid_case):
    """With num_steps = n the Ritz values are the whole spectrum (the 0 eigenvalue, of multiplicity
    ≥ 26 from the per-state softmax shift invariance, is recovered through restarts);
    without restarts Lanczos stops at the number of distinct eigenvalues + 0."""
    objective, theta, H, eigenvalues = grid_case
    n = objective.num_params
    scale = np.abs(eigenvalues).max()
    alphas, betas = lanczos(lambda v: H @ v, n, n, seed=4)
    assert alphas.shape == (n,) and betas.shape == (n - 1,)
    assert np.sum(betas == 0) >= 1  # at least one restart
    values, weights = ritz((alphas, betas))
    np.testing.assert_allclose(values, eigenvalues, rtol=0, atol=1e-10 * scale)
    assert math.isclose(weights.sum(), 1.0, rel_tol=1e-12)

    truncated = lanczos(lambda v: H @ v, n, n, seed=4, restart=False)
    assert truncated.alphas.shape[0] < n
    assert np.all(truncated.betas > 0)


def test_lanczos_on_known_spectrum(known_matrix):
    H, lam = known_matrix
    n = lam.size
    smallest, largest = extreme_eigenvalues(lambda v: H @ v, n, k=2, num_steps=60, seed=0)
    np.testing.assert_allclose(smallest, [-6.0, -4.0], atol=1e-8)
    np.testing.assert_allclose(largest, [12.0, 9.0], atol=1e-8)
    # fully run, every eigenvalue comes back (all distinct here)
    values, _ = ritz(lanczos(lambda v: H @ v, n, n, seed=1))
    np.testing.assert_allclose(values, lam, atol=1e-9)


def test_slq_density_on_known_spectrum(known_matrix):
    H, lam = known_matrix
    n = lam.size
    grid, sigma = density_grid(lam[0], lam[-1], sigma=0.3, grid_size=2000)
    slq = spectral_density(lambda v: H @ v, n, num_vectors=20, num_steps=40, seed=0, grid=grid, sigma=sigma)
    exact = dense_spectral_density(lam, grid=grid, sigma=sigma)
    assert np.array_equal(slq.grid, grid)
    assert integrate(grid, slq.density) == pytest.approx(1.0, abs=1e-6)
    assert integrate(grid, exact.density) == pytest.approx(1.0, abs=1e-6)
    # mean of the SLQ density = average of v'Hv over unit random v: tr/n ± a few standard errors
    mean = integrate(grid, grid * slq.density)
    se = random_curvature_std(np.sum(lam**2), lam.sum(), n) / math.sqrt(20)
    assert abs(mean - lam.mean()) < 4 * se
    # the broadened curves agree in L1 up to the Monte Carlo error of 20 start vectors
    assert integrate(grid, np.abs(slq.density - exact.density)) < 0.1
    # default grid: covers the Ritz range and still integrates to 1
    default = spectral_density(lambda v: H @ v, n, num_vectors=2, num_steps=30, seed=1)
    assert default.grid[0] < -6.0 and default.grid[-1] > 12.0
    assert integrate(*default) == pytest.approx(1.0, abs=1e-6)


def test_random_direction_curvatures_concentrate_at_mean_eigenvalue(grid_case):
    objective, theta, H, eigenvalues = grid_case
    n, N = objective.num_params, 2000
    directions = np.random.default_rng(7).standard_normal((N, n))
    curvatures = random_direction_curvatures(H, directions)
    trace, frobenius_sq = float(np.trace(H)), float(np.sum(H * H))
    mean, std = expected_random_curvature(trace, n), random_curvature_std(frobenius_sq, trace, n)
    assert abs(curvatures.mean() - mean) < 4 * std / math.sqrt(N)
    assert curvatures.std() == pytest.approx(std, rel=0.1)
    # concentrated: a band far narrower than the eigenvalue range, which holds outliers it never reaches
    eigen_range = eigenvalues[-1] - eigenvalues[0]
    assert std < 0.05 * eigen_range
    assert curvatures.max() - curvatures.min() < 0.5 * eigen_range
    assert curvatures.min() > eigenvalues[0] and curvatures.max() < eigenvalues[-1]
    # the hvp path gives the same numbers (also for unnormalized directions)
    some = directions[:5] * 3.0
    np.testing.assert_allclose(
        random_direction_curvatures(lambda v: objective.hvp(theta, v), some),
        random_direction_curvatures(H, directions[:5]),
        rtol=1e-10,
        atol=1e-14,
    )


def test_hutchinson_trace(grid_case, known_matrix):
    for H in (grid_case[2], known_matrix[0]):
        n = H.shape[0]
        estimate = hutchinson_trace(lambda v: H @ v, n, num_samples=400, seed=2)
        true_sd = math.sqrt(2 * (np.sum(H * H) - np.sum(np.diag(H) ** 2)))
        assert abs(estimate.trace - np.trace(H)) < 4 * true_sd / math.sqrt(400)
        assert estimate.stderr == pytest.approx(true_sd / math.sqrt(400), rel=0.25)
        assert estimate.frobenius_sq == pytest.approx(np.sum(H * H), rel=0.1)


def test_hessian_spectrum_dense_and_lanczos_paths_agree(grid_case):
    objective, theta, _, eigenvalues = grid_case
    n = objective.num_params
    dense = hessian_spectrum(objective, theta, k=3)
    lanczos_path = hessian_spectrum(objective, theta, dense_limit=50, k=3, num_steps=n, num_vectors=4, trace_samples=50)
    json.dumps(dense), json.dumps(lanczos_path)
    assert dense["method"] == "dense" and lanczos_path["method"] == "lanczos"
    assert dense["n"] == lanczos_path["n"] == n
    np.testing.assert_allclose(dense["eigenvalues"], eigenvalues)
    assert lanczos_path["eigenvalues"] is None
    scale = np.abs(eigenvalues).max()
    for key in ("smallest", "largest"):
        np.testing.assert_allclose(dense[key], lanczos_path[key], rtol=0, atol=1e-8 * scale)
    assert abs(lanczos_path["trace"] - dense["trace"]) < 4 * lanczos_path["trace_stderr"]
    assert dense["random_curvature"]["mean"] == pytest.approx(eigenvalues.mean())
    for result in (dense, lanczos_path):
        grid, values = np.array(result["density"]["grid"]), np.array(result["density"]["values"])
        assert integrate(grid, values) == pytest.approx(1.0, abs=1e-3)


def test_input_errors():
    with pytest.raises(InputError, match="square"):
        dense_spectrum(np.ones((2, 3)))
    with pytest.raises(InputError, match="finite"):
        dense_spectrum(np.array([[1.0, np.nan], [np.nan, 1.0]]))
    with pytest.raises(InputError, match="hvp"):
        lanczos(lambda v: v[:2], 3, 2, seed=0)
    with pytest.raises(InputError, match="non-zero"):
        random_direction_curvatures(np.eye(2), np.zeros((1, 2)))
    with pytest.raises(InputError, match="num_samples"):
        hutchinson_trace(lambda v: v, 3, 1, seed=0)


def test_lanczos_edge_cases():
    # H = 0 and n = 1 do not divide by zero; num_steps > n is clipped
    values, weights = ritz(lanczos(lambda v: 0.0 * v, 4, 10, seed=0))
    np.testing.assert_array_equal(values, np.zeros(4))
    values, weights = ritz(lanczos(lambda v: 2.5 * v, 1, 5, seed=0))
    np.testing.assert_allclose(values, [2.5]) and np.testing.assert_allclose(weights, [1.0])
    # identity: breaks down after one step; without restarts T is 1 x 1
    assert lanczos(lambda v: v, 5, 5, seed=0, restart=False).alphas.shape == (1,)
