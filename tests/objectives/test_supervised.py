"""Logistic regression on digits: an independent numpy reference, finite differences, the solution."""

import numpy as np
import pytest
from scipy.special import logsumexp

from policyscape.errors import InputError
from policyscape.objectives.supervised import DigitsLogReg, digits_data

ALPHA = 0.1  # the paper's α for the method illustrations


@pytest.fixture(scope="module")
def objective():
    return DigitsLogReg()


@pytest.fixture(scope="module")
def solution(objective):
    return objective.solve()


def unit_directions(n, count, seed):
    d = np.random.default_rng(seed).standard_normal((count, n))
    return d / np.linalg.norm(d, axis=1, keepdims=True)


def reference_value(theta, l2):
    """−mean CE − (λ/2)‖θ‖² in numpy, with the documented layout W [10, 64] row-major, then b."""
    X, labels = digits_data()
    W, b = theta[:640].reshape(10, 64), theta[640:]
    logits = X @ W.T + b
    ce = np.mean(logsumexp(logits, axis=1) - logits[np.arange(len(labels)), labels])
    return -ce - 0.5 * l2 * theta @ theta


def test_data_and_layout(objective):
    X, labels = digits_data()
    assert X.shape == (1797, 64) and 0.0 <= X.min() and X.max() == 1.0
    assert set(np.unique(labels)) == set(range(10))
    assert objective.num_params == 650 and objective.name == "supervised/digits-logreg"
    theta = objective.initial_params(7, scale=1.0)
    W, b = objective.unflatten(theta)
    assert W.shape == (10, 64) and W[3, 5] == theta[3 * 64 + 5] and b[2] == theta[642]
    np.testing.assert_array_equal(objective.flatten(W, b), theta)


def test_value_matches_numpy_reference(objective):
    thetas = np.stack([objective.initial_params(s, scale=0.5) for s in range(3)] + [np.zeros(650)])
    out = objective.evaluate(thetas)
    expected = [reference_value(t, objective.l2) for t in thetas]
    np.testing.assert_allclose(out["value"], expected, rtol=1e-13)
    assert out["value"][-1] == pytest.approx(-np.log(10), rel=1e-14)
    assert out["accuracy"].dtype == np.float64


def test_grad_matches_central_differences(objective):
    theta = objective.initial_params(1, scale=0.3)
    coords = [0, 5, 100, 333, 639, 640, 649]
    h = 1e-5
    steps = h * np.eye(650)[coords]
    values = objective.evaluate(np.concatenate([theta + steps, theta - steps]))["value"]
    fd = (values[: len(coords)] - values[len(coords) :]) / (2 * h)
    np.testing.assert_allclose(objective.grad(theta)[coords], fd, rtol=1e-6, atol=1e-9)


def test_closed_form_hessian_matches_autodiff(objective):
    theta = objective.initial_params(2, scale=1.0)
    H = objective.exact_hessian(theta)
    np.testing.assert_allclose(H, objective.hessian(theta), atol=1e-14)
    v = unit_directions(650, 1, 3)[0]
    np.testing.assert_allclose(objective.hvp(theta, v), H @ v, atol=1e-14)


def test_solution_is_the_strict_maximum(objective, solution):
    assert np.linalg.norm(objective.grad(solution)) < 1e-9
    eigenvalues = np.linalg.eigvalsh(objective.exact_hessian(solution))
    assert eigenvalues.max() < 0  # ∇²J ⪯ −λ I: a maximum of J, a minimum of the loss
    assert eigenvalues.max() == pytest.approx(-objective.l2, rel=1e-6)  # pixels that are always 0
    # the paired perturbation scatter at θ*: every pair in the "both worse" quadrant
    d = unit_directions(650, 100, 4)
    values = objective.evaluate(np.concatenate([solution[None], solution + ALPHA * d, solution - ALPHA * d]))
    plus, minus = values["value"][1:101] - values["value"][0], values["value"][101:] - values["value"][0]
    assert np.all(plus < 0) and np.all(minus < 0)
    assert values["accuracy"][0] > 0.95


def test_solve_is_independent_of_the_start(objective, solution):
    again = objective.solve(theta0=objective.initial_params(0, scale=0.1))
    np.testing.assert_allclose(again, solution, atol=1e-7)


def test_initializer_scatter_looks_linear(objective):
    """At the initializer |α ∇J·d| ≫ |α² dᵀHd / 2| for most unit d, so Δ+ ≈ −Δ−."""
    theta0 = objective.initial_params(0)
    grad, H = objective.grad(theta0), objective.exact_hessian(theta0)
    d = unit_directions(650, 100, 5)
    first = np.abs(ALPHA * d @ grad)
    second = np.abs(ALPHA**2 * np.einsum("bi,ij,bj->b", d, H, d) / 2)
    assert np.median(first / second) > 5  # about 10 with these seeds
    assert np.mean(first > second) > 0.85  # about 0.95
    # the actual scatter: Δ+ and Δ− of opposite signs (the x = −y diagonal) for most d
    values = objective.evaluate(np.concatenate([theta0[None], theta0 + ALPHA * d, theta0 - ALPHA * d]))["value"]
    plus, minus = values[1:101] - values[0], values[101:] - values[0]
    assert np.mean(np.sign(plus) != np.sign(minus)) > 0.85


def test_initial_params_are_seeded(objective):
    a, b = objective.initial_params(0), objective.initial_params(0)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, objective.initial_params(1))
    assert a.shape == (650,) and 0.008 < a.std() < 0.012


def test_bad_input(objective):
    with pytest.raises(InputError, match="seed"):
        objective.initial_params(-1)
    with pytest.raises(InputError, match="l2"):
        DigitsLogReg(l2=0.0)
    with pytest.raises(InputError, match="length 650"):
        objective.evaluate(np.zeros(64))
    with pytest.raises(InputError, match="tol"):
        objective.solve(tol=-1.0)
