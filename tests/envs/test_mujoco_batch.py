"""BatchedLocomotion reproduces gymnasium.make(env_id) bit for bit (obs, reward, flags, resets)."""

import numpy as np
import pytest

pytest.importorskip("mujoco")
gymnasium = pytest.importorskip("gymnasium")

from policyscape.envs.mujoco_batch import BatchedLocomotion
from policyscape.errors import InputError

# A linear "standing" Hopper-v5 policy a = clip(Wᵀo + b, -1, 1) (benchmarks/bench_backends.py):
# episodes of several hundred to 1000 steps.
W_STAR = np.array([
    [0.283, 0.417, 0.059], [0.026, 0.681, -0.053], [0.448, 0.231, -0.082], [0.237, -0.364, -0.322],
    [-0.260, -0.214, 0.008], [0.179, -0.817, -0.808], [-0.096, -0.124, 0.616], [-0.228, 0.731, -0.134],
    [-0.448, 0.028, -0.248], [-0.621, -0.192, -0.313], [0.539, 0.340, -1.124]])
B_STAR = np.array([0.157, -0.011, -0.034])


def closed_loop(env_id, obs, rng, noise):
    """A policy of the observation (so that any mismatch feeds back), plus action noise."""
    if env_id == "Hopper-v5":
        mean = obs @ W_STAR + B_STAR
    else:   # Walker2d / HalfCheetah: damped feedback on the 6 joint angles qpos[3:] = obs[:, 2:8]
        mean = -0.5 * obs[:, 2:8] - 0.05 * obs[:, -6:]
    return np.clip(mean + noise * rng.standard_normal(mean.shape), -1.0, 1.0)


def compare_with_gymnasium(env_id, n, seeds_per_episode, horizon, max_episode_steps=None, dtype=np.float64):
    """Run the batch and n Gymnasium envs side by side; assert == at every step; return episode lengths."""
    kwargs = {} if max_episode_steps is None else {"max_episode_steps": max_episode_steps}
    env = BatchedLocomotion(env_id, n, **kwargs)
    gyms = [gymnasium.make(env_id, **kwargs) for _ in range(n)]
    rng = np.random.default_rng(123)
    lengths = []
    for seeds in seeds_per_episode:
        obs = env.reset(np.asarray(seeds))
        g_obs = np.array([g.reset(seed=int(s))[0] for g, s in zip(gyms, seeds)])
        assert np.array_equal(obs, g_obs)
        active = np.ones(n, dtype=bool)
        length = np.zeros(n, dtype=int)
        for t in range(horizon):
            # even envs: random actions beyond the bounds (no clipping anywhere); odd: closed loop
            a = rng.uniform(-1.5, 1.5, (n, env.act_dim))
            a[1::2] = closed_loop(env_id, obs[1::2], rng, 0.1)
            a = a.astype(dtype)
            a[~active] = np.nan   # rows of inactive envs are ignored
            obs, rew, term, trunc = env.step(a, active)
            for i in range(n):
                if not active[i]:
                    assert rew[i] == 0.0
                    continue
                g_o, g_r, g_term, g_trunc, _ = gyms[i].step(a[i])
                assert np.array_equal(obs[i], g_o), (env_id, t, i, np.abs(obs[i] - g_o).max())
                assert rew[i] == g_r, (env_id, t, i, rew[i] - g_r)
                assert (term[i], trunc[i]) == (g_term, g_trunc), (env_id, t, i)
                length[i] = t + 1
            active = ~(term | trunc)
            if not active.any():
                break
        lengths.append(length)
    return np.array(lengths)


@pytest.mark.parametrize("env_id", ["Hopper-v5", "Walker2d-v5", "HalfCheetah-v5"])
def test_bit_identical_to_gymnasium(env_id):
    horizon = 150 if env_id == "HalfCheetah-v5" else 300
    lengths = compare_with_gymnasium(env_id, 6, [[0, 1, 2, 3, 4, 5], [17, 17, 99, 5, 2024, 3]], horizon)
    if env_id == "HalfCheetah-v5":
        assert (lengths == horizon).all()   # never terminates
    else:
        # envs ended at different times while others went on (the active mask was exercised)
        assert len(np.unique(lengths)) >= 4 and lengths.min() < 100
    if env_id == "Hopper-v5":   # closed-loop standing policy: episodes of a few hundred steps
        assert (lengths[:, 1::2] == horizon).any()


def test_bit_identical_float32_actions_and_time_limit():
    # float32 actions as a policy might emit them (Gymnasium's ctrl cost is then float32, too), and a
    # lower TimeLimit, both against gymnasium.make(..., max_episode_steps=120)
    lengths = compare_with_gymnasium("Hopper-v5", 4, [[7, 8, 9, 10]], 200, max_episode_steps=120,
                                     dtype=np.float32)
    assert lengths.max() == 120


