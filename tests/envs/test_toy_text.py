"""The toy-text conversion agrees with Gymnasium's own tables and dynamics."""

import gymnasium
import numpy as np
import pytest

from policyscape.envs.tabular import optimal_value
from policyscape.envs.tabular_env import TabularEnv
from policyscape.envs.toy_text import from_toy_text
from policyscape.errors import InputError

CONFIGS = [
    ("FrozenLake-v1", {"map_name": "4x4", "is_slippery": False}),
    ("FrozenLake-v1", {"map_name": "4x4", "is_slippery": True}),
    ("FrozenLake-v1", {"map_name": "8x8", "is_slippery": True}),
    ("CliffWalking-v1", {}),
    ("CliffWalking-v1", {"is_slippery": True}),
    ("Taxi-v4", {}),
    ("Taxi-v4", {"is_rainy": True}),
]
DETERMINISTIC = [CONFIGS[0], ("FrozenLake-v1", {"map_name": "8x8", "is_slippery": False}), CONFIGS[3], CONFIGS[5]]


@pytest.mark.parametrize("gym_id,kwargs", CONFIGS)
def test_tables_agree_with_gym(gym_id, kwargs):
    mdp = from_toy_text(gym_id, gamma=0.9, **kwargs)
    env = gymnasium.make(gym_id, **kwargs).unwrapped
    S0, A = len(env.P), len(env.P[0])
    T = S0
    assert mdp.P.shape == (S0 + 1, A, S0 + 1) and mdp.gamma == 0.9
    assert np.flatnonzero(mdp.terminal).tolist() == [T]
    np.testing.assert_array_equal(mdp.p0[:S0], env.initial_state_distrib)
    assert mdp.p0[T] == 0.0
    for s in range(S0):
        for a in range(A):
            P_expected = np.zeros(S0 + 1)
            r_expected = 0.0
            for prob, nxt, reward, done in env.P[s][a]:
                P_expected[T if done else nxt] += prob
                r_expected += prob * reward
            np.testing.assert_allclose(mdp.P[s, a], P_expected, atol=1e-15)
            assert mdp.R[s, a] == pytest.approx(r_expected, abs=1e-12)
    assert np.all(mdp.P[T, :, T] == 1.0) and np.all(mdp.R[T] == 0.0)
    assert len(mdp.action_labels) == A and mdp.state_labels[T] == "terminal"


def test_hand_checked_entries():
    fl = from_toy_text("FrozenLake-v1", map_name="4x4", is_slippery=False)
    assert fl.name == "FrozenLake-v1(is_slippery=False,map_name=4x4)"
    assert fl.action_labels == ("left", "down", "right", "up")
    assert fl.P[14, 2, 16] == 1.0 and fl.R[14, 2] == 1.0  # right from (3,2) onto the goal
    assert fl.P[1, 1, 16] == 1.0 and fl.R[1, 1] == 0.0  # down from (0,1) into the hole at (1,1)
    assert fl.P[0, 0, 0] == 1.0  # bumping the left wall
    assert fl.P[5, 0, 16] == 1.0  # the hole's own done self-loop goes to the terminal state
    slip = from_toy_text("FrozenLake-v1", map_name="4x4")
    np.testing.assert_allclose(slip.P[0, 0, [0, 4]], [2 / 3, 1 / 3])  # left, slips down or up (wall)

    cw = from_toy_text("CliffWalking-v1")
    assert cw.action_labels == ("up", "right", "down", "left")
    assert cw.P[36, 1, 36] == 1.0 and cw.R[36, 1] == -100.0  # into the cliff: back to the start
    assert cw.P[35, 2, 48] == 1.0 and cw.R[35, 2] == -1.0  # down onto the goal ends the episode
    assert cw.p0[36] == 1.0

    taxi = from_toy_text("Taxi-v4")
    assert taxi.action_labels == ("south", "north", "east", "west", "pickup", "dropoff")
    assert np.count_nonzero(taxi.p0) == 300  # 25 cells x 4 passenger spots x 3 other destinations
    done_sa = np.argwhere(taxi.P[:500, :, 500] > 0)
    assert len(done_sa) == 4 and np.all(done_sa[:, 1] == 5)  # a drop-off at each destination
    assert np.all(taxi.R[done_sa[:, 0], 5] == 20.0)


@pytest.mark.parametrize("gym_id,kwargs", DETERMINISTIC)
def test_deterministic_steps_match_gym(gym_id, kwargs):
    mdp = from_toy_text(gym_id, **kwargs)
    ours, theirs = TabularEnv(mdp=mdp), gymnasium.make(gym_id, **kwargs).unwrapped
    T = mdp.num_states - 1
    greedy = optimal_value(mdp).greedy_actions
    rng = np.random.default_rng(0)
    obs, _ = ours.reset(seed=1)
    theirs.reset(seed=2)
    if gym_id == "Taxi-v4":
        theirs.s = obs  # random start: put the original env in ours
    assert obs == theirs.s
    episodes = 0
    for _ in range(3000):
        # half random, half optimal actions, so that episodes also reach the goal
        a = int(rng.integers(mdp.num_actions)) if rng.random() < 0.5 else int(greedy[obs])
        obs, r1, term1, trunc1, _ = ours.step(a)
        o2, r2, term2, trunc2, _ = theirs.step(a)
        assert (r1, term1, trunc1) == (float(r2), term2, trunc2)
        assert obs == (T if term2 else o2)
        if term1:
            episodes += 1
            obs, _ = ours.reset()
            theirs.reset()
            theirs.s = obs
    assert episodes >= 5


def test_frozen_lake_optimal_value_closed_form():
    # Six moves (e.g. right, right, down, down, down, right) from (0,0) to the goal at (3,3); the
    # reward 1 is paid on the 6th transition, discounted by gamma^5.
    gamma = 0.99
    sol = optimal_value(from_toy_text("FrozenLake-v1", gamma=gamma, map_name="4x4", is_slippery=False))
    assert sol.value == pytest.approx(gamma**5, abs=1e-9)


@pytest.mark.parametrize("gamma", [0.9, 0.99])
def test_cliff_walking_optimal_value_closed_form(gamma):
    # The safe shortest path is up, 11 x right, down: 13 steps at -1 each (the last one ends the
    # episode), so V* = -(1 + gamma + ... + gamma^12) = -(1 - gamma^13) / (1 - gamma).
    sol = optimal_value(from_toy_text("CliffWalking-v1", gamma=gamma))
    assert sol.value == pytest.approx(-(1 - gamma**13) / (1 - gamma), abs=1e-9)


def test_unsupported_id_and_bad_arguments():
    with pytest.raises(InputError, match="Blackjack-v1.*FrozenLake-v1, CliffWalking-v1, Taxi-v4"):
        from_toy_text("Blackjack-v1")
    with pytest.raises(InputError, match="5x5"):
        from_toy_text("FrozenLake-v1", map_name="5x5")
    with pytest.raises(InputError, match="fickle_passenger"):
        from_toy_text("Taxi-v4", fickle_passenger=True)
    with pytest.raises(InputError, match="gamma"):
        from_toy_text("CliffWalking-v1", gamma=1.0)
