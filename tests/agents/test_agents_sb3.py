"""Stable-Baselines3 / sb3-contrib zips: actions against hand-written forward passes, SAC squashing by
hand, what is inferred from the file, and refusals."""

import base64
import io
import json
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from agent_references import ACT, HIGH, LOW, OBS, f32, ppo_state, ref_mlp, relu, rng, spaces_data, tanh
from agent_writers import (ACTOR_CRITIC_POLICY, ADAM, ARS_LINEAR_POLICY, ARS_POLICY, ELU, RELU, SAC_POLICY, TANH,
                           TQC_POLICY, sb3_zip_bytes, torch_zip_bytes)
from gymnasium import spaces

from policyscape.agents import describe, deterministic_action, load_agent, load_sb3, log_std, mean_action
from policyscape.agents.sb3 import parse_numpy_str
from policyscape.errors import InputError


def write(tmp_path, name, data, state, **kw):
    path = tmp_path / name
    path.write_bytes(sb3_zip_bytes(data, state, **kw))
    return path


def ppo_refs(sd, o, act, n_hidden=2):
    Ws = [sd[f"mlp_extractor.policy_net.{2 * k}.weight"] for k in range(n_hidden)] + [sd["action_net.weight"]]
    bs = [sd[f"mlp_extractor.policy_net.{2 * k}.bias"] for k in range(n_hidden)] + [sd["action_net.bias"]]
    return ref_mlp(o, Ws, bs, act)


