"""Agents trained elsewhere through the policy seam and the objectives: actions against hand-written forward
passes, normalization as SB3 applies it, SAC squashing by hand, the sampled objective against an independent
Gymnasium loop, the CLI (--at AGENT, --obs-norm, inspect, refusals with exit code 2) and the JAX-apply family."""

import dataclasses
import io
import json
import math
import os
import pickle
import zipfile
from collections import OrderedDict

import gymnasium
import numpy as np
import pytest
from agent_files import HOPPER_ACT, HOPPER_OBS, ppo_file, sac_file, vecnorm_file
from agent_references import ACT, HIGH, LOW, OBS, f32, ref_mlp, relu, rng, spaces_data
from agent_writers import SAC_POLICY, msgpack_bytes, sb3_zip_bytes, vecnormalize_bytes

from policyscape.agents import deterministic_action, load_agent, log_std, mean_action
from policyscape.cli import main
from policyscape.errors import InputError
from policyscape.objectives.registry import AgentRef, Sampling, make_objective
from policyscape.objectives.sampled import episode_seed_sequence
from policyscape.policies.agent import AgentPolicy


def ppo_refs(sd, o, act, n_hidden=2):
    Ws = [sd[f"mlp_extractor.policy_net.{2 * k}.weight"] for k in range(n_hidden)] + [sd["action_net.weight"]]
    bs = [sd[f"mlp_extractor.policy_net.{2 * k}.bias"] for k in range(n_hidden)] + [sd["action_net.bias"]]
    return ref_mlp(o, Ws, bs, act)


def sb3_normalize_by_hand(o, mean, var, clip, eps=1e-8):
    return np.array([min(max((o[i] - mean[i]) / math.sqrt(var[i] + eps), -clip), clip) for i in range(len(o))])


@pytest.fixture
def agents(tmp_path):
    paths = {"ppo": tmp_path / "ppo.zip", "ppo2": tmp_path / "ppo2.zip", "sac": tmp_path / "sac.zip",
             "wide": tmp_path / "wide.zip", "vn": tmp_path / "vecnormalize.pkl"}
    sds = {"ppo": ppo_file(paths["ppo"]), "ppo2": ppo_file(paths["ppo2"], seed=1), "sac": sac_file(paths["sac"])}
    ppo_file(paths["wide"], hidden=(16, 8))
    stats = vecnorm_file(paths["vn"], clip=2.0)
    return paths, sds, stats


# ---------------------------------------------------------------- the policy seam against hand-written references


def test_loaded_actions_equal_a_hand_written_forward_pass_with_sb3_normalization(agents):
    paths, sds, (mean, var) = agents
    policy = AgentPolicy(load_agent(paths["ppo"], obs_norm=paths["vn"]), "own")
    other = policy.theta_of(load_agent(paths["ppo2"]))
    thetas = np.stack([policy.theta0, other])
    obs = rng(3).normal(size=(2, 5, HOPPER_OBS)) * 4
    noise = rng(4).normal(size=(2, 5, HOPPER_ACT))
    got_mode, got_act = policy.mode(thetas, obs), policy.act(thetas, obs, noise)
    normalized = [[sb3_normalize_by_hand(o, mean, var, 2.0) for o in row] for row in obs]
    assert (np.abs(np.array(normalized)) == 2.0).any()  # the clip is exercised
    for b, sd in enumerate((sds["ppo"], sds["ppo2"])):
        sigma = np.exp(sd["log_std"].astype(np.float64))
        for e in range(5):
            mu = ppo_refs(sd, normalized[b][e], np.tanh)
            np.testing.assert_allclose(got_mode[b, e], mu, rtol=0, atol=1e-6)
            np.testing.assert_allclose(got_act[b, e], mu + sigma * noise[b, e], rtol=0, atol=1e-6)
    # and the agents package's own numpy reference forward pass, through the seam (the engine clips)
    np.testing.assert_allclose(np.clip(got_mode[0], -1, 1), deterministic_action(policy.spec, obs[0]), atol=1e-12)


