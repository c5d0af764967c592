"""The 2-D toy objectives against their formulas and hand-derived gradients and Hessians."""

import numpy as np
import pytest

from policyscape.errors import InputError
from policyscape.objectives.toy import TOY_OBJECTIVES, TOY_POINTS, make_toy

# Written out again here, independently of the module, in numpy.
FORMULAS = {
    "toy/strict-max": lambda x, y: -(x**2) - 2 * y**2,
    "toy/flat-max": lambda x, y: -(x**2) + 0 * y,
    "toy/saddle": lambda x, y: -2 * x**2 + 2 * y**2,
    "toy/linear": lambda x, y: -2 * x + 2 * y,
    "toy/goodfellow": lambda x, y: -((1 - x * y) ** 2),
}
POINTS = np.array([[0.0, 0.0], [0.1, 0.0], [1.0, 1.0], [-2.0, -0.5], [0.3, -1.7], [2.5, 0.4]])


def test_registry_has_the_paper_functions():
    assert sorted(TOY_OBJECTIVES) == sorted(FORMULAS)
    for toy_id, objective in TOY_OBJECTIVES.items():
        assert objective.name == toy_id and objective.num_params == 2
        assert make_toy(toy_id) is objective


@pytest.mark.parametrize("toy_id", sorted(FORMULAS))
def test_values_match_formulas(toy_id):
    values = make_toy(toy_id).evaluate(POINTS)["value"]
    assert values.shape == (len(POINTS),) and values.dtype == np.float64
    np.testing.assert_allclose(values, FORMULAS[toy_id](POINTS[:, 0], POINTS[:, 1]), rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("toy_id", sorted(FORMULAS))
def test_autodiff_matches_closed_forms(toy_id):
    objective = make_toy(toy_id)
    f = FORMULAS[toy_id]
    h = 1e-5
    for theta in POINTS:
        grad = objective.grad(theta)
        np.testing.assert_allclose(grad, objective.exact_grad(theta), rtol=1e-14, atol=1e-14)
        fd = [(f(*(theta + h * e)) - f(*(theta - h * e))) / (2 * h) for e in np.eye(2)]
        np.testing.assert_allclose(grad, fd, atol=1e-8)
        hess = objective.hessian(theta)
        np.testing.assert_allclose(hess, objective.exact_hessian(theta), rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(hess, hess.T)
        v = np.array([0.7, -1.3])
        np.testing.assert_allclose(objective.hvp(theta, v), hess @ v, rtol=1e-14, atol=1e-14)


def test_critical_points_have_the_paper_character():
    origin = TOY_POINTS["origin"]
    eig = {toy_id: np.linalg.eigvalsh(make_toy(toy_id).exact_hessian(origin)) for toy_id in FORMULAS}
    assert np.all(eig["toy/strict-max"] < 0)
    np.testing.assert_allclose(eig["toy/flat-max"], [-2.0, 0.0])
    np.testing.assert_allclose(eig["toy/saddle"], [-4.0, 4.0])
    np.testing.assert_allclose(eig["toy/goodfellow"], [-2.0, 2.0])  # saddle at the origin
    np.testing.assert_allclose(make_toy("toy/goodfellow").grad(TOY_POINTS["goodfellow-saddle"]), [0.0, 0.0])
    np.testing.assert_allclose(make_toy("toy/strict-max").grad(TOY_POINTS["near-optimum"]), [-0.2, 0.0])


def test_goodfellow_endpoints_are_optima_with_a_barrier_between():
    goodfellow = make_toy("toy/goodfellow")
    start, end = np.array(TOY_POINTS["goodfellow-start"]), np.array(TOY_POINTS["goodfellow-end"])
    optimum = np.array(TOY_POINTS["goodfellow-optimum"])
    ends = goodfellow.evaluate(np.stack([start, end, optimum]))["value"]
    np.testing.assert_allclose(ends, 0.0, atol=1e-15)  # all on xy = 1
    for point in (start, end, optimum):
        np.testing.assert_allclose(goodfellow.grad(point), 0.0, atol=1e-15)
    alphas = np.linspace(0.0, 1.0, 11)
    line = goodfellow.evaluate((1 - alphas)[:, None] * start + alphas[:, None] * end)["value"]
    assert line[5] == pytest.approx(-((1 - 1.25**2) ** 2))  # midpoint (−1.25, −1.25)
    assert np.all(line[1:-1] < 0)


def test_unknown_id_names_close_matches():
    with pytest.raises(InputError, match=r"'toy/sadle'.*'toy/saddle'.*known toy ids"):
        make_toy("toy/sadle")
    with pytest.raises(InputError, match="known toy ids: toy/flat-max"):
        make_toy("cartpole")
    with pytest.raises(InputError, match="unknown toy objective id 3"):
        make_toy(3)


def test_bad_theta_is_rejected():
    with pytest.raises(InputError, match="length 2"):
        make_toy("toy/saddle").evaluate(np.zeros((4, 3)))
    with pytest.raises(InputError, match="finite"):
        make_toy("toy/saddle").exact_hessian([np.nan, 0.0])
