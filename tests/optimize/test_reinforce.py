"""REINFORCE: hand-computed returns-to-go, JAX log-probs vs numpy, gradient vs finite differences,
learning on CartPole and Hopper, determinism."""

import numpy as np
import pytest

from policyscape.errors import InputError
from policyscape.optimize.reinforce import (
    ReinforceConfig,
    reinforce_gradient,
    standardized_returns_to_go,
    train_reinforce,
)
from policyscape.policies.continuous import LinearGaussian, LinearGaussianLearnedStd, LinearSoftmax, MLPGaussian

# --------------------------------------------------------------------------- returns-to-go


def test_standardized_returns_to_go_by_hand():
    """γ = 0.5; episode 1: r = (1, 2, 3), 3 steps; episode 2: r = (4, 2), 2 steps (the 9 is padding).

    G: episode 1: t2 = 3, t1 = 2 + 0.5·3 = 3.5, t0 = 1 + 0.5·3.5 = 2.75; episode 2: t1 = 2, t0 = 4 + 0.5·2 = 5.
    Valid G = (2.75, 3.5, 3, 5, 2): mean 16.25/5 = 3.25; deviations (−0.5, 0.25, −0.25, 1.75, −1.25);
    squares sum to 0.25 + 0.0625 + 0.0625 + 3.0625 + 1.5625 = 5, so the (ddof 0) std is 1.
    Doubling the rewards doubles G: mean 6.5, std 2, the standardized weights stay the same and the
    "mean" baseline gives the doubled deviations.
    """
    rewards = np.array([[1.0, 2.0, 3.0], [4.0, 2.0, 9.0]])
    mask = np.array([[1, 1, 1], [1, 1, 0]])
    expected = np.array([[-0.5, 0.25, -0.25], [1.75, -1.25, 0.0]])
    np.testing.assert_allclose(standardized_returns_to_go(rewards, mask, 0.5), expected, atol=1e-14)
    np.testing.assert_allclose(standardized_returns_to_go(2 * rewards, mask, 0.5), expected, atol=1e-14)
    np.testing.assert_allclose(standardized_returns_to_go(2 * rewards, mask, 0.5, baseline="mean"),
                               [[-1.0, 0.5, -0.5], [3.5, -2.5, 0.0]], atol=1e-14)
    # leading axes (seeds) are separate batches
    both = standardized_returns_to_go(np.stack([rewards, 2 * rewards]), np.stack([mask, mask]), 0.5, baseline="mean")
    np.testing.assert_allclose(both[0], expected, atol=1e-14)
    np.testing.assert_allclose(both[1], 2 * expected, atol=1e-14)
    with pytest.raises(InputError, match="baseline"):
        standardized_returns_to_go(rewards, mask, 0.5, baseline="critic")


# --------------------------------------------------------------------------- log-probs and gradients

D, K, A, N, T = 3, 2, 4, 5, 6


def _policies():
    return {
        "linear_gaussian": (LinearGaussian(D, K), 0.3),
        "learned_std": (LinearGaussianLearnedStd(D, K), None),
        "learned_std_override": (LinearGaussianLearnedStd(D, K), 0.7),
        "softmax": (LinearSoftmax(D, A), None),
        "softmax_one_hot": (LinearSoftmax(D, A, one_hot=True), None),
        "mlp": (MLPGaussian(D, K, (4,)), 0.5),
    }


def _example(policy, rng, shape):
    theta = rng.normal(size=policy.num_params) * 0.5
    if isinstance(policy, LinearSoftmax):
        obs = rng.integers(0, D, size=shape).astype(float) if policy.one_hot else rng.normal(size=(*shape, D))
        actions = rng.integers(0, A, size=shape)
    else:
        obs, actions = rng.normal(size=(*shape, D)), rng.normal(size=(*shape, K))
    return theta, obs, actions


@pytest.mark.parametrize("name", list(_policies()))
def test_log_prob_numpy_and_jax_agree(name):
    """The one log-prob of each policy, run with xp = jax.numpy (one θ, as REINFORCE's autodiff
    calls it, and a batch) and with xp = numpy (validated, batched)."""
    import jax

    policy, sigma = _policies()[name]
    theta, obs, actions = _example(policy, np.random.default_rng(1), (2, 7))
    expected = policy.log_prob(theta[None], obs[None, 0], actions[None, 0], sigma)[0]
    with jax.enable_x64(True):
        jnp = jax.numpy
        got = np.asarray(policy.log_prob(jnp.asarray(theta), jnp.asarray(obs[0]), jnp.asarray(actions[0]), sigma,
                                         xp=jnp))
        thetas = np.stack([theta, 0.5 * theta])
        batched = np.asarray(policy.log_prob(jnp.asarray(thetas), jnp.asarray(obs), jnp.asarray(actions), sigma,
                                             xp=jnp))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(batched, policy.log_prob(thetas, obs, actions, sigma), rtol=1e-12, atol=1e-12)
    if name in ("learned_std", "softmax", "softmax_one_hot"):  # entropies that depend on θ
        args = () if name == "learned_std" else (obs,)
        with jax.enable_x64(True):
            ent = np.asarray(policy.entropy(jax.numpy.asarray(thetas), *map(jax.numpy.asarray, args), xp=jax.numpy))
        np.testing.assert_allclose(ent, policy.entropy(thetas, *args), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, tau", [("linear_gaussian", 0.0), ("learned_std", 0.3), ("softmax", 0.0),
                                       ("softmax_one_hot", 0.0), ("mlp", 0.0)])