def test_truncation_at_gymnasium_default_1000_steps():
    # the deterministic standing policy: seed 1 survives 1000 steps, seed 8 falls at step 999, seed 16
    # falls at step 1000 (terminated and truncated both True, as in Gymnasium)
    seeds = np.array([1, 8, 16, 0])
    env = BatchedLocomotion("Hopper-v5", len(seeds))
    assert env.max_episode_steps == gymnasium.make("Hopper-v5").spec.max_episode_steps == 1000
    gyms = [gymnasium.make("Hopper-v5") for _ in range(3)]
    obs = env.reset(seeds)
    for g, s in zip(gyms, seeds):
        g.reset(seed=int(s))
    active = np.ones(len(seeds), dtype=bool)
    for t in range(1000):
        a = np.clip(obs @ W_STAR + B_STAR, -1.0, 1.0)
        obs, rew, term, trunc = env.step(a, active)
        for i, g in enumerate(gyms):   # compare seeds 1, 8, 16 with Gymnasium's TimeLimit
            if active[i]:
                g_o, g_r, g_term, g_trunc, _ = g.step(a[i])
                assert np.array_equal(obs[i], g_o) and rew[i] == g_r
                assert (term[i], trunc[i]) == (g_term, g_trunc), (t, i)
        assert trunc[active].tolist() == [t == 999] * int(active.sum())
        active = ~(term | trunc)
    assert env.elapsed_steps.tolist()[:3] == [1000, 999, 1000]
    assert trunc.tolist()[:3] == [True, False, True] and term.tolist()[:3] == [False, True, True]
    with pytest.raises(InputError, match="ended"):
        env.step(np.zeros((len(seeds), 3)), trunc)


def test_common_random_numbers():
    env = BatchedLocomotion("Hopper-v5", 5)
    obs = env.reset(np.array([3, 3, 8, 3, 9]))
    assert np.array_equal(obs[0], obs[1]) and np.array_equal(obs[0], obs[3])
    assert not np.array_equal(obs[0], obs[2]) and not np.array_equal(obs[2], obs[4])
    assert np.array_equal(env.qpos[0], env.qpos[3]) and np.array_equal(env.qvel[0], env.qvel[3])
    # equal states + equal actions stay equal; another instance (other thread count) reproduces them
    other = BatchedLocomotion("Hopper-v5", 5, num_threads=1)
    assert np.array_equal(other.reset(np.array([3, 3, 8, 3, 9])), obs)
    a = np.tile(np.array([0.3, -0.2, 0.5]), (5, 1))
    for _ in range(20):
        out, out_other = env.step(a), other.step(a)
        for x, y in zip(out, out_other):
            assert np.array_equal(x, y)
    assert np.array_equal(out[0][0], out[0][1]) and out[1][0] == out[1][3]


def test_actions_are_not_clipped():
    # MuJoCo clamps ctrl to ctrlrange (same physics for a = 2 and a = 1), the ctrl cost uses a as given
    env = BatchedLocomotion("Hopper-v5", 2)
    assert np.array_equal(env.action_low, -np.ones(3)) and np.array_equal(env.action_high, np.ones(3))
    env.reset(np.array([0, 0]))
    obs, rew, _, _ = env.step(np.array([[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]]))
    assert np.array_equal(obs[0], obs[1])
    assert rew[1] - rew[0] == pytest.approx(1e-3 * (12.0 - 3.0), rel=1e-12)


def test_input_errors():
    with pytest.raises(InputError, match="Hopper-v5.*Walker2d-v5|HalfCheetah-v5"):
        BatchedLocomotion("Ant-v5", 2)
    env = BatchedLocomotion("Hopper-v5", 3)
    with pytest.raises(InputError, match="before reset"):
        env.step(np.zeros((3, 3)))
    with pytest.raises(InputError, match=r"seeds must have shape \(3,\)"):
        env.reset(np.array([1, 2]))
    with pytest.raises(InputError, match="non-negative integers"):
        env.reset(np.array([1.0, 2.0, 3.0]))
    env.reset(np.array([1, 2, 3]))
    with pytest.raises(InputError, match=r"actions must have shape \(3, 3\)"):
        env.step(np.zeros((3, 4)))
    with pytest.raises(InputError, match=r"actions must have shape"):
        env.step(np.zeros(3))
    with pytest.raises(InputError, match="active must be a bool mask"):
        env.step(np.zeros((3, 3)), np.array([1, 0, 1]))
    with pytest.raises(InputError, match="finite"):
        env.step(np.full((3, 3), np.nan))
