"""TabularEnv: Gymnasium API, registration, and sampled returns that match exact values."""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from policyscape.envs.gridworlds import symmetric_gridworld
from policyscape.envs.registry import register_gymnasium_envs
from policyscape.envs.tabular import TabularMDP, policy_value
from policyscape.envs.tabular_env import TabularEnv
from policyscape.envs.toy_text import from_toy_text
from policyscape.errors import InputError


def _uniform(mdp: TabularMDP) -> np.ndarray:
    return np.full((mdp.num_states, mdp.num_actions), 1.0 / mdp.num_actions)


def _exact(mdp: TabularMDP) -> float:
    return float(mdp.p0 @ policy_value(mdp, _uniform(mdp)))


def _assert_within_4_se(returns: np.ndarray, exact: float) -> None:
    se = returns.std(ddof=1) / np.sqrt(len(returns))
    assert se > 0
    assert abs(returns.mean() - exact) < 4 * se, (returns.mean(), exact, se)


def _env_returns(env: TabularEnv, episodes: int, seed: int) -> np.ndarray:
    """Discounted returns of the uniform random policy, stepping ``env`` itself → [episodes]."""
    gamma = env.mdp.gamma
    env.reset(seed=seed)
    env.action_space.seed(seed)
    out = np.empty(episodes)
    for i in range(episodes):
        env.reset()
        ret, disc, done = 0.0, 1.0, False
        while not done:
            _, r, done, _, _ = env.step(env.action_space.sample())
            ret += disc * r
            disc *= gamma
        out[i] = ret
    return out


def _vectorized_returns(mdp: TabularMDP, episodes: int, seed: int) -> np.ndarray:
    """The same returns with all episodes advanced at once in numpy → [episodes]."""
    rng = np.random.default_rng(seed)
    cdf = np.cumsum(mdp.P, axis=2)
    s = rng.choice(mdp.num_states, size=episodes, p=mdp.p0)
    ret, disc = np.zeros(episodes), 1.0
    while not np.all(mdp.terminal[s]):
        a = rng.integers(mdp.num_actions, size=episodes)
        ret += disc * mdp.R[s, a]
        u = rng.random(episodes)[:, None] * cdf[s, a, -1:]
        s = np.minimum((cdf[s, a] <= u).sum(axis=1), mdp.num_states - 1)
        disc *= mdp.gamma
    return ret


@pytest.mark.parametrize("env_id", ["policyscape/SymmetricGridworld-v0", "policyscape/FrozenLake-v0"])
def test_check_env(env_id):
    check_env(TabularEnv(env_id=env_id), skip_render_check=True)
    check_env(TabularEnv(mdp=symmetric_gridworld(size=3), render_mode="ansi"), skip_render_check=True)


def test_gymnasium_make_after_registration():
    register_gymnasium_envs()
    register_gymnasium_envs()  # idempotent
    env = gymnasium.make("policyscape/SymmetricGridworld-v0", size=4)
    assert env.unwrapped.mdp.name == "SymmetricGridworld"
    assert env.observation_space == gymnasium.spaces.Discrete(17)
    assert env.action_space == gymnasium.spaces.Discrete(4)
    obs, info = env.reset(seed=0)
    assert obs == 0 and info == {}
    # right x3 reaches the best corner; any action there pays 5 and ends the episode
    for a, expected in [(1, 1), (1, 2), (1, 3)]:
        assert env.step(a)[:4] == (expected, 0.0, False, False)
    assert env.step(0)[:4] == (16, 5.0, True, False)
    assert isinstance(gymnasium.make("policyscape/CliffWalking-v0").unwrapped, TabularEnv)


def test_constructor_and_action_errors():
    with pytest.raises(InputError, match="exactly one"):
        TabularEnv()
    with pytest.raises(InputError, match="exactly one"):
        TabularEnv(env_id="policyscape/SymmetricGridworld-v0", mdp=symmetric_gridworld())
    with pytest.raises(InputError, match="NoSuchEnv"):
        TabularEnv(env_id="policyscape/NoSuchEnv-v0")
    env = TabularEnv(mdp=symmetric_gridworld())
    env.reset(seed=0)
    for bad in (4, -1, 1.5, "left"):
        with pytest.raises(InputError, match=repr(bad)):
            env.step(bad)


def test_same_seed_same_trajectory():
    def trajectory(seed):
        env = TabularEnv(env_id="policyscape/FrozenLake-v0")  # slippery: sampled transitions
        env.action_space.seed(seed)
        steps = [env.reset(seed=seed)[0]]
        for _ in range(300):
            obs, r, term, _, _ = env.step(env.action_space.sample())
            steps.append((obs, r, term))
            if term:
                steps.append(env.reset()[0])
        return steps

    assert trajectory(3) == trajectory(3)
    assert trajectory(3) != trajectory(4)


def test_monte_carlo_symmetric_gridworld():
    mdp = symmetric_gridworld()
    exact = _exact(mdp)
    _assert_within_4_se(_vectorized_returns(mdp, 20_000, seed=0), exact)
    _assert_within_4_se(_env_returns(TabularEnv(mdp=mdp), 1_000, seed=1), exact)


def test_monte_carlo_frozen_lake_slippery():
    mdp = from_toy_text("FrozenLake-v1", map_name="4x4", is_slippery=True)
    exact = _exact(mdp)
    assert exact > 0
    _assert_within_4_se(_env_returns(TabularEnv(mdp=mdp), 3_000, seed=2), exact)
    _assert_within_4_se(_vectorized_returns(mdp, 20_000, seed=3), exact)