def test_layout_is_the_loaded_weights_per_layer(agents):
    paths, sds, _ = agents
    policy = AgentPolicy(load_agent(paths["ppo"]), "own")
    p = policy.layout.unravel(policy.theta0)
    sd = sds["ppo"]
    np.testing.assert_array_equal(p["hidden_0.weight"], sd["mlp_extractor.policy_net.0.weight"].T)
    np.testing.assert_array_equal(p["hidden_1.bias"], sd["mlp_extractor.policy_net.2.bias"])
    np.testing.assert_array_equal(p["mu.weight"], sd["action_net.weight"].T)
    np.testing.assert_array_equal(p["log_std"], sd["log_std"])
    # one filter per output unit of each weight, each bias and log σ a filter of its own
    assert len(policy.layout.filter_groups()) == (8 + 1) + (8 + 1) + (3 + 1) + 1
    fixed = AgentPolicy(load_agent(paths["ppo"]), "fixed")
    assert "log_std" not in fixed.layout.names and fixed.num_params == policy.num_params - HOPPER_ACT


def test_sac_squashing_and_rescaling_by_hand_through_the_policy(tmp_path):
    r = rng(5)
    sd = OrderedDict()
    for k, (n_in, n_out) in enumerate([(OBS, 8), (8, 8)]):
        sd[f"actor.latent_pi.{2 * k}.weight"] = f32(r, n_out, n_in)
        sd[f"actor.latent_pi.{2 * k}.bias"] = f32(r, n_out)
    sd["actor.mu.weight"], sd["actor.mu.bias"] = f32(r, ACT, 8), f32(r, ACT)
    sd["actor.log_std.weight"], sd["actor.log_std.bias"] = f32(r, ACT, 8, scale=3.0), f32(r, ACT, scale=10.0)
    data = {"policy_class": SAC_POLICY, "policy_kwargs": {"net_arch": [8, 8], "use_sde": False}, **spaces_data(),
            "use_sde": False, "target_update_interval": 1}
    path = tmp_path / "sac.zip"
    path.write_bytes(sb3_zip_bytes(data, sd))
    policy = AgentPolicy(load_agent(path), "own")
    obs = rng(6).normal(size=(1, 20, OBS)) * 3
    noise = rng(7).normal(size=(1, 20, ACT))
    Ws = [sd["actor.latent_pi.0.weight"], sd["actor.latent_pi.2.weight"]]
    bs = [sd["actor.latent_pi.0.bias"], sd["actor.latent_pi.2.bias"]]
    want_mode, want_act, clamped = [], [], []
    for o, eps in zip(obs[0], noise[0]):
        mu = ref_mlp(o, Ws + [sd["actor.mu.weight"]], bs + [sd["actor.mu.bias"]], relu)
        raw = ref_mlp(o, Ws + [sd["actor.log_std.weight"]], bs + [sd["actor.log_std.bias"]], relu)
        ls = np.array([min(max(v, -20.0), 2.0) for v in raw])
        clamped.append(ls != raw)
        want_mode.append([LOW[j] + 0.5 * (math.tanh(mu[j]) + 1) * (HIGH[j] - LOW[j]) for j in range(ACT)])
        want_act.append([LOW[j] + 0.5 * (math.tanh(mu[j] + math.exp(ls[j]) * eps[j]) + 1) * (HIGH[j] - LOW[j])
                         for j in range(ACT)])
    assert np.any(clamped)
    np.testing.assert_allclose(policy.mode(policy.theta0[None], obs)[0], want_mode, rtol=0, atol=1e-6)
    np.testing.assert_allclose(policy.act(policy.theta0[None], obs, noise)[0], want_act, rtol=0, atol=1e-6)
    # --sigma 0: the deterministic action SB3's predict returns
    fixed = AgentPolicy(load_agent(path), "fixed")
    np.testing.assert_allclose(fixed.act(fixed.theta0[None], obs, noise, 0.0)[0],
                               deterministic_action(fixed.spec, obs[0]), rtol=0, atol=1e-12)
    # log-prob of a squashed action: the change of variables, checked against a numerical density of tanh(u)
    a = policy.act(policy.theta0[None], obs, noise)
    lp = policy.log_prob(policy.theta0[None], obs, a)
    mu_, ls_ = mean_action(policy.spec, obs[0]), log_std(policy.spec, obs[0])
    u = mu_ + np.exp(ls_) * noise[0]
    jac = np.log((1 - np.tanh(u) ** 2) * 0.5 * (HIGH - LOW)).sum(-1)
    gauss = (-0.5 * noise[0] ** 2 - ls_ - 0.5 * math.log(2 * math.pi)).sum(-1)
    ok = np.all(np.abs(np.tanh(u)) < 0.999, axis=-1)  # away from the float32 edge of tanh
    np.testing.assert_allclose(lp[0][ok], (gauss - jac)[ok], rtol=1e-6, atol=1e-6)


