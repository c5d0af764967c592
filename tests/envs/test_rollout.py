"""The one rollout engine: backend choice, training and evaluation see the same episodes,
non-finite episodes are left out alike in both, seeds are pure."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

from policyscape.envs.classic_batch import BatchedClassicControl
from policyscape.envs.mujoco_batch import BatchedLocomotion
from policyscape.envs.rollout import GymLoopBackend, Rollouts, make_backend
from policyscape.errors import InputError
from policyscape.objectives.sampled import SampledObjective
from policyscape.optimize.reinforce import (
    ReinforceConfig,
    evaluation_seeds,
    reinforce_gradient,
    standardized_returns_to_go,
    train_reinforce,
    training_seeds,
)
from policyscape.policies.continuous import LinearGaussian, LinearSoftmax


def test_backend_choice_in_one_place():
    assert isinstance(make_backend("Hopper-v5", 2, 10), BatchedLocomotion)
    assert isinstance(make_backend("CartPole-v1", 2, 10), BatchedClassicControl)
    assert isinstance(make_backend("Pendulum-v1", 2, 10), BatchedClassicControl)
    assert isinstance(make_backend("policyscape/SymmetricGridworld-v0", 2, 10), GymLoopBackend)
    assert isinstance(make_backend("CartPole-v1", 2, 10, kind="gym"), GymLoopBackend)
    with pytest.raises(InputError, match="backend"):
        make_backend("CartPole-v1", 2, 10, kind="envpool")
    with pytest.raises(InputError, match="max_steps"):
        Rollouts("policyscape/SymmetricGridworld-v0")


@pytest.mark.parametrize("env_id, policy, sigma", [("CartPole-v1", LinearSoftmax(4, 2), None),
                                                   ("Pendulum-v1", LinearGaussian(3, 1), 0.7)])
def test_batched_and_gym_loop_backends_give_the_same_episodes(env_id, policy, sigma):
    thetas = np.random.default_rng(0).normal(0.0, 0.5, (2, policy.num_params))
    seeds = [np.random.SeedSequence(4, spawn_key=(k,)) for k in range(3)]
    kw = dict(sigma=sigma, record=True, discount=0.9)
    fast = Rollouts(env_id, max_steps=80).run(policy, thetas, seeds, **kw)
    loop = Rollouts(env_id, max_steps=80, backend="gym").run(policy, thetas, seeds, **kw)
    for a, b in zip(fast, loop):
        np.testing.assert_array_equal(a, b)


def test_reused_seed_sequences_give_the_same_episodes():
    """SeedSequence.spawn is stateful; the engine must not spawn from the caller's sequences."""
    engine, policy = Rollouts("CartPole-v1", max_steps=50), LinearSoftmax(4, 2)
    seeds = [np.random.SeedSequence(9, spawn_key=(k,)) for k in range(4)]
    theta = np.full((1, policy.num_params), 0.1)
    first = engine.run(policy, theta, seeds)
    np.testing.assert_array_equal(engine.run(policy, theta, seeds).returns, first.returns)
    assert len(set(first.returns[0])) > 1  # and the episodes do differ from each other


