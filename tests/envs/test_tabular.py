"""TabularMDP validation, gridworld layouts and optimal values against closed forms."""

import numpy as np
import pytest

from policyscape.envs.gridworlds import four_optima_gridworld, multi_optima_gridworld, symmetric_gridworld
from policyscape.envs.registry import make_tabular
from policyscape.envs.tabular import TabularMDP, optimal_value, policy_value
from policyscape.errors import InputError


def two_state_mdp(gamma=0.9):
    """State 0: action 0 stays (reward 1), action 1 moves to state 1 (reward 0). State 1: stays, reward 2."""
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = 1.0
    P[0, 1, 1] = 1.0
    P[1, :, 1] = 1.0
    R = np.array([[1.0, 0.0], [2.0, 2.0]])
    return TabularMDP(P, R, np.array([1.0, 0.0]), gamma)


def test_two_state_mdp_solved_by_hand():
    gamma = 0.9
    mdp = two_state_mdp(gamma)
    p = 0.3  # π(stay | 0)
    pi = np.array([[p, 1 - p], [0.5, 0.5]])
    V1 = 2 / (1 - gamma)
    V0 = (p + (1 - p) * gamma * V1) / (1 - p * gamma)
    np.testing.assert_allclose(policy_value(mdp, pi), [V0, V1], rtol=1e-13)
    # optimal: move to state 1 (γ·20 = 18) beats staying forever (1/(1−γ) = 10)
    sol = optimal_value(mdp)
    assert sol.value == pytest.approx(gamma * 2 / (1 - gamma), rel=1e-12)
    assert sol.greedy_actions[0] == 1


@pytest.mark.parametrize("size", [3, 5, 7])
def test_symmetric_gridworld_layout_and_optimum(size):
    gamma = 0.99
    mdp = symmetric_gridworld(size=size)
    assert mdp.num_states == size * size + 1 and mdp.num_actions == 4
    assert mdp.terminal[-1] and mdp.terminal.sum() == 1
    assert mdp.R[size - 1, 0] == 5.0 and mdp.R[(size - 1) * size, 0] == pytest.approx(4.5)
    assert optimal_value(mdp).value == pytest.approx(5.0 * gamma ** (size - 1), rel=1e-12)
    # the deterministic "always right" and "always down" policies: 5γ^(size−1) and 4.5γ^(size−1)
    for action, reward in ((1, 5.0), (3, 4.5)):
        pi = np.zeros((mdp.num_states, 4))
        pi[:, action] = 1.0
        assert mdp.p0 @ policy_value(mdp, pi) == pytest.approx(reward * gamma ** (size - 1), rel=1e-12)


def test_gridworld_moves_and_walls():
    mdp = symmetric_gridworld()
    left, right, up, down = range(4)
    assert mdp.P[0, left, 0] == 1 and mdp.P[0, up, 0] == 1  # walls
    assert mdp.P[0, right, 1] == 1 and mdp.P[0, down, 5] == 1
    assert np.all(mdp.P[4, :, 25] == 1)  # reward cell → terminal
    assert np.all(mdp.P[25, :, 25] == 1)


def test_variants_optima():
    gamma = 0.99
    assert optimal_value(multi_optima_gridworld()).value == pytest.approx(5.0 * gamma**4)
    four = four_optima_gridworld()
    assert four.p0[2 * 5 + 2] == 1.0
    assert optimal_value(four).value == pytest.approx(5.0 * gamma**2)
    assert sorted(four.R[four.R[:, 0] > 0, 0]) == pytest.approx(sorted(5.0 * 0.9 ** np.arange(4)))
    with pytest.raises(InputError, match="odd"):
        four_optima_gridworld(size=4)


def _valid():
    mdp = two_state_mdp()
    return dict(P=mdp.P.copy(), R=mdp.R.copy(), p0=mdp.p0.copy(), gamma=0.9)


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(gamma=1.0), "gamma must satisfy 0 <= gamma < 1, got 1.0"),
        (dict(gamma=-0.1), "gamma"),
        (dict(P=np.full((2, 2, 2), 0.3)), r"P\[s, a, :\] must sum to 1"),
        (dict(P=np.zeros((2, 2, 3))), "P must have shape"),
        (dict(R=np.zeros((2, 3))), "R must have shape"),
        (dict(p0=np.array([0.5, 0.6])), "p0 must be a distribution"),
        (dict(R=np.array([[np.nan, 0], [0, 0]])), "R must be finite"),
    ],
)
def test_validation_names_the_bad_field(change, match):
    kwargs = {**_valid(), **change}
    with pytest.raises(InputError, match=match):
        TabularMDP(**kwargs)


def test_terminal_must_be_absorbing():
    with pytest.raises(InputError, match="terminal state 0 must be absorbing"):
        TabularMDP(**_valid(), terminal=np.array([True, False]))


def test_unknown_env_id_suggests_nearest():
    with pytest.raises(InputError, match="did you mean 'policyscape/SymmetricGridworld-v0'"):
        make_tabular("policyscape/SymetricGridworld-v0")