def test_gsde_own_distribution_is_refused_with_the_reason(agents):
    paths, _, _ = agents
    spec = load_agent(paths["ppo"])
    gsde = dataclasses.replace(spec, log_std="gsde", log_std_param=np.zeros((8, HOPPER_ACT), np.float32))
    with pytest.raises(InputError, match=r"gSDE \(a noise matrix drawn per episode.*--sigma X"):
        AgentPolicy(gsde, "own")
    assert AgentPolicy(gsde, "fixed").num_params == spec.num_params - HOPPER_ACT


# ---------------------------------------------------------------- the sampled objective against an independent loop


def _gym_returns(env_id, E, seed, T, action_of):
    env = gymnasium.make(env_id, max_episode_steps=T)
    G, steps = [], 0
    for k in range(E):
        reset_seed, noise = episode_seed_sequence(seed, k)
        obs, _ = env.reset(seed=reset_seed)
        g = 0.0
        for _ in range(T):
            obs, r, term, trunc, _ = env.step(np.clip(action_of(obs, noise.standard_normal(HOPPER_ACT)), -1, 1))
            g += r
            steps += 1
            if term or trunc:
                break
        G.append(g)
    env.close()
    return np.array(G), steps


def test_sampled_objective_equals_an_independent_gymnasium_loop_on_hopper(agents):
    paths, _, _ = agents
    E, T, seed = 4, 200, 3
    sampling = Sampling(sigma=None, episodes=E, seed=seed, max_steps=T)
    obj = make_objective("Hopper-v5", sampling=sampling, agent=AgentRef.of(paths["ppo"], paths["vn"]))
    out = obj.evaluate(obj.policy.theta0)
    spec = load_agent(paths["ppo"], obs_norm=paths["vn"])  # the agents package's numpy reference
    G, steps = _gym_returns("Hopper-v5", E, seed, T,
                            lambda o, eps: mean_action(spec, o) + np.exp(log_std(spec, o)) * eps)
    np.testing.assert_allclose(out["return"][0], G.mean(), rtol=1e-9, atol=1e-9)
    assert out["env_steps"][0] == steps and steps > E

    # SAC's mean action under a fixed σ (the paper's knob): tanh(μ + σε), rescaled (here to [−1, 1])
    sampling = Sampling(sigma=0.3, episodes=E, seed=seed, max_steps=T)
    obj = make_objective("Hopper-v5", sampling=sampling, agent=AgentRef.of(paths["sac"]))
    out = obj.evaluate(obj.policy.theta0)
    spec = load_agent(paths["sac"])
    G, steps = _gym_returns("Hopper-v5", E, seed, T, lambda o, eps: np.tanh(mean_action(spec, o) + 0.3 * eps))
    np.testing.assert_allclose(out["return"][0], G.mean(), rtol=1e-9, atol=1e-9)
    assert out["env_steps"][0] == steps


def test_a_worker_rebuilds_the_same_agent_from_the_spec_and_refuses_a_changed_file(agents):
    paths, _, _ = agents
    obj = make_objective("Hopper-v5", sampling=Sampling(sigma=None, episodes=2, max_steps=50),
                         agent=AgentRef.of(paths["ppo"], paths["vn"]))
    spec = pickle.loads(pickle.dumps(obj.spec))
    thetas = obj.policy.theta0 + np.zeros((2, 1))
    thetas[1] *= 0.9
    for field, values in spec(thetas).items():
        np.testing.assert_array_equal(values, obj.evaluate(thetas)[field])
    ppo_file(paths["ppo"], seed=7)  # the file changes under the run
    with pytest.raises(InputError, match="changed since it was referenced"):
        spec.agent.load()


