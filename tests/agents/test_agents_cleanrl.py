"""CleanRL agents (torch PPO Agent, torch TD3 actor, flax TD3/DDPG actor) against hand-written forward
passes, and the pure-Python msgpack subset against the msgpack package where it is installed."""

from collections import OrderedDict

import numpy as np
import pytest
from agent_writers import msgpack_bytes, torch_zip_bytes
from agent_references import ref_mlp, relu, tanh

from policyscape.agents import describe, deterministic_action, load_agent, log_std, mean_action
from policyscape.agents.cleanrl import load_cleanrl
from policyscape.agents.flax_msgpack import unpackb
from policyscape.errors import InputError

OBS, ACT = 4, 2


def f32(r, *shape):
    return (r.normal(size=shape) * 0.5).astype(np.float32)


def ppo_agent(r):
    """The state dict of ppo_continuous_action.py's Agent (critic first, as its __init__ builds it)."""
    sd = OrderedDict()
    for name, out in (("critic", 1), ("actor_mean", ACT)):
        sd[f"{name}.0.weight"], sd[f"{name}.0.bias"] = f32(r, 64, OBS), f32(r, 64)
        sd[f"{name}.2.weight"], sd[f"{name}.2.bias"] = f32(r, 64, 64), f32(r, 64)
        sd[f"{name}.4.weight"], sd[f"{name}.4.bias"] = f32(r, out, 64), f32(r, out)
    sd["actor_logstd"] = f32(r, 1, ACT)
    return sd


def test_cleanrl_ppo_agent(tmp_path):
    r = np.random.default_rng(0)
    sd = ppo_agent(r)
    path = tmp_path / "ppo_continuous_action.cleanrl_model"
    path.write_bytes(torch_zip_bytes(sd, root="ppo_continuous_action"))
    spec = load_agent(path, action_low=[-1, -0.5], action_high=[1, 0.5])
    assert spec.source == "cleanrl" and spec.activation == "tanh" and spec.num_params == 64 * 5 + 64 * 65 + 2 * 65 + 2
    obs = r.normal(size=(5, OBS))
    Ws = [sd[f"actor_mean.{k}.weight"] for k in (0, 2, 4)]
    bs = [sd[f"actor_mean.{k}.bias"] for k in (0, 2, 4)]
    mu = np.array([ref_mlp(o, Ws, bs, tanh) for o in obs])
    np.testing.assert_allclose(mean_action(spec, obs), mu, atol=1e-6, rtol=0)
    np.testing.assert_array_equal(log_std(spec, obs), np.repeat(sd["actor_logstd"].astype(np.float64), 5, axis=0))
    np.testing.assert_allclose(deterministic_action(spec, obs), np.clip(mu, [-1, -0.5], [1, 0.5]), atol=1e-6)
    assert "attach its statistics" in describe(spec)
    # gymnasium's NormalizeObservation (ε = 1e-8) + clip ±10, given as an .npz
    mean, var = r.normal(size=OBS), r.uniform(0.5, 2, size=OBS)
    np.savez(tmp_path / "obs_rms.npz", mean=mean, var=var, clip=10.0, epsilon=1e-8)
    normed = load_agent(path, obs_norm=tmp_path / "obs_rms.npz")
    by_hand = np.clip((obs - mean) / np.sqrt(var + 1e-8), -10, 10)
    np.testing.assert_allclose(mean_action(normed, obs), [ref_mlp(o, Ws, bs, tanh) for o in by_hand], atol=1e-6)
    without_bounds = load_agent(path)
    with pytest.raises(InputError, match="action bounds are not known"):
        deterministic_action(without_bounds, obs)


def test_cleanrl_td3_torch_actor(tmp_path):
    r = np.random.default_rng(1)
    actor = OrderedDict([("fc1.weight", f32(r, 16, OBS)), ("fc1.bias", f32(r, 16)), ("fc2.weight", f32(r, 16, 16)),
                         ("fc2.bias", f32(r, 16)), ("fc_mu.weight", f32(r, ACT, 16) * 4), ("fc_mu.bias", f32(r, ACT)),
                         ("action_scale", np.array([2.0, 0.5], np.float32)),
                         ("action_bias", np.array([1.0, 0.0], np.float32))])
    critic = OrderedDict([("fc1.weight", f32(r, 16, OBS + ACT))])
    path = tmp_path / "td3_continuous_action.cleanrl_model"
    path.write_bytes(torch_zip_bytes((actor, critic, critic)))
    spec = load_cleanrl(path)
    obs = r.normal(size=(6, OBS))
    mu = np.array([ref_mlp(o, [actor["fc1.weight"], actor["fc2.weight"], actor["fc_mu.weight"]],
                           [actor["fc1.bias"], actor["fc2.bias"], actor["fc_mu.bias"]], relu) for o in obs])
    want = np.tanh(mu) * np.array([2.0, 0.5]) + np.array([1.0, 0.0])  # CleanRL's Actor.forward
    np.testing.assert_allclose(deterministic_action(spec, obs), want, atol=1e-6, rtol=0)


