"""The exact objective against closed forms, the policy-gradient theorem and finite differences."""

import numpy as np
import pytest

from policyscape.envs.gridworlds import symmetric_gridworld
from policyscape.envs.tabular import TabularMDP
from policyscape.errors import InputError
from policyscape.objectives import reference
from policyscape.objectives.exact import ExactObjective

GAMMA = 0.99


@pytest.fixture(scope="module")
def grid():
    return symmetric_gridworld()


def deterministic_theta(objective, action, logit_gap):
    logits = np.full((objective.mdp.num_states, objective.mdp.num_actions), -logit_gap)
    logits[:, action] = 0.0
    return objective.policy.from_logits(logits)


def test_always_right_is_5_gamma4(grid):
    objective = ExactObjective(grid)
    # leakage e^-50 ≈ 2e-22 is below float64 resolution of the value
    values = objective.evaluate(deterministic_theta(objective, 1, 50.0))
    assert values["return"][0] == pytest.approx(5 * GAMMA**4, rel=1e-14)
    assert values["entropy"][0] == pytest.approx(0.0, abs=1e-18)


def test_softmax_leakage_closed_form(grid):
    """Logits 0 / −20: from each cell of the top row the agent moves right with p = 1/(1 + 3e^−20).

    Going up bumps the wall (stay), going left moves back, going down leaves the row; the
    numpy reference solves the same linear system independently. Also check the leakage
    lowers the value by about what a first-order argument gives.
    """
    objective = ExactObjective(grid)
    theta = deterministic_theta(objective, 1, 20.0)
    value = objective.evaluate(theta)["return"][0]
    assert value == pytest.approx(reference.value(grid, theta), rel=1e-13)
    leak = 3 * np.exp(-20) / (1 + 3 * np.exp(-20))
    assert 0 < 5 * GAMMA**4 - value < 10 * 4 * leak * 5


def test_two_state_mdp_with_entropy_by_hand():
    gamma, tau = 0.9, 0.3
    P = np.zeros((3, 2, 3))
    P[0, 0, 0] = 1.0  # stay, reward 1
    P[0, 1, 1] = 1.0  # move, reward 0
    P[1, :, 2] = 1.0  # state 1: reward 2, then terminal
    P[2, :, 2] = 1.0
    R = np.array([[1.0, 0.0], [2.0, 2.0], [0.0, 0.0]])
    mdp = TabularMDP(P, R, np.array([1.0, 0.0, 0.0]), gamma, terminal=np.array([False, False, True]))
    x, y = 0.4, -1.1  # logits of action 0 in states 0 and 1 (action 1 has logit 0)
    theta = np.zeros(2 * 3 + 2)
    theta[0], theta[1] = x, y
    p, q = 1 / (1 + np.exp(-x)), 1 / (1 + np.exp(-y))
    H = lambda u: -(u * np.log(u) + (1 - u) * np.log(1 - u))  # noqa: E731
    V1 = 2 + tau * H(q)
    V0 = (p + tau * H(p) + (1 - p) * gamma * V1) / (1 - p * gamma)
    values = ExactObjective(mdp, entropy=tau).evaluate(theta)
    assert values["value"][0] == pytest.approx(V0, rel=1e-13)
    ret1 = 2.0
    ret0 = (p + (1 - p) * gamma * ret1) / (1 - p * gamma)
    assert values["return"][0] == pytest.approx(ret0, rel=1e-13)
    assert values["value"][0] == pytest.approx(values["return"][0] + tau * values["entropy"][0], rel=1e-13)


VARIANTS = [(0.0, 0.0), (0.01, 0.0), (0.5, 0.0), (0.0, 0.2), (0.1, 0.3)]


@pytest.mark.parametrize("tau, mix", VARIANTS)
def test_gradient_matches_policy_gradient_theorem(grid, tau, mix):
    objective = ExactObjective(grid, entropy=tau, mix=mix)
    for theta in objective.policy.initial_params(seed=3, num_seeds=3, scale=2.0):
        np.testing.assert_allclose(
            objective.grad(theta), reference.policy_gradient(grid, theta, tau, mix), rtol=1e-10, atol=1e-12
        )


@pytest.mark.parametrize("tau, mix", VARIANTS[:3])
def test_gradient_matches_central_differences(grid, tau, mix):
    objective = ExactObjective(grid, entropy=tau, mix=mix)
    theta = objective.policy.initial_params(seed=5, num_seeds=1, scale=1.0)[0]
    h = 1e-5
    eye = np.eye(objective.num_params)
    plus = objective.evaluate(theta + h * eye)["value"]
    minus = objective.evaluate(theta - h * eye)["value"]
    np.testing.assert_allclose(objective.grad(theta), (plus - minus) / (2 * h), rtol=1e-6, atol=1e-8)