def test_a_cleanrl_flax_actor_takes_its_bounds_from_the_environment(tmp_path):
    """A CleanRL TD3 actor (flax msgpack, no bounds in the file): deterministic, tanh then rescaled to Hopper's
    bounds; against the agents package's reference with the bounds given by hand."""
    r = rng(12)
    sizes = (HOPPER_OBS, 8, 8, HOPPER_ACT)
    actor = {"params": {f"Dense_{k}": {"kernel": f32(r, sizes[k], sizes[k + 1]), "bias": f32(r, sizes[k + 1])}
                        for k in range(3)}}
    path = tmp_path / "td3_continuous_action_jax.cleanrl_model"
    path.write_bytes(msgpack_bytes({"0": actor, "1": actor, "2": actor}))
    obj = make_objective("Hopper-v5", sampling=Sampling(sigma=None, episodes=2, seed=1, max_steps=100),
                         agent=AgentRef.of(path))
    out = obj.evaluate(obj.policy.theta0)
    spec = load_agent(path, action_low=-np.ones(3), action_high=np.ones(3))
    G, steps = _gym_returns("Hopper-v5", 2, 1, 100, lambda o, eps: deterministic_action(spec, o))
    np.testing.assert_allclose(out["return"][0], G.mean(), rtol=1e-9, atol=1e-9)
    assert out["env_steps"][0] == steps


def test_the_jax_apply_family_gives_the_agent_policys_values(agents):
    """The same weights as a JAX apply function (Flax-style kernels [in, out]) and as the loaded agent."""
    import jax
    import jax.numpy as jnp

    from policyscape.api import policy_from_apply, sampled_objective

    paths, sds, _ = agents
    sd = sds["ppo"]
    params = {"layers": [{"kernel": sd[f"mlp_extractor.policy_net.{2 * k}.weight"].T,
                          "bias": sd[f"mlp_extractor.policy_net.{2 * k}.bias"]} for k in range(2)],
              "mu": {"kernel": sd["action_net.weight"].T, "bias": sd["action_net.bias"]}, "log_std": sd["log_std"]}

    def apply(p, obs):
        h = obs
        for layer in p["layers"]:
            h = jnp.tanh(h @ layer["kernel"] + layer["bias"])
        return h @ p["mu"]["kernel"] + p["mu"]["bias"], p["log_std"]

    family = policy_from_apply(apply, params, HOPPER_OBS, HOPPER_ACT)
    assert family.num_params == 198 and len(family.layout.filter_groups()) == (8 + 1) * 2 + 3 + 1 + 1
    agent = AgentPolicy(load_agent(paths["ppo"]), "own")
    obs = rng(8).normal(size=(1, 6, HOPPER_OBS))
    np.testing.assert_allclose(family.mean(family.theta0[None], obs), agent.mean(agent.theta0[None], obs),
                               rtol=0, atol=1e-12)
    mine = sampled_objective("Hopper-v5", family, episodes=3, max_steps=100).evaluate(family.theta0)
    theirs = make_objective("Hopper-v5", sampling=Sampling(sigma=None, episodes=3, max_steps=100),
                            agent=AgentRef.of(paths["ppo"])).evaluate(agent.theta0)
    np.testing.assert_allclose(mine["return"], theirs["return"], rtol=1e-9)
    # the score function through jax.numpy (in float64, as REINFORCE differentiates it) equals numpy's
    a = agent.act(agent.theta0[None], obs, rng(9).normal(size=(1, 6, HOPPER_ACT)))
    with jax.enable_x64(True):
        got = np.asarray(family.log_prob(jnp.asarray(family.theta0[None]), jnp.asarray(obs), a, xp=jnp))
        via_agent = np.asarray(agent.log_prob(jnp.asarray(agent.theta0[None]), jnp.asarray(obs), a, xp=jnp))
    np.testing.assert_allclose(got, agent.log_prob(agent.theta0[None], obs, a), rtol=1e-9)
    np.testing.assert_allclose(via_agent, got, rtol=1e-9)


# ---------------------------------------------------------------- the CLI


