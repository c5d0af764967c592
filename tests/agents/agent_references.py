"""Shared test material: small SB3-shaped actors and hand-written forward passes, one observation at a time."""

from collections import OrderedDict

import numpy as np
from gymnasium import spaces

OBS, ACT = 5, 3
LOW = np.array([-1.0, -2.0, 0.0], np.float32)
HIGH = np.array([1.0, 0.5, 3.0], np.float32)


def rng(seed=0):
    return np.random.default_rng(seed)


def f32(r, *shape, scale=0.5):
    return (r.normal(size=shape) * scale).astype(np.float32)


def spaces_data(obs=OBS):
    return {"observation_space": spaces.Box(-np.inf, np.inf, (obs,), np.float32),
            "action_space": spaces.Box(LOW, HIGH, dtype=np.float32)}


# ---------------------------------------------------------------- hand-written references, one observation at a time


def ref_mlp(o, weights, biases, act):
    """h ← act(W h + b) through the hidden layers, then the linear output, written out per unit."""
    h = [float(x) for x in o]
    for k, (W, b) in enumerate(zip(weights, biases)):
        out = []
        for j in range(W.shape[0]):
            z = sum(float(W[j, i]) * h[i] for i in range(W.shape[1])) + (float(b[j]) if b is not None else 0.0)
            out.append(z if k == len(weights) - 1 else act(z))
        h = out
    return np.array(h)


relu = lambda z: max(z, 0.0)  # noqa: E731
tanh = np.tanh


def ppo_state(r, hidden=(8, 8), obs=OBS):
    sd = OrderedDict()
    sizes = (obs, *hidden)
    for k in range(len(hidden)):
        sd[f"mlp_extractor.policy_net.{2 * k}.weight"] = f32(r, sizes[k + 1], sizes[k])
        sd[f"mlp_extractor.policy_net.{2 * k}.bias"] = f32(r, sizes[k + 1])
    for k in range(len(hidden)):  # the critic, present in the file, unused
        sd[f"mlp_extractor.value_net.{2 * k}.weight"] = f32(r, sizes[k + 1], sizes[k])
        sd[f"mlp_extractor.value_net.{2 * k}.bias"] = f32(r, sizes[k + 1])
    sd["action_net.weight"] = f32(r, ACT, sizes[-1])
    sd["action_net.bias"] = f32(r, ACT)
    sd["log_std"] = f32(r, ACT)
    sd["value_net.weight"] = f32(r, 1, sizes[-1])
    sd["value_net.bias"] = f32(r, 1)
    return sd
