"""Agent files shaped for Hopper-v5 (11 observations, 3 actions in [−1, 1]), written by the test writers."""

from collections import OrderedDict

import numpy as np
from agent_writers import ACTOR_CRITIC_POLICY, RELU, SAC_POLICY, TANH, sb3_zip_bytes, vecnormalize_bytes
from gymnasium import spaces

HOPPER_OBS, HOPPER_ACT = 11, 3


def _f32(r, *shape, scale=0.5):
    return (r.normal(size=shape) * scale).astype(np.float32)


def hopper_spaces(obs=HOPPER_OBS, act=HOPPER_ACT, high=1.0):
    return {"observation_space": spaces.Box(-np.inf, np.inf, (obs,), np.float64),
            "action_space": spaces.Box(-high, high, (act,), np.float32)}


def ppo_file(path, hidden=(8, 8), seed=0, activation=TANH, log_std=-0.5, obs=HOPPER_OBS, high=1.0, scale=0.5):
    """A PPO MlpPolicy zip; returns the state dict written (torch layout, float32)."""
    r = np.random.default_rng(seed)
    sd = OrderedDict()
    sizes = (obs, *hidden)
    for k in range(len(hidden)):
        sd[f"mlp_extractor.policy_net.{2 * k}.weight"] = _f32(r, sizes[k + 1], sizes[k], scale=scale)
        sd[f"mlp_extractor.policy_net.{2 * k}.bias"] = _f32(r, sizes[k + 1], scale=scale)
    sd["action_net.weight"] = _f32(r, HOPPER_ACT, sizes[-1], scale=scale)
    sd["action_net.bias"] = _f32(r, HOPPER_ACT, scale=scale)
    sd["log_std"] = np.full(HOPPER_ACT, log_std, np.float32) + _f32(r, HOPPER_ACT, scale=0.1)
    sd["value_net.weight"] = _f32(r, 1, sizes[-1])
    sd["value_net.bias"] = _f32(r, 1)
    data = {"policy_class": ACTOR_CRITIC_POLICY,
            "policy_kwargs": {"net_arch": dict(pi=list(hidden), vf=list(hidden)), "activation_fn": activation},
            **hopper_spaces(obs, high=high), "use_sde": False, "clip_range": 0.2, "n_epochs": 10}
    path.write_bytes(sb3_zip_bytes(data, sd))
    return sd


def sac_file(path, hidden=(8, 8), seed=0):
    r = np.random.default_rng(seed)
    sd = OrderedDict()
    sizes = (HOPPER_OBS, *hidden)
    for k in range(len(hidden)):
        sd[f"actor.latent_pi.{2 * k}.weight"] = _f32(r, sizes[k + 1], sizes[k])
        sd[f"actor.latent_pi.{2 * k}.bias"] = _f32(r, sizes[k + 1])
    sd["actor.mu.weight"] = _f32(r, HOPPER_ACT, sizes[-1])
    sd["actor.mu.bias"] = _f32(r, HOPPER_ACT)
    sd["actor.log_std.weight"] = _f32(r, HOPPER_ACT, sizes[-1], scale=0.3)
    sd["actor.log_std.bias"] = _f32(r, HOPPER_ACT, scale=1.0) - 1.0
    data = {"policy_class": SAC_POLICY, "policy_kwargs": {"net_arch": list(hidden), "use_sde": False,
                                                          "activation_fn": RELU},
            **hopper_spaces(), "use_sde": False, "ent_coef": "auto", "target_update_interval": 1}
    path.write_bytes(sb3_zip_bytes(data, sd))
    return sd


def vecnorm_file(path, dim=HOPPER_OBS, seed=0, clip=5.0, epsilon=1e-8):
    r = np.random.default_rng(seed)
    mean, var = r.normal(size=dim) * 0.5, r.uniform(0.05, 2.0, size=dim)
    path.write_bytes(vecnormalize_bytes(mean, var, 1e5, clip_obs=clip, epsilon=epsilon))
    return mean, var