def run_cli(capsys, *argv):
    rc = main([str(a) for a in argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_evaluate_an_agent_says_whether_observations_are_normalized(agents, capsys):
    paths, _, _ = agents
    rc, out, _ = run_cli(capsys, "evaluate", "--at", paths["ppo"], "--env", "Hopper-v5", "--obs-norm", paths["vn"],
                         "--episodes", "2", "--max-steps", "50", "--json")
    result = json.loads(out)
    assert rc == 0 and result["observations_normalized"] is True and result["algorithm"] == "PPO"
    assert result["sigma"] == "the agent's own" and result["num_params"] == 198
    rc, out, _ = run_cli(capsys, "evaluate", "--at", paths["ppo"], "--env", "Hopper-v5", "--sigma", "0",
                         "--episodes", "2", "--max-steps", "50", "--json")
    result = json.loads(out)
    assert result["observations_normalized"] is False and result["sigma"] == 0.0 and result["num_params"] == 195


@pytest.mark.parametrize("argv, message", [
    (["--env", "Walker2d-v5"], r"takes observations of size 11 but Walker2d-v5 has \(17,\)"),
    (["--env", "Pendulum-v1"], r"takes observations of size 11 but Pendulum-v1"),
    ([], r"does not record its environment; pass --env"),
    (["--env", "policyscape/SymmetricGridworld-v0"], r"an agent is evaluated on a Gymnasium id"),
])
def test_a_mismatched_environment_exits_2(agents, capsys, argv, message):
    paths, _, _ = agents
    rc, _, err = run_cli(capsys, "evaluate", "--at", paths["ppo"], *argv)
    assert rc == 2 and __import__("re").search(message, err), err


def test_interpolate_between_two_agents_and_refuse_another_architecture(agents, capsys, tmp_path):
    paths, _, _ = agents
    common = ["--env", "Hopper-v5", "--obs-norm", paths["vn"], "--episodes", "2", "--max-steps", "60",
              "--workers", "1", "--no-progress"]
    rc, _, err = run_cli(capsys, "interpolate", "--at", paths["ppo"], "--to", paths["ppo2"], "--alphas", "0,1",
                         "--out", tmp_path / "i", *common)
    assert rc == 0, err
    summary = json.loads((tmp_path / "i" / "summary.json").read_text())
    ends = []
    for agent in ("ppo", "ppo2"):  # the ends are the agents, evaluated with the same seeds and statistics
        rc, out, _ = run_cli(capsys, "evaluate", "--at", paths[agent], "--json", *common[:-3])
        ends.append(json.loads(out)["value"])
    np.testing.assert_allclose(summary["variants"]["agent's own σ"]["value_at_anchors"], ends, rtol=1e-12)
    assert "observations normalized" in json.loads((tmp_path / "i" / "config.json").read_text())["variants"][
        "agent's own σ"]
    rc, _, err = run_cli(capsys, "interpolate", "--at", paths["ppo"], "--to", paths["wide"], "--alphas", "0,1",
                         "--out", tmp_path / "j", *common)
    assert rc == 2 and "does not have the architecture of" in err and "[11, 16]" in err
    assert not (tmp_path / "j").exists()


def test_perturb_an_agent_uses_filter_normalized_directions_by_default(agents, capsys, tmp_path):
    paths, _, _ = agents
    rc, _, err = run_cli(capsys, "perturb", "--at", paths["sac"], "--env", "Hopper-v5", "--sigma", "0.1",
                         "--directions", "3", "--episodes", "2", "--max-steps", "40", "--noise-evaluations", "2",
                         "--workers", "1", "--no-progress", "--out", tmp_path / "p")
    assert rc == 0, err
    config = json.loads((tmp_path / "p" / "config.json").read_text())
    assert config["perturb"]["normalization"] == "filter"
    assert config["variant"]["agent"]["observations_normalized"] is False
    assert "SAC agent" in config["objective"] and "observations not normalized" in config["objective"]
    policy = AgentPolicy(load_agent(paths["sac"]), "fixed")
    d = np.load(tmp_path / "p" / "directions.npy")
    for g in policy.layout.filter_groups():  # every filter of every direction has θ0's norm there
        np.testing.assert_allclose(np.linalg.norm(d[:, g], axis=1), np.linalg.norm(policy.theta0[g]), rtol=1e-12)
    rc, _, err = run_cli(capsys, "plane", "--at", paths["sac"], "--env", "Hopper-v5", "--grid", "2", "--episodes", "1",
                         "--max-steps", "20", "--workers", "1", "--no-progress", "--normalization", "unit",
                         "--out", tmp_path / "q")
    assert rc == 0, err
    assert json.loads((tmp_path / "q" / "config.json").read_text())["directions"]["normalization"] == "unit"


def test_inspect_prints_what_was_loaded(agents, capsys):
    paths, _, _ = agents
    rc, out, _ = run_cli(capsys, "inspect", paths["ppo"], "--obs-norm", paths["vn"], "--env", "Hopper-v5")
    assert rc == 0
    for expected in ("PPO (stable-baselines3)", "11 → 8 → 8 → 3", "198 in the actor", "activation    tanh",
                     "none; actions clipped to the bounds", "with frozen statistics from", "observations  normalized",
                     "Hopper-v5: observations, actions and bounds match", "log_std [3] = 198"):
        assert expected in out, expected
    rc, out, _ = run_cli(capsys, "inspect", paths["sac"])
    assert rc == 0 and "tanh, then rescaled to the action bounds" in out and "normalization none" in out


class _Touch:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


def test_a_pickle_naming_anything_else_exits_2_and_nothing_runs(agents, capsys, tmp_path):
    paths, _, (mean, var) = agents
    target = tmp_path / "pwned"
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(vecnormalize_bytes(mean, var, 10.0, extra={"reset_infos": [{"x": _Touch(target)}]}))
    for argv in (["evaluate", "--at", paths["ppo"], "--env", "Hopper-v5", "--obs-norm", evil, "--episodes", "1"],
                 ["inspect", paths["ppo"], "--obs-norm", evil]):
        rc, _, err = run_cli(capsys, *argv)
        assert rc == 2 and f"refused {os.system.__module__}.system" in err and "nothing in the file was run" in err
        assert not target.exists()
    evil.write_bytes(pickle.dumps(_Touch(target)))
    rc, _, err = run_cli(capsys, "inspect", paths["ppo"], "--obs-norm", evil)
    assert rc == 2 and "refused" in err and not target.exists()
    # an agent zip whose policy.pth pickle names os.system
    with zipfile.ZipFile(paths["ppo"]) as src:
        members = {n: src.read(n) for n in src.namelist()}
    with zipfile.ZipFile(io.BytesIO(members["policy.pth"])) as pth:
        inner = {n: pth.read(n) for n in pth.namelist()}
    key = next(n for n in inner if n.endswith("data.pkl"))
    inner[key] = pickle.dumps(OrderedDict([("log_std", _Touch(target))]), protocol=2)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for name, raw in inner.items():
            dst.writestr(name, raw)
    members["policy.pth"] = buf.getvalue()
    bad = tmp_path / "evil.zip"
    with zipfile.ZipFile(bad, "w") as dst:
        for name, raw in members.items():
            dst.writestr(name, raw)
    for argv in (["evaluate", "--at", bad, "--env", "Hopper-v5"], ["inspect", bad],
                 ["perturb", "--at", bad, "--env", "Hopper-v5", "--out", tmp_path / "never"]):
        rc, _, err = run_cli(capsys, *argv)
        assert rc == 2 and f"refused {os.system.__module__}.system" in err, err
    assert not target.exists() and not (tmp_path / "never").exists()


def test_obs_norm_without_an_agent_and_an_agent_where_theta_is_expected_exit_2(agents, capsys, tmp_path):
    paths, _, _ = agents
    rc, _, err = run_cli(capsys, "evaluate", "--at", "0,0", "--env", "toy/saddle", "--obs-norm", paths["vn"])
    assert rc == 2 and "--obs-norm applies to agent files" in err
    rc, _, err = run_cli(capsys, "hessian", "--at", paths["ppo"], "--env", "Hopper-v5", "--out", tmp_path / "h")
    assert rc == 2 and "is an agent file" in err


def test_reinforce_gradient_of_an_agents_own_distribution_equals_finite_differences(agents, tmp_path):
    """REINFORCE on a loaded agent's own distribution (PPO: learned log σ vector; SAC: log σ layer, tanh squashing
    and rescaling): JAX autodiff of the surrogate (1/N) Σ w·log π equals central differences of the numpy
    log_prob (float64, step 1e-6), so update-distribution and linesearch can use the agent's own σ."""
    from policyscape.optimize.reinforce import reinforce_gradient

    paths, _, _ = agents
    r = np.random.default_rng(3)
    N, T = 3, 5
    for name in ("ppo", "sac"):
        policy = AgentPolicy(load_agent(paths[name]), "own")
        theta = policy.theta_of(policy.spec)
        obs = r.normal(size=(N, T, HOPPER_OBS))
        actions = policy.act(np.repeat(theta[None], N, axis=0), obs, r.normal(size=(N, T, HOPPER_ACT)))
        weights, mask = r.normal(size=(N, T)), np.ones((N, T), dtype=bool)
        grad = reinforce_gradient(policy, theta, obs, actions, weights, mask, None)

        def surrogate(t):
            lp = policy.log_prob(np.repeat(t[None], N, axis=0), obs, actions)
            return float(np.sum(weights * lp)) / N

        eye = np.eye(theta.size)
        fd = np.array([(surrogate(theta + 1e-6 * e) - surrogate(theta - 1e-6 * e)) / 2e-6 for e in eye])
        np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-6 * np.abs(fd).max())
