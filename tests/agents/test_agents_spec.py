"""AgentSpec: activations at hand-computed points, shape checks, observation layouts, describe's branches."""

import math

import numpy as np
import pytest

from policyscape.agents.spec import (ACTIVATIONS, AgentSpec, Dense, ObsNormalization, describe, deterministic_action,
                                     log_std, mean_action)
from policyscape.errors import InputError


@pytest.mark.parametrize("name, x, want", [
    ("tanh", 0.5, math.tanh(0.5)), ("relu", -2.0, 0.0), ("relu", 2.0, 2.0), ("elu", -1.0, math.exp(-1) - 1),
    ("elu", 3.0, 3.0), ("leaky_relu", -2.0, -0.02), ("sigmoid", 0.3, 1 / (1 + math.exp(-0.3))),
    ("silu", -0.7, -0.7 / (1 + math.exp(0.7))), ("softplus", 0.2, math.log1p(math.exp(0.2))), ("identity", -3.0, -3.0),
])
def test_activations_match_torch_definitions(name, x, want):
    assert ACTIVATIONS[name](np.array([x]))[0] == pytest.approx(want, abs=1e-15)


def spec(**kw):
    r = np.random.default_rng(0)
    base = dict(source="test", algorithm="PPO", path="agent", obs_shape=(2, 3),
                layers=(Dense(r.normal(size=(4, 6)), r.normal(size=4)),), activation="tanh",
                mu=Dense(r.normal(size=(2, 4)), None), log_std="parameter", log_std_param=np.array([-0.5, 0.1]),
                action_low=np.array([-1.0, -1.0]), action_high=np.array([1.0, 1.0]))
    base.update(kw)
    return AgentSpec(**base)


def test_observations_of_any_leading_shape_and_the_saved_layout():
    s = spec()
    obs = np.random.default_rng(1).normal(size=(3, 5, 2, 3))
    flat = obs.reshape(3, 5, 6)
    assert mean_action(s, obs).shape == (3, 5, 2)
    np.testing.assert_array_equal(mean_action(s, obs), mean_action(s, flat))
    np.testing.assert_array_equal(log_std(s, obs)[1, 2], [-0.5, 0.1])
    with pytest.raises(InputError, match=r"do not end in the agent's \(2, 3\)"):
        mean_action(s, np.zeros((4, 5)))
    assert s.num_params == 4 * 6 + 4 + 2 * 4 + 2 and (s.obs_dim, s.action_dim) == (6, 2)


def test_shape_checks():
    r = np.random.default_rng(2)
    with pytest.raises(InputError, match="layer 1 takes 3 inputs but gets 4"):
        spec(mu=Dense(r.normal(size=(2, 3)), None))
    with pytest.raises(InputError, match="one value per action"):
        spec(log_std_param=np.zeros(3))
    with pytest.raises(InputError, match="action_low has shape"):
        spec(action_low=np.zeros(3))
    with pytest.raises(InputError, match="activation 'gelu' is not supported"):
        spec(activation="gelu")
    with pytest.raises(InputError, match="bias has shape"):
        Dense(np.zeros((2, 3)), np.zeros(3))
    with pytest.raises(InputError, match="gSDE log_std must have shape"):
        spec(log_std="gsde", log_std_param=np.zeros((3, 2)))
    with pytest.raises(InputError, match="normalization statistics have shape"):
        spec(obs_norm=ObsNormalization(np.zeros(5), np.ones(5), 10.0, 1e-8))
    with pytest.raises(InputError, match="clip > 0"):
        ObsNormalization(np.zeros(6), np.ones(6), 0.0, 1e-8)


def test_describe_branches():
    r = np.random.default_rng(3)
    text = describe(spec(log_std="gsde", log_std_param=np.zeros((4, 1)), gsde_expln=True, squash=True,
                         action_transform="rescale", mean_clip=2.0,
                         obs_norm=ObsNormalization(np.zeros(6), np.ones(6), 5.0, 1e-8, source="stats.npz")))
    assert "gSDE" in text and "expln" in text and "4×1" in text and "tanh, then rescaled" in text
    assert "mean clipped to ±2 first" in text and "from stats.npz" in text
    text = describe(spec(log_std="none", layers=(), mu=Dense(r.normal(size=(2, 6)), None), action_low=None,
                         action_high=None))
    assert "deterministic" in text and "unused: no hidden layers" in text and "unknown" in text
    s = spec(log_std="layer", log_std_layer=Dense(np.zeros((2, 4)), np.array([5.0, -30.0])),
             log_std_bounds=(-20.0, 2.0), squash=True, action_transform="rescale")
    np.testing.assert_array_equal(log_std(s, np.zeros(6)), [2.0, -20.0])
    assert np.all(np.abs(deterministic_action(s, np.ones((3, 6)))) <= 1)