def flax_actor(r, sizes=(OBS, 8, 8, ACT)):
    return {"params": {f"Dense_{k}": {"kernel": f32(r, sizes[k], sizes[k + 1]), "bias": f32(r, sizes[k + 1])}
                       for k in range(len(sizes) - 1)}}


@pytest.mark.parametrize("layout", ["current", "with-args"])
def test_cleanrl_flax_td3_actor(tmp_path, layout):
    r = np.random.default_rng(2)
    actor = flax_actor(r)
    qf = {"params": {"Dense_0": {"kernel": f32(r, OBS + ACT, 8), "bias": f32(r, 8)}}}
    state = {"0": actor, "1": qf, "2": qf}  # flax's to_state_dict of [actor_params, qf1_params, qf2_params]
    if layout == "with-args":  # older scripts: [vars(args), [actor_params, qf1_params, qf2_params]]
        state = {"0": {"env_id": "Hopper-v4", "seed": 1, "gamma": 0.99, "tau": 0.005}, "1": state}
    path = tmp_path / "td3_continuous_action_jax.cleanrl_model"
    path.write_bytes(msgpack_bytes(state))
    low, high = np.array([-1.0, 0.0]), np.array([1.0, 3.0])
    spec = load_agent(path, action_low=low, action_high=high)
    assert spec.source == "cleanrl (flax)" and spec.log_std == "none"
    obs = r.normal(size=(5, OBS))
    p = actor["params"]
    Ws = [p[f"Dense_{k}"]["kernel"].T for k in range(3)]  # flax kernels are [in, out]
    bs = [p[f"Dense_{k}"]["bias"] for k in range(3)]
    mu = np.array([ref_mlp(o, Ws, bs, relu) for o in obs])
    scale, bias = (high - low) / 2, (high + low) / 2
    np.testing.assert_allclose(deterministic_action(spec, obs), np.tanh(mu) * scale + bias, atol=1e-6, rtol=0)


def test_msgpack_subset_decodes_what_the_msgpack_package_writes():
    msgpack = pytest.importorskip("msgpack")
    r = np.random.default_rng(3)
    values = [None, True, False, 0, 127, 128, 255, 256, 65535, 65536, 2**32, 2**63 - 1, -1, -32, -33, -129, -32769,
              -(2**31) - 1, -(2**63), 0.5, -1e300, "", "x" * 31, "y" * 32, "z" * 256, "é" * 40000, b"", b"\x00" * 300,
              b"b" * 70000, list(range(20)), list(range(70000)), {str(i): i for i in range(20)},
              {"nested": {"a": [1, {"b": b"c"}]}}, float(r.normal())]
    for value in values:
        for single_float in (False, True) if not isinstance(value, float) or abs(value) < 1e38 else (False,):
            raw = msgpack.packb(value, use_bin_type=True, use_single_float=single_float)
            got = unpackb(raw)
            if single_float and isinstance(value, float):
                assert got == float(np.float32(value))
            else:
                assert got == value
    array = r.normal(size=(3, 4)).astype(np.float32)
    ext = msgpack.ExtType(1, msgpack.packb((array.shape, array.dtype.name, array.tobytes("C")), use_bin_type=True))
    got = unpackb(msgpack.packb({"params": {"kernel": ext}}, use_bin_type=True))
    assert got["params"]["kernel"].tobytes() == array.tobytes() and got["params"]["kernel"].shape == (3, 4)


def test_msgpack_refusals(tmp_path):
    good = msgpack_bytes({"0": flax_actor(np.random.default_rng(4))})
    for raw, message in ((good[:-3], "truncated"), (good + b"\x00", "bytes follow"),
                         (b"\x81\xa1a\xc1", "0xc1 at offset 3 is not msgpack"),
                         (b"\x81\xa1a\xd4\x07\x00", "ext type 7"),
                         (msgpack_bytes({"0": {"__msgpack_chunked_array__": 1}}), "chunked")):
        path = tmp_path / "x.cleanrl_model"
        path.write_bytes(raw)
        with pytest.raises(InputError, match=message):
            load_cleanrl(path)
    bad = np.zeros(2, np.float32)
    payload = msgpack_bytes([[3], "float32", bad.tobytes()])  # 3 elements announced, 2 given
    raw = b"\x81\xa1k\xc9" + len(payload).to_bytes(4, "big") + b"\x01" + payload
    with pytest.raises(InputError, match="has 8 bytes"):
        unpackb(raw, "short.msgpack")
    path = tmp_path / "nothing.cleanrl_model"
    path.write_bytes(msgpack_bytes({"0": {"params": {"LayerNorm_0": {}}}}))
    with pytest.raises(InputError, match="not a CleanRL flax actor"):
        load_cleanrl(path)
    path.write_bytes(b"\x00\x01garbage")
    with pytest.raises(InputError, match="not a CleanRL model"):
        load_cleanrl(path)
