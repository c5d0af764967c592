"""SampledObjective: Monte Carlo vs exact (tabular), CRN, Gymnasium reference loop, bad inputs."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

import policyscape.envs  # noqa: F401  (registers the policyscape/ ids)
from policyscape.envs.registry import make_tabular
from policyscape.errors import InputError
from policyscape.objectives.exact import ExactObjective
from policyscape.objectives.sampled import FIELDS, SampledObjective, episode_seed_sequence
from policyscape.policies.continuous import LinearSoftmax

GRID = "policyscape/SymmetricGridworld-v0"


def test_tabular_sampled_agrees_with_exact():
    mdp = make_tabular(GRID)
    exact_objective = ExactObjective(mdp)
    layout = exact_objective.policy.layout
    rng = np.random.default_rng(0)
    thetas_exact = rng.normal(0.0, 0.5, (3, layout.size))
    thetas_exact[:, layout.slices()["bias"]] += np.array([0.0, 1.0, 0.0, 1.0])  # lean right/down: short episodes
    thetas_exact = np.vstack([thetas_exact, np.zeros(layout.size)])  # and the uniform policy
    exact = exact_objective.evaluate(thetas_exact)["return"]

    obj = SampledObjective(GRID, episodes=400, discount=mdp.gamma, max_steps=3000, seed=1)
    assert isinstance(obj.policy, LinearSoftmax) and obj.policy.one_hot  # default kind follows Discrete
    thetas = exact_objective.policy.to_linear_softmax(thetas_exact)  # the same policies, sampled layout
    out = obj.evaluate(thetas)
    assert set(out) == set(FIELDS) and all(v.shape == (4,) for v in out.values())
    # truncation at 3000 steps: every episode ended by termination (no truncation bias)
    assert np.all(out["env_steps"] < 3000 * obj.episodes)
    z = (out["discounted_return"] - exact) / out["discounted_stderr"]
    assert np.all(np.abs(z) < 3.0), (out["discounted_return"], exact, z)
    # undiscounted: every episode reaches a reward cell, paying 5 or 4.5
    assert np.all((out["return"] >= 4.5 - 1e-12) & (out["return"] <= 5.0 + 1e-12))
    np.testing.assert_array_equal(out["value"], out["return"])


@pytest.mark.parametrize("env_id", [GRID, "Hopper-v5"])
def test_crn_equal_thetas_equal_returns(env_id):
    kw = {"max_steps": 500, "discount": 0.99} if env_id == GRID else {"max_steps": 60}
    obj = SampledObjective(env_id, episodes=6, **kw)
    theta = np.random.default_rng(2).normal(0.0, 0.1, obj.num_params)
    out = obj.evaluate(np.stack([theta, theta]))
    np.testing.assert_array_equal(out["return"][0], out["return"][1])
    np.testing.assert_array_equal(out["env_steps"][0], out["env_steps"][1])
    # deterministic given (seed, θ): the same call again, and the same θ alone
    np.testing.assert_array_equal(obj.evaluate(theta)["return"], out["return"][:1])
    other = obj.evaluate(theta, seed=(7, 3))["return"]
    assert other[0] != out["return"][0]

    no_crn = SampledObjective(env_id, episodes=6, crn=False, **kw)
    out = no_crn.evaluate(np.stack([theta, theta]))
    assert out["return"][0] != out["return"][1]


def test_crn_reduces_variance_of_differences_hopper():
    """Δ = O(θ + αd) − O(θ) over 20 seeds: Var with CRN / Var without (measured 0.051; assert < 0.5)."""
    rng = np.random.default_rng(3)
    n = 11 * 3 + 3
    theta, d = rng.normal(0.0, 0.05, n), rng.normal(0.0, 1.0, n)
    pair = np.stack([theta, theta + 0.05 * d / np.linalg.norm(d)])
    results = {}
    for crn in (True, False):
        obj = SampledObjective("Hopper-v5", sigma=0.1, episodes=4, max_steps=100, crn=crn)
        deltas = []
        for i in range(20):
            v = obj.evaluate(pair, seed=(11, i))["value"]
            deltas.append(v[1] - v[0])
        results[crn] = np.var(deltas, ddof=1)
    ratio = results[True] / results[False]
    assert ratio < 0.5, (ratio, results)


def test_hopper_matches_plain_gymnasium_loop():
    E, T, sigma = 6, 30, 0.3
    obj = SampledObjective("Hopper-v5", sigma=sigma, episodes=E, max_steps=T, discount=0.97, seed=5)
    theta = np.random.default_rng(4).normal(0.0, 0.02, obj.num_params)
    out = obj.evaluate(theta)

    D, K = 11, 3
    W, b = theta[: D * K].reshape(D, K), theta[D * K :]
    env = gymnasium.make("Hopper-v5", max_episode_steps=T)
    low, high = env.action_space.low.astype(np.float64), env.action_space.high.astype(np.float64)
    G, Gd, n, ends = [], [], 0, set()
    for k in range(E):
        reset_seed, noise = episode_seed_sequence(5, k)
        obs, _ = env.reset(seed=reset_seed)
        g = gd = 0.0
        for t in range(T):
            a = np.clip(obs @ W + b + sigma * noise.standard_normal(K), low, high)
            obs, r, term, trunc, _ = env.step(a)
            g += r
            gd += 0.97**t * r
            n += 1
            if term or trunc:
                ends.add("terminated" if term else "truncated")
                break
        G.append(g)
        Gd.append(gd)
    env.close()
    assert abs(out["return"][0] - np.mean(G)) <= 1e-9  # measured: exactly equal
    np.testing.assert_allclose(out["discounted_return"][0], np.mean(Gd), rtol=0, atol=1e-9)
    np.testing.assert_allclose(out["return_stderr"][0], np.std(G, ddof=1) / np.sqrt(E), rtol=0, atol=1e-9)
    assert out["env_steps"][0] == n
    assert ends == {"terminated", "truncated"}  # both ways of ending an episode are exercised


def test_cartpole_fallback_runs():
    obj = SampledObjective("CartPole-v1", episodes=3, max_steps=50)
    assert obj.policy_kind == "linear_softmax"
    out = obj.evaluate(np.zeros((2, obj.num_params)))
    assert np.all(out["return"] >= 1) and np.all(out["return"] <= 50)


def test_bad_inputs():
    with pytest.raises(InputError, match="sigma"):
        SampledObjective("Hopper-v5", sigma=-0.1)
    with pytest.raises(InputError, match="episodes"):
        SampledObjective("Hopper-v5", episodes=0)
    with pytest.raises(InputError, match="Hopper-v5"):
        SampledObjective("Hoper-v5")
    with pytest.raises(InputError, match="SymmetricGridworld"):
        SampledObjective("policyscape/SymetricGridworld-v0")
    with pytest.raises(InputError, match="Discrete action space"):
        SampledObjective("Hopper-v5", policy_kind="linear_softmax")
    with pytest.raises(InputError, match="max_steps"):
        SampledObjective(GRID)  # no time limit of its own
    obj = SampledObjective("Hopper-v5", max_steps=10)
    with pytest.raises(InputError, match=r"11·3 \+ 3 = 36"):
        obj.evaluate(np.zeros((2, 35)))
    with pytest.raises(InputError, match="seed"):
        obj.evaluate(np.zeros(36), seed=-1)


class _SometimesNaN(__import__("gymnasium").Env):
    """Reward 1 per step; from a start x0 > 0.5 the third reward is NaN (a broken simulator)."""

    def __init__(self):
        import gymnasium

        self.observation_space = gymnasium.spaces.Box(-1.0, 1.0, (1,), np.float64)
        self.action_space = gymnasium.spaces.Box(-1.0, 1.0, (1,), np.float64)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.x0, self.t = float(self.np_random.uniform()), 0
        return np.array([self.x0]), {}

    def step(self, action):
        self.t += 1
        reward = float("nan") if (self.t == 3 and self.x0 > 0.5) else 1.0
        return np.array([self.x0]), reward, False, False, {}


def test_nonfinite_rewards_are_counted_not_averaged():
    import gymnasium

    from policyscape.objectives.sampled import SampledObjective, episode_seed_sequence

    if "policyscape-test/SometimesNaN-v0" not in gymnasium.registry:
        gymnasium.register("policyscape-test/SometimesNaN-v0", entry_point=_SometimesNaN, max_episode_steps=5)
    objective = SampledObjective("policyscape-test/SometimesNaN-v0", episodes=12, seed=4)
    out = objective.evaluate(np.zeros((2, objective.num_params)))
    env = _SometimesNaN()
    expected_bad = sum(env.reset(seed=episode_seed_sequence(4, k)[0])[0][0] > 0.5 for k in range(12))
    assert 0 < expected_bad < 12
    np.testing.assert_array_equal(out["nonfinite_episodes"], [expected_bad, expected_bad])
    np.testing.assert_array_equal(out["value"], [5.0, 5.0])  # the finite episodes only
    assert np.all(np.isfinite(out["value_stderr"]))
