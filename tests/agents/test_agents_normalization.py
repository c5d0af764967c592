"""Frozen observation normalization: VecNormalize pickles and .npz read exactly, applied as SB3 applies it,
and pickles that name anything else refused without running."""

import math
import os
import pickle

import numpy as np
import pytest
from agent_writers import (ACTOR_CRITIC_POLICY, VECNORM_NAMES, RunningMeanStd, VecNormalize, dumps, sb3_zip_bytes,
                           vecnormalize_bytes)
from agent_references import OBS, ppo_state, rng, spaces_data

from policyscape.agents import describe, load_agent, mean_action
from policyscape.agents.normalization import load_obs_norm, normalize, read_npz, read_vecnormalize
from policyscape.errors import InputError


def stats(dim=OBS, seed=0):
    r = np.random.default_rng(seed)
    return r.normal(size=dim) * 3, r.uniform(0.01, 4.0, size=dim), 12345.0


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_vecnormalize_statistics_are_read_exactly(tmp_path, protocol):
    mean, var, count = stats()
    path = tmp_path / "vecnormalize.pkl"
    path.write_bytes(vecnormalize_bytes(mean, var, count, clip_obs=5.0, epsilon=1e-8, protocol=protocol))
    norm = read_vecnormalize(path)
    assert norm.mean.tobytes() == mean.tobytes() and norm.var.tobytes() == var.tobytes()
    assert (norm.clip, norm.epsilon, norm.count) == (5.0, 1e-8, count)


def test_normalization_is_applied_exactly_as_sb3_applies_it(tmp_path):
    """clip((o − mean)/√(var + ε), −clip, clip), element by element."""
    mean, var, count = stats()
    path = tmp_path / "vecnormalize.pkl"
    path.write_bytes(vecnormalize_bytes(mean, var, count, clip_obs=2.0, epsilon=1e-8))
    norm = read_vecnormalize(path)
    obs = np.random.default_rng(1).normal(size=(50, OBS)) * 6
    want = np.array([[min(max((o[i] - mean[i]) / math.sqrt(var[i] + 1e-8), -2.0), 2.0) for i in range(OBS)]
                     for o in obs])
    got = normalize(norm, obs)
    np.testing.assert_array_equal(got, want)
    assert (np.abs(got) == 2.0).any()  # the clip is exercised


def test_npz_statistics(tmp_path):
    mean, var, count = stats()
    path = tmp_path / "stats.npz"
    np.savez(path, mean=mean, var=var, clip=np.float64(10.0), epsilon=np.float64(1e-8))
    norm = load_obs_norm(path)
    assert norm.mean.tobytes() == mean.tobytes() and (norm.clip, norm.epsilon, norm.count) == (10.0, 1e-8, None)
    np.savez(path, mean=mean, var=var, clip=10.0)
    with pytest.raises(InputError, match="missing epsilon"):
        read_npz(path)
    np.savez(path, mean=mean, var=-var, clip=10.0, epsilon=1e-8)
    with pytest.raises(InputError, match="var ≥ 0"):
        read_npz(path)
    np.savez(path, mean=np.array(["a"], dtype=object), var=var, clip=10.0, epsilon=1e-8)
    with pytest.raises(InputError, match="not a readable .npz"):
        read_npz(path)
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(InputError):
        read_npz(tmp_path / "junk.npz")


def test_frozen_normalization_becomes_part_of_the_policy(tmp_path):
    mean, var, count = stats()
    norm_path = tmp_path / "vecnormalize.pkl"
    norm_path.write_bytes(vecnormalize_bytes(mean, var, count))
    agent = tmp_path / "ppo.zip"
    agent.write_bytes(sb3_zip_bytes({"policy_class": ACTOR_CRITIC_POLICY, "policy_kwargs": {}, **spaces_data(),
                                     "clip_range": 0.2}, ppo_state(rng())))
    plain, normed = load_agent(agent), load_agent(agent, obs_norm=norm_path)
    obs = np.random.default_rng(2).normal(size=(7, OBS)) * 4
    by_hand = np.clip((obs - mean) / np.sqrt(var + 1e-8), -10.0, 10.0)
    np.testing.assert_array_equal(mean_action(normed, obs), mean_action(plain, by_hand))
    assert "clip((o − mean)/√(var + 1e-08), ±10)" in describe(normed) and "12345 samples" in describe(normed)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, mean=np.zeros(3), var=np.ones(3), clip=10.0, epsilon=1e-8)
    with pytest.raises(InputError, match=r"have shape \(3,\) but the agent's observations have shape \(5,\)"):
        load_agent(agent, obs_norm=wrong)


class _Touch:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


class _Eval:
    def __reduce__(self):
        return (eval, ("__import__('os').system('touch pwned-by-eval')",))


def test_malicious_vecnormalize_is_refused_by_name_and_never_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "pwned"
    mean, var, count = stats()
    path = tmp_path / "vecnormalize.pkl"
    path.write_bytes(vecnormalize_bytes(mean, var, count, extra={"reset_infos": [{"x": _Touch(target)}]}))
    with pytest.raises(InputError, match=rf"vecnormalize\.pkl: refused {os.system.__module__}\.system.*nothing in the "
                                         "file was run"):
        read_vecnormalize(path)
    assert not target.exists()
    path.write_bytes(vecnormalize_bytes(mean, var, count, extra={"clip_obs": _Eval()}))
    with pytest.raises(InputError, match=r"refused builtins\.eval"):
        read_vecnormalize(path)
    assert not (tmp_path / "pwned-by-eval").exists()
    path.write_bytes(pickle.dumps(_Touch(target)))
    with pytest.raises(InputError, match="refused"):
        load_obs_norm(path)
    assert not target.exists()


def test_object_arrays_and_other_shapes_are_refused(tmp_path):
    path = tmp_path / "v.pkl"
    mean, var, count = stats()
    path.write_bytes(vecnormalize_bytes(mean, var, count, extra={"old_obs": np.array([object()], dtype=object)}))
    with pytest.raises(InputError, match=r"refused numpy\.dtype\('O8'\) \(object"):
        read_vecnormalize(path)
    path.write_bytes(vecnormalize_bytes(mean, var, count, extra={"norm_obs": False}))
    with pytest.raises(InputError, match="norm_obs=False"):
        read_vecnormalize(path)
    path.write_bytes(vecnormalize_bytes(mean, var, count, extra={"obs_rms": {"a": RunningMeanStd(mean, var, 1.0)}}))
    with pytest.raises(InputError, match="Dict observation space"):
        read_vecnormalize(path)
    path.write_bytes(vecnormalize_bytes(mean, var, count, extra={"obs_rms": RunningMeanStd(mean, [1.0] * OBS, 1.0)}))
    with pytest.raises(InputError, match="obs_rms.var is list"):
        read_vecnormalize(path)
    wrapper = VecNormalize()
    wrapper.__dict__.update({"obs_rms": RunningMeanStd(mean, var, 1.0)})
    path.write_bytes(dumps(wrapper, 4, rename=VECNORM_NAMES))
    with pytest.raises(InputError, match="has no clip_obs"):
        read_vecnormalize(path)
    path.write_bytes(pickle.dumps({"mean": mean}))
    with pytest.raises(InputError, match="expected a pickled VecNormalize"):
        read_vecnormalize(path)
    for raw in (b"", b"\x80\x04garbage", vecnormalize_bytes(mean, var, count)[:100]):
        path.write_bytes(raw)
        with pytest.raises(InputError):
            read_vecnormalize(path)
    with pytest.raises(InputError, match="cannot read"):
        read_vecnormalize(tmp_path / "missing.pkl")