def test_hessian_symmetric_and_matches_differences_of_gradient(grid):
    objective = ExactObjective(grid, entropy=0.01, mix=0.1)
    theta = objective.policy.initial_params(seed=7, num_seeds=1, scale=1.0)[0]
    H = objective.hessian(theta)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    h = 1e-5
    fd = np.stack([(objective.grad(theta + h * e) - objective.grad(theta - h * e)) / (2 * h) for e in np.eye(H.shape[0])])
    np.testing.assert_allclose(H, fd, rtol=1e-5, atol=1e-7)
    v = np.random.default_rng(0).normal(size=H.shape[0])
    np.testing.assert_allclose(objective.hvp(theta, v), H @ v, rtol=1e-10, atol=1e-12)


def test_batched_equals_one_at_a_time(grid):
    objective = ExactObjective(grid, entropy=0.05)
    thetas = objective.policy.initial_params(seed=11, num_seeds=50, scale=3.0)
    batched = objective.evaluate(thetas)
    for i in (0, 17, 49):
        single = objective.evaluate(thetas[i])
        for key in batched:
            assert batched[key][i] == pytest.approx(single[key][0], rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(batched["value"], [reference.value(grid, t, 0.05) for t in thetas], rtol=1e-12)


def test_same_seed_same_init():
    objective = ExactObjective(symmetric_gridworld())
    a = objective.policy.initial_params(seed=4, num_seeds=8)
    b = objective.policy.initial_params(seed=4, num_seeds=3)
    np.testing.assert_array_equal(a[:3], b)  # more seeds extend, not change, a run
    assert np.all(np.abs(a) <= 1 / np.sqrt(26))
    assert not np.array_equal(a, objective.policy.initial_params(seed=5, num_seeds=8))


def test_bad_theta(grid):
    objective = ExactObjective(grid)
    with pytest.raises(InputError, match=r"theta must have length 108.*got shape \(107,\)"):
        objective.evaluate(np.zeros(107))
    theta = np.zeros(108)
    theta[5] = np.nan
    with pytest.raises(InputError, match="theta must be finite, got nan at index 5"):
        objective.evaluate(theta)
    with pytest.raises(InputError, match="entropy"):
        ExactObjective(grid, entropy=-1.0)
    with pytest.raises(InputError, match="mix"):
        ExactObjective(grid, mix=1.5)


def test_large_mdp_uses_lapack_path_and_stays_exact():
    """145 states (> UNROLL_LIMIT): same value and gradient as the numpy reference."""
    mdp = symmetric_gridworld(size=12)
    objective = ExactObjective(mdp, entropy=0.05)
    theta = objective.policy.initial_params(seed=1, num_seeds=1, scale=1.0)[0]
    assert objective.evaluate(theta)["value"][0] == pytest.approx(reference.value(mdp, theta, 0.05), rel=1e-12)
    np.testing.assert_allclose(objective.grad(theta), reference.policy_gradient(mdp, theta, 0.05), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("tau, mix", [(0.0, 0.0), (0.3, 0.0), (0.1, 0.2)])
def test_training_gradient_by_pg_theorem_matches_reference_and_autodiff(grid, tau, mix):
    import jax
    import jax.numpy as jnp

    objective = ExactObjective(grid, entropy=tau, mix=mix)
    theta = objective.policy.initial_params(seed=8, num_seeds=1, scale=2.0)[0]
    with jax.enable_x64(True):
        g, terms = objective.policy_gradient(jnp.asarray(theta))
    np.testing.assert_allclose(np.asarray(g), reference.policy_gradient(grid, theta, tau, mix), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(g), objective.grad(theta), rtol=1e-10, atol=1e-12)
    assert float(terms.ret) + tau * float(terms.discounted_entropy) == pytest.approx(reference.value(grid, theta, tau, mix), rel=1e-12)


def test_small_and_large_batches_agree(grid):
    """Batches up to EVALUATE_CHUNK are computed in numpy, larger ones by compiled JAX: same numbers."""
    from policyscape.objectives.exact import EVALUATE_CHUNK

    objective = ExactObjective(grid, entropy=0.02, mix=0.1)
    thetas = objective.policy.initial_params(seed=9, num_seeds=EVALUATE_CHUNK + 5, scale=2.0)
    large = objective.evaluate(thetas)
    small = objective.evaluate(thetas[:7])
    for key in large:
        np.testing.assert_allclose(large[key][:7], small[key], rtol=1e-12, atol=1e-14)