@pytest.mark.parametrize("config", [
    ReinforceConfig(env="CartPole-v1", lr=0.1, batch_episodes=6, updates=2, seeds=2, eval_every=1, eval_episodes=3,
                    max_steps=120, seed=5),
    ReinforceConfig(env="Hopper-v5", sigma=0.4, lr=0.003, batch_episodes=4, updates=2, seeds=2, eval_every=1,
                    eval_episodes=2, max_steps=80, seed=5),
], ids=["CartPole-v1", "Hopper-v5"])
def test_training_and_evaluation_see_the_same_returns(config):
    """REINFORCE's curves at θ_u (its training batch, its σ = 0 evaluation) equal what
    SampledObjective reduces from the same θ, seeds and σ, bit for bit."""
    result = train_reinforce(config)
    B, E = config.seeds, config.batch_episodes
    sigma = None if config.env == "CartPole-v1" else config.sigma
    objective = SampledObjective(config.env, sigma=sigma, episodes=E, max_steps=config.max_steps)
    for u in (1, 2):
        theta = result.checkpoints[u]
        episodes = objective.engine.run(objective.policy, theta, training_seeds(config.seed, u, B, E), sigma=sigma,
                                        record=True)
        out = objective.reduce(episodes)
        np.testing.assert_array_equal(result.curves["return"][u], out["return"])
        np.testing.assert_array_equal(result.curves["return_stderr"][u], out["return_stderr"])
        # what REINFORCE records adds up to the returns that evaluation reports
        np.testing.assert_allclose(episodes.rewards.sum(axis=-1), episodes.returns, rtol=1e-12)
        np.testing.assert_array_equal(episodes.mask.sum(axis=-1), episodes.steps)
    if sigma is not None:  # σ = 0 evaluation: the deterministic curve
        det = SampledObjective(config.env, sigma=0.0, episodes=config.eval_episodes, max_steps=config.max_steps)
        for u in (0, 1, 2):
            eps = det.engine.run(det.policy, result.checkpoints[u], evaluation_seeds(config.seed, config.eval_episodes),
                                 sigma=0.0)
            np.testing.assert_array_equal(result.curves["deterministic_return"][u], det.reduce(eps)["return"])


class _InfSometimes(gymnasium.Env):
    """Reward 1 per step; from a start x0 > 0.6 the second observation is +inf (a simulator that blows up)."""

    observation_space = gymnasium.spaces.Box(-np.inf, np.inf, (2,), np.float64)
    action_space = gymnasium.spaces.Box(-1.0, 1.0, (1,), np.float64)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.x0, self.t = float(self.np_random.uniform()), 0
        return np.array([self.x0, 1.0]), {}

    def step(self, action):
        self.t += 1
        x = np.inf if (self.t == 2 and self.x0 > 0.6) else self.x0
        return np.array([x, 1.0]), 1.0 + float(action[0]) * self.x0, False, False, {}


def test_nonfinite_episodes_are_left_out_of_training_and_evaluation_alike():
    env_id = "policyscape-test/InfSometimes-v0"
    if env_id not in gymnasium.registry:
        gymnasium.register(env_id, entry_point=_InfSometimes, max_episode_steps=4)
    config = ReinforceConfig(env=env_id, sigma=0.5, lr=0.1, batch_episodes=10, updates=1, seeds=2, eval_every=1,
                             eval_episodes=3, seed=2)
    result = train_reinforce(config)
    objective = SampledObjective(env_id, sigma=0.5, episodes=10)
    theta0 = result.initial_params
    batch = objective.engine.run(objective.policy, theta0, training_seeds(2, 0, 2, 10), sigma=0.5, record=True)
    bad = batch.nonfinite
    assert 0 < bad.sum(axis=1).min() and bad.sum(axis=1).max() < 10  # some, not all, blow up
    assert np.all(batch.steps[bad] == 2) and np.all(batch.steps[~bad] == 4)
    # evaluation: counted, and the mean is over the finite episodes only
    out = objective.reduce(batch)
    np.testing.assert_array_equal(out["nonfinite_episodes"], bad.sum(axis=1))
    np.testing.assert_allclose(out["return"], [batch.returns[b][~bad[b]].mean() for b in range(2)], rtol=1e-12)
    # training: the same count in the curves, the same mean return
    np.testing.assert_array_equal(result.curves["nonfinite_episodes"][1], bad.sum(axis=1))
    np.testing.assert_array_equal(result.curves["return"][0], out["return"])
    # and the update is that of the finite episodes alone (weights standardized over them only)
    for b in range(2):
        keep = ~bad[b]
        w = standardized_returns_to_go(batch.rewards[b][keep], batch.mask[b][keep], config.discount)
        g = reinforce_gradient(objective.policy, theta0[b], batch.obs[b][keep], batch.actions[b][keep], w,
                               batch.mask[b][keep], sigma=0.5)
        np.testing.assert_allclose(result.checkpoints[1][b], theta0[b] + config.lr * g, rtol=1e-12, atol=1e-15)