@pytest.mark.parametrize("activation, fn, kwargs_form", [
    (RELU, relu, "readable"), (TANH, tanh, "readable"), (ELU, lambda z: z if z > 0 else np.expm1(z), "readable"),
    (RELU, relu, "blob-only"), (None, tanh, "default"),
])
def test_ppo_mean_action_equals_a_hand_written_forward_pass(tmp_path, activation, fn, kwargs_form):
    r = rng(1)
    sd = ppo_state(r)
    kwargs = {"net_arch": dict(pi=[8, 8], vf=[8, 8]), "log_std_init": -0.5, "ortho_init": False,
              "optimizer_class": ADAM}
    if activation is not None:
        kwargs["activation_fn"] = activation
    else:
        kwargs = {}
    data = {"policy_class": ACTOR_CRITIC_POLICY, "policy_kwargs": kwargs, **spaces_data(), "use_sde": False,
            "clip_range": 0.2, "n_epochs": 10}
    path = write(tmp_path, "ppo.zip", data, sd)
    if kwargs_form == "blob-only":  # only the cloudpickle blob records activation_fn
        blob_only = json.loads(zipfile.ZipFile(path).read("data"))
        del blob_only["policy_kwargs"]["activation_fn"]
        _rewrite_member(path, "data", json.dumps(blob_only).encode())
    spec = load_sb3(path)
    assert spec.algorithm == "PPO" and spec.source == "stable-baselines3"
    obs = rng(2).normal(size=(6, OBS)) * 2
    want = np.array([ppo_refs(sd, o, fn) for o in obs])
    np.testing.assert_allclose(mean_action(spec, obs), want, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(log_std(spec, obs), np.broadcast_to(sd["log_std"].astype(np.float64), (6, ACT)))
    np.testing.assert_allclose(deterministic_action(spec, obs), np.clip(want, LOW, HIGH), rtol=0, atol=1e-6)
    assert mean_action(spec, obs[0]).shape == (ACT,)


def _rewrite_member(path, member, raw):
    with zipfile.ZipFile(path) as src:
        members = {n: src.read(n) for n in src.namelist()}
    members[member] = raw
    with zipfile.ZipFile(path, "w") as dst:
        for name, value in members.items():
            dst.writestr(name, value)


@pytest.mark.parametrize("extra, algorithm", [({"clip_range": 0.2}, "PPO"), ({}, "A2C"),
                                               ({"cg_max_steps": 15, "target_kl": 0.01}, "TRPO")])
def test_on_policy_algorithm_is_inferred_from_the_saved_settings(tmp_path, extra, algorithm):
    data = {"policy_class": ACTOR_CRITIC_POLICY, "policy_kwargs": {}, **spaces_data(), "n_steps": 5, **extra}
    spec = load_sb3(write(tmp_path, "m.zip", data, ppo_state(rng())))
    assert spec.algorithm == algorithm
    assert spec.source == ("sb3-contrib" if algorithm == "TRPO" else "stable-baselines3")
    assert load_sb3(tmp_path / "m.zip", algorithm="a2c").algorithm == "A2C"
    with pytest.raises(InputError, match="parameters are those of"):
        load_sb3(tmp_path / "m.zip", algorithm="SAC")


def test_old_shared_layers_come_first(tmp_path):
    r = rng(3)
    sd = OrderedDict([("mlp_extractor.shared_net.0.weight", f32(r, 6, OBS)), ("mlp_extractor.shared_net.0.bias",
                                                                               f32(r, 6)),
                      ("mlp_extractor.policy_net.0.weight", f32(r, 4, 6)), ("mlp_extractor.policy_net.0.bias",
                                                                             f32(r, 4)),
                      ("action_net.weight", f32(r, ACT, 4)), ("action_net.bias", f32(r, ACT)),
                      ("log_std", f32(r, ACT))])
    data = {"policy_class": ACTOR_CRITIC_POLICY, "policy_kwargs": {"net_arch": [6, {"pi": [4], "vf": [4]}]},
            **spaces_data(), "clip_range": 0.1}
    spec = load_sb3(write(tmp_path, "old.zip", data, sd))
    o = rng(4).normal(size=OBS)
    want = ref_mlp(o, [sd["mlp_extractor.shared_net.0.weight"], sd["mlp_extractor.policy_net.0.weight"],
                       sd["action_net.weight"]],
                   [sd["mlp_extractor.shared_net.0.bias"], sd["mlp_extractor.policy_net.0.bias"],
                    sd["action_net.bias"]], tanh)
    np.testing.assert_allclose(mean_action(spec, o), want, atol=1e-6, rtol=0)


def sac_state(r, hidden=(8, 8), critic_out=1):
    sd = OrderedDict()
    sizes = (OBS, *hidden)
    for k in range(len(hidden)):
        sd[f"actor.latent_pi.{2 * k}.weight"] = f32(r, sizes[k + 1], sizes[k])
        sd[f"actor.latent_pi.{2 * k}.bias"] = f32(r, sizes[k + 1])
    sd["actor.mu.weight"] = f32(r, ACT, sizes[-1])
    sd["actor.mu.bias"] = f32(r, ACT)
    sd["actor.log_std.weight"] = f32(r, ACT, sizes[-1], scale=3.0)
    sd["actor.log_std.bias"] = f32(r, ACT, scale=10.0)
    sd["critic.qf0.0.weight"] = f32(r, 8, OBS + ACT)
    sd["critic.qf0.0.bias"] = f32(r, 8)
    sd["critic.qf0.2.weight"] = f32(r, critic_out, 8)
    sd["critic_target.qf0.0.weight"] = f32(r, 8, OBS + ACT)
    return sd


@pytest.mark.parametrize("policy, extra, algorithm", [(SAC_POLICY, {"target_update_interval": 1}, "SAC"),
                                                      (TQC_POLICY, {"top_quantiles_to_drop_per_net": 2}, "TQC")])
def test_sac_and_tqc_actor_against_a_hand_written_forward_pass(tmp_path, policy, extra, algorithm):
    r = rng(5)
    sd = sac_state(r, critic_out=25 if algorithm == "TQC" else 1)
    data = {"policy_class": policy, "policy_kwargs": {"net_arch": [8, 8], "use_sde": False}, **spaces_data(),
            "use_sde": False, "ent_coef": "auto", **extra}
    spec = load_sb3(write(tmp_path, "sac.zip", data, sd))
    assert spec.algorithm == algorithm and spec.activation == "relu"
    obs = rng(6).normal(size=(20, OBS)) * 3
    Ws = [sd["actor.latent_pi.0.weight"], sd["actor.latent_pi.2.weight"]]
    bs = [sd["actor.latent_pi.0.bias"], sd["actor.latent_pi.2.bias"]]
    mu = np.array([ref_mlp(o, Ws + [sd["actor.mu.weight"]], bs + [sd["actor.mu.bias"]], relu) for o in obs])
    raw_log_std = np.array([ref_mlp(o, Ws + [sd["actor.log_std.weight"]], bs + [sd["actor.log_std.bias"]], relu)
                            for o in obs])
    np.testing.assert_allclose(mean_action(spec, obs), mu, atol=1e-6, rtol=0)
    got = log_std(spec, obs)
    np.testing.assert_allclose(got, np.clip(raw_log_std, -20, 2), atol=1e-6, rtol=0)
    assert (raw_log_std > 2).any() and (raw_log_std < -20).any() and (got == 2).any() and (got == -20).any()
    scaled = np.tanh(mu)
    want = LOW + 0.5 * (scaled + 1.0) * (HIGH - LOW)
    np.testing.assert_allclose(deterministic_action(spec, obs), want, atol=1e-6, rtol=0)


def test_sac_squashing_and_rescaling_by_hand(tmp_path):
    """One hidden unit, weights chosen so that μ = atanh(0.5), 0 and atanh(−0.8) exactly:
    tanh gives 0.5, 0, −0.8, and [low, high] = [−2, 4], [0, 1], [−1, 1] give
    −2 + 0.5·1.5·6 = 2.5,  0 + 0.5·1·1 = 0.5,  −1 + 0.5·0.2·2 = −0.8."""
    sd = OrderedDict([
        ("actor.latent_pi.0.weight", np.zeros((1, 2), np.float32)),
        ("actor.latent_pi.0.bias", np.ones(1, np.float32)),       # h = relu(1) = 1 for every observation
        ("actor.mu.weight", np.zeros((3, 1), np.float32)),
        ("actor.mu.bias", np.array([np.arctanh(0.5), 0.0, np.arctanh(-0.8)], np.float32)),
        ("actor.log_std.weight", np.zeros((3, 1), np.float32)),
        ("actor.log_std.bias", np.array([5.0, -30.0, 0.25], np.float32)),
    ])
    data = {"policy_class": SAC_POLICY, "policy_kwargs": {"net_arch": [1]},
            "observation_space": spaces.Box(-1, 1, (2,), np.float32),
            "action_space": spaces.Box(np.array([-2, 0, -1], np.float32), np.array([4, 1, 1], np.float32)),
            "use_sde": False, "target_update_interval": 1}
    spec = load_sb3(write(tmp_path, "sac1.zip", data, sd))
    obs = np.array([[0.3, -0.7], [1.0, 1.0]])
    np.testing.assert_allclose(deterministic_action(spec, obs), [[2.5, 0.5, -0.8]] * 2, atol=1e-6, rtol=0)
    np.testing.assert_allclose(log_std(spec, obs), [[2.0, -20.0, 0.25]] * 2, atol=1e-7, rtol=0)
    assert "tanh, then rescaled" in describe(spec) and "clamped to [-20, 2]" in describe(spec)


def test_gsde_actors(tmp_path):
    r = rng(8)
    # PPO with gSDE and squash_output: mean through tanh and rescale; σ² = (h²)·exp(log_std)² + ε
    sd = ppo_state(r)
    sd["log_std"] = f32(r, 8, ACT)
    data = {"policy_class": ACTOR_CRITIC_POLICY,
            "policy_kwargs": {"net_arch": dict(pi=[8, 8], vf=[8, 8]), "squash_output": True, "use_expln": False,
                              "full_std": True},
            **spaces_data(), "use_sde": True, "clip_range": 0.2}
    spec = load_sb3(write(tmp_path, "gsde.zip", data, sd))
    assert spec.log_std == "gsde" and spec.squash
    o = rng(9).normal(size=OBS)
    mu = ppo_refs(sd, o, tanh)
    np.testing.assert_allclose(deterministic_action(spec, o), LOW + 0.5 * (np.tanh(mu) + 1) * (HIGH - LOW), atol=1e-6)
    Ws = [sd["mlp_extractor.policy_net.0.weight"], sd["mlp_extractor.policy_net.2.weight"]]
    h = ref_mlp(o, Ws + [np.eye(8)], [sd["mlp_extractor.policy_net.0.bias"], sd["mlp_extractor.policy_net.2.bias"],
                                      np.zeros(8)], tanh)
    std_w = np.exp(sd["log_std"].astype(np.float64))
    var = np.array([sum(h[i] ** 2 * std_w[i, j] ** 2 for i in range(8)) for j in range(ACT)])
    np.testing.assert_allclose(log_std(spec, o), 0.5 * np.log(var + 1e-6), atol=1e-6)

    # SAC with gSDE: mu is Sequential(Linear, Hardtanh(±clip_mean)); log_std [latent, 1] (full_std=False) with expln
    sd = sac_state(r)
    mu_w, mu_b = sd.pop("actor.mu.weight") * 10, sd.pop("actor.mu.bias")
    del sd["actor.log_std.weight"], sd["actor.log_std.bias"]
    sd["actor.mu.0.weight"], sd["actor.mu.0.bias"] = mu_w, mu_b
    sd["actor.log_std"] = np.array([[-1.0], [0.5], [2.0], [-3.0], [0.0], [1.0], [0.1], [-0.2]], np.float32)
    data = {"policy_class": SAC_POLICY, "policy_kwargs": {"use_sde": True, "clip_mean": 1.5, "use_expln": True,
                                                          "full_std": False}, **spaces_data(), "use_sde": True}
    spec = load_sb3(write(tmp_path, "sac_gsde.zip", data, sd))
    obs = rng(10).normal(size=(4, OBS)) * 3
    Ws = [sd["actor.latent_pi.0.weight"], sd["actor.latent_pi.2.weight"]]
    bs = [sd["actor.latent_pi.0.bias"], sd["actor.latent_pi.2.bias"]]
    mu = np.clip([ref_mlp(o, Ws + [mu_w], bs + [mu_b], relu) for o in obs], -1.5, 1.5)
    assert (np.abs(mu) == 1.5).any()
    np.testing.assert_allclose(mean_action(spec, obs), mu, atol=1e-6)
    log_w = sd["actor.log_std"][:, 0].astype(np.float64)
    expln = np.array([np.exp(v) if v <= 0 else np.log1p(v + 1e-6) + 1 for v in log_w])
    h = np.array([ref_mlp(o, Ws + [np.eye(8)], bs + [np.zeros(8)], relu) for o in obs])
    var = (h**2 @ expln**2)[:, None] * np.ones(ACT)
    np.testing.assert_allclose(log_std(spec, obs), 0.5 * np.log(var + 1e-6), atol=1e-6)


@pytest.mark.parametrize("policy, with_bias, squash", [(ARS_LINEAR_POLICY, False, False), (ARS_POLICY, True, True)])
def test_ars_policies(tmp_path, policy, with_bias, squash):
    r = rng(11)
    sd = OrderedDict()
    sizes = (OBS, ACT) if policy is ARS_LINEAR_POLICY else (OBS, 6, ACT)
    for k in range(len(sizes) - 1):
        sd[f"action_net.{2 * k}.weight"] = f32(r, sizes[k + 1], sizes[k], scale=2.0)
        if with_bias:
            sd[f"action_net.{2 * k}.bias"] = f32(r, sizes[k + 1])
    kwargs = {} if policy is ARS_LINEAR_POLICY else {"net_arch": [6]}
    data = {"policy_class": policy, "policy_kwargs": kwargs, **spaces_data(), "n_delta": 8, "n_top": 4}
    spec = load_sb3(write(tmp_path, "ars.zip", data, sd))
    assert spec.algorithm == "ARS" and spec.squash is squash and spec.log_std == "none"
    obs = rng(12).normal(size=(5, OBS))
    Ws = [sd[f"action_net.{2 * k}.weight"] for k in range(len(sizes) - 1)]
    bs = [sd.get(f"action_net.{2 * k}.bias") for k in range(len(sizes) - 1)]
    mu = np.array([ref_mlp(o, Ws, bs, relu) for o in obs])
    want = LOW + 0.5 * (np.tanh(mu) + 1) * (HIGH - LOW) if squash else np.clip(mu, LOW, HIGH)
    np.testing.assert_allclose(deterministic_action(spec, obs), want, atol=1e-6)
    with pytest.raises(InputError, match="deterministic actor"):
        log_std(spec, obs)


def test_action_bounds_are_read_exactly_from_the_readable_json(tmp_path):
    low = np.array([-0.4, -1e-3, -3.14159274, -1.0], np.float32)
    high = np.array([0.4, 1e-3, 3.14159274, 2.0], np.float32)
    sd = ppo_state(rng())
    sd["action_net.weight"], sd["action_net.bias"], sd["log_std"] = f32(rng(), 4, 8), f32(rng(), 4), f32(rng(), 4)
    data = {"policy_class": ACTOR_CRITIC_POLICY, "policy_kwargs": {},
            "observation_space": spaces.Box(-np.inf, np.inf, (OBS,), np.float32),
            "action_space": spaces.Box(low, high, dtype=np.float32), "clip_range": 0.2}
    spec = load_sb3(write(tmp_path, "b.zip", data, sd))
    assert spec.action_low.tobytes() == low.tobytes() and spec.action_high.tobytes() == high.tobytes()
    np.testing.assert_array_equal(parse_numpy_str("[-inf  1.5 -0. ]", "x"), [-np.inf, 1.5, 0.0])
    with pytest.raises(InputError, match="summarized"):
        parse_numpy_str("[0. 0. 0. ... 0. 0. 0.]", "x")


def test_describe_says_what_was_loaded(tmp_path):
    sd = ppo_state(rng())
    data = {"policy_class": ACTOR_CRITIC_POLICY, "policy_kwargs": {"activation_fn": RELU, "net_arch": [8, 8]},
            **spaces_data(), "clip_range": 0.2}
    spec = load_agent(write(tmp_path, "ppo-Hopper-v3.zip", data, sd))
    text = describe(spec)
    n_actor = 8 * 5 + 8 + 8 * 8 + 8 + 3 * 8 + 3 + 3
    for expected in ("PPO (stable-baselines3)", "5 → 8 → 8 → 3", f"{n_actor} in the actor",
                     "relu", "state-independent log σ", "actions clipped", "low [-1, -2, 0], high [1, 0.5, 3]",
                     "normalization none", "stable-baselines3 2.3.2",
                     "stable_baselines3.common.policies.ActorCriticPolicy"):
        assert expected in text, expected


# ---------------------------------------------------------------- refusals and safety


class _Touch:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


def test_cloudpickle_blobs_in_data_are_never_unpickled(tmp_path):
    """Blobs that would create a file if unpickled: the agent loads, the names come from the opcodes,
    and no file appears."""
    target = tmp_path / "pwned"
    evil = pickle.dumps({"net_arch": [8, 8], "activation_fn": _Touch(target)}, protocol=5)
    data = {"policy_class": ACTOR_CRITIC_POLICY, "policy_kwargs": {"net_arch": [8, 8], "activation_fn": RELU},
            **spaces_data(), "clip_range": 0.2, "lr_schedule": _Touch(target)}
    path = write(tmp_path, "blobs.zip", data, ppo_state(rng()),
                 blob={"lr_schedule": pickle.dumps(_Touch(target)), "policy_kwargs": evil})
    spec = load_sb3(path)
    assert spec.activation == "relu"  # from the readable field
    assert not target.exists()
    # without the readable field, the blob's opcodes name posix.system, which is no activation: the default is used
    blob_only = json.loads(zipfile.ZipFile(path).read("data"))
    del blob_only["policy_kwargs"]["activation_fn"]
    _rewrite_member(path, "data", json.dumps(blob_only).encode())
    assert load_sb3(path).activation == "tanh"
    assert not target.exists()


def test_malicious_policy_pth_is_refused_by_name(tmp_path):
    target = tmp_path / "pwned"
    evil = torch_zip_bytes(OrderedDict())
    with zipfile.ZipFile(io.BytesIO(evil)) as src:
        members = {n: src.read(n) for n in src.namelist()}
    members["archive/data.pkl"] = pickle.dumps(OrderedDict([("log_std", _Touch(target))]), protocol=2)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for name, raw in members.items():
            dst.writestr(name, raw)
    data = {"policy_class": ACTOR_CRITIC_POLICY, "policy_kwargs": {}, **spaces_data(), "clip_range": 0.2}
    path = write(tmp_path, "evil.zip", data, {}, policy_pth=buf.getvalue())
    with pytest.raises(InputError, match=rf"evil\.zip \(policy\.pth\): refused {os.system.__module__}\.system"):
        load_agent(path)
    assert not target.exists()


def test_malformed_and_unsupported_files_are_input_errors(tmp_path):
    data = {"policy_class": ACTOR_CRITIC_POLICY, "policy_kwargs": {}, **spaces_data(), "clip_range": 0.2}
    good = sb3_zip_bytes(data, ppo_state(rng()))
    cases = {
        "garbage.zip": b"PK\x03\x04 garbage",
        "truncated.zip": good[: len(good) // 3],
        "empty.zip": b"",
    }
    for name, raw in cases.items():
        (tmp_path / name).write_bytes(raw)
        with pytest.raises(InputError):
            load_agent(tmp_path / name)
        with pytest.raises(InputError):
            load_sb3(tmp_path / name)
    path = tmp_path / "m.zip"

    def variant(mutate_data=None, state=None, **kw):
        d = dict(data)
        if mutate_data:
            mutate_data(d)
        path.write_bytes(sb3_zip_bytes(d, ppo_state(rng()) if state is None else state, **kw))
        return path

    with pytest.raises(InputError, match="not JSON"):
        path.write_bytes(good)
        _rewrite_member(path, "data", b"{not json")
        load_sb3(path)
    with pytest.raises(InputError, match="no policy.pth"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("data", "{}")
        path.write_bytes(buf.getvalue())
        load_sb3(path)
    with pytest.raises(InputError, match="expected a gymnasium Box"):
        load_sb3(variant(lambda d: d.update(action_space=spaces.Discrete(3))))
    with pytest.raises(InputError, match=r"net_arch says \[64, 64\]"):
        load_sb3(variant(lambda d: d.update(policy_kwargs={"net_arch": dict(pi=[64, 64], vf=[64])})))
    with pytest.raises(InputError, match="activation torch.nn.modules.activation.GELU is not supported"):
        load_sb3(variant(lambda d: d.update(policy_kwargs={"activation_fn": _gelu()})))
    sd = ppo_state(rng())
    sd["features_extractor.cnn.0.weight"] = np.zeros((2, 2), np.float32)
    with pytest.raises(InputError, match="features extractor"):
        load_sb3(variant(state=sd))
    sd = ppo_state(rng())
    sd["mlp_extractor.policy_net.1.weight"] = np.ones(8, np.float32)  # a LayerNorm between the layers
    with pytest.raises(InputError, match="not a Linear layer"):
        load_sb3(variant(state=sd))
    with pytest.raises(InputError, match="match no supported SB3 policy"):
        load_sb3(variant(state=OrderedDict([("q_net.0.weight", np.zeros((2, 2), np.float32))])))
    sd = ppo_state(rng(), obs=4)
    with pytest.raises(InputError, match="layer 0 takes 4 inputs but gets 5"):
        load_sb3(variant(state=sd))


def _gelu():
    from agent_writers import fake_global

    return fake_global("torch.nn.modules.activation.GELU")


def test_blob_is_base64_checked(tmp_path):
    data = {"policy_class": ACTOR_CRITIC_POLICY, "policy_kwargs": {"activation_fn": RELU}, **spaces_data(),
            "clip_range": 0.2}
    path = write(tmp_path, "b64.zip", data, ppo_state(rng()))
    broken = json.loads(zipfile.ZipFile(path).read("data"))
    broken["policy_class"][":serialized:"] = "%%% not base64"
    _rewrite_member(path, "data", json.dumps(broken).encode())
    with pytest.raises(InputError, match="not base64"):
        load_sb3(path)
    ok = json.loads(zipfile.ZipFile(path).read("data"))
    ok["policy_class"][":serialized:"] = base64.b64encode(b"\x80\x05garbage").decode()
    _rewrite_member(path, "data", json.dumps(ok).encode())
    with pytest.raises(InputError, match="not a readable pickle"):
        load_sb3(path)


def test_ars_linear_policy_of_sb3_contrib_before_1_7(tmp_path):
    """Then ARSLinearPolicy's action_net was a bare nn.Linear: the only key is action_net.weight."""
    W = f32(rng(13), ACT, OBS, scale=2.0)
    data = {"policy_class": ARS_LINEAR_POLICY, "policy_kwargs": {}, **spaces_data(), "n_delta": 1, "n_top": 1}
    spec = load_sb3(write(tmp_path, "ars_old.zip", data, OrderedDict([("action_net.weight", W)])))
    assert spec.algorithm == "ARS" and not spec.layers and not spec.squash
    obs = rng(14).normal(size=(4, OBS))
    want = np.clip([ref_mlp(o, [W], [None], relu) for o in obs], LOW, HIGH)
    np.testing.assert_allclose(deterministic_action(spec, obs), want, atol=1e-6)