def test_reinforce_gradient_equals_finite_differences(name, tau):
    policy, sigma = _policies()[name]
    rng = np.random.default_rng(2)
    theta, obs, actions = _example(policy, rng, (N, T))
    weights = rng.normal(size=(N, T))
    mask = np.arange(T)[None, :] < np.array([6, 3, 1, 5, 6])[:, None]

    def surrogate(th):
        flat_obs = obs.reshape(1, N * T, *obs.shape[2:])
        lp = policy.log_prob(th[None], flat_obs, actions.reshape(1, N * T, *actions.shape[2:]), sigma)[0].reshape(N, T)
        value = np.sum(np.where(mask, weights * lp, 0.0)) / N
        return value + (tau * policy.entropy(th[None])[0] if tau else 0.0)

    h = 1e-6
    fd = np.array([(surrogate(theta + h * e) - surrogate(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])
    got = reinforce_gradient(policy, theta, obs, actions, weights, mask, sigma, entropy=tau)
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------------------- training

CARTPOLE = ReinforceConfig(env="CartPole-v1", lr=0.1, batch_episodes=16, updates=30, seeds=2, eval_every=10,
                           eval_episodes=8, max_steps=200, seed=3)


@pytest.fixture(scope="module")
def cartpole_result():
    return train_reinforce(CARTPOLE)


def test_reinforce_learns_cartpole(cartpole_result):
    det = cartpole_result.curves["deterministic_return"]
    assert det.shape == (4, 2)
    assert det[-1].mean() > det[0].mean() + 80, det
    stoch = cartpole_result.curves["return"]
    assert stoch[-1].mean() > stoch[0].mean() + 50, stoch
    assert sorted(cartpole_result.checkpoints) == [0, 10, 20, 30]
    assert cartpole_result.final_params.shape == (2, 10)
    np.testing.assert_array_equal(cartpole_result.curves["update"][:, 0], [0, 10, 20, 30])
    steps = cartpole_result.curves["env_steps"]
    assert np.all(steps[0] == 0) and np.all(np.diff(steps, axis=0) > 0)
    rows = cartpole_result.rows()
    assert len(rows) == 8
    assert {"env_steps", "update", "seed", "return", "deterministic_return", "entropy"} <= set(rows[0])
    ent = cartpole_result.curves["entropy"]
    np.testing.assert_allclose(ent[0], np.log(2))  # zero θ: uniform over the two actions
    assert np.all(ent[-1] < np.log(2))


def test_same_seed_same_result_and_seeds_independent_of_batch(cartpole_result):
    config = ReinforceConfig(**{**CARTPOLE.to_dict(), "updates": 10})
    again = train_reinforce(config)
    for name in ("return", "deterministic_return", "env_steps", "entropy"):
        np.testing.assert_array_equal(again.curves[name], cartpole_result.curves[name][:2])
    np.testing.assert_array_equal(again.checkpoints[10], cartpole_result.checkpoints[10])
    alone = train_reinforce(ReinforceConfig(**{**config.to_dict(), "seeds": 1}))  # seed row 0 trained alone
    np.testing.assert_allclose(alone.checkpoints[10][0], again.checkpoints[10][0], rtol=1e-10, atol=1e-12)


def test_reinforce_improves_hopper_stochastic_return():
    config = ReinforceConfig(env="Hopper-v5", sigma=0.5, lr=0.003, batch_episodes=16, updates=10, seeds=2,
                             eval_every=5, eval_episodes=2, max_steps=200)
    result = train_reinforce(config)
    ret = result.curves["return"]
    assert ret[-1].mean() > ret[0].mean() + 30, ret
    np.testing.assert_allclose(result.curves["entropy"], 3 * (0.5 * np.log(2 * np.pi * np.e) + np.log(0.5)))
    assert result.final_params.shape == (2, 11 * 3 + 3)


def test_config_validation():
    with pytest.raises(InputError, match="optimizer"):
        ReinforceConfig(optimizer="lbfgs").validate()
    with pytest.raises(InputError, match="sigma"):
        ReinforceConfig(sigma=0.0).validate()
    with pytest.raises(InputError, match="entropy"):
        ReinforceConfig(entropy=0.1, policy_kind="linear_gaussian").validate()
    ReinforceConfig(entropy=0.1, policy_kind="linear_gaussian_learned_std").validate()
