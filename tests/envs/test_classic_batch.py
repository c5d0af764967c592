"""BatchedClassicControl reproduces gymnasium.make(env_id) bit for bit (CartPole-v1, Pendulum-v1)."""

import gymnasium
import numpy as np
import pytest

from policyscape.envs.classic_batch import CLASSIC_SPECS, BatchedClassicControl
from policyscape.errors import InputError

SEEDS = np.array([0, 1, 7, 42, 123, 2**31 + 5, 99999, 3], dtype=np.int64)


def _balance(obs):
    """A simple CartPole balancing policy (push toward the pole's fall): often reaches 500 steps."""
    return int(obs[2] + 0.5 * obs[3] + 0.01 * obs[1] > 0)


def _run_both(env_id, seeds, choose, max_episode_steps=None):
    """Step the batch and one gymnasium env per seed in lockstep; compare every step with ==."""
    n = len(seeds)
    batch = BatchedClassicControl(env_id, n, max_episode_steps=max_episode_steps)
    kw = {} if max_episode_steps is None else {"max_episode_steps": max_episode_steps}
    envs = [gymnasium.make(env_id, **kw) for _ in range(n)]
    obs = batch.reset(seeds)
    ref = [env.reset(seed=int(s))[0] for env, s in zip(envs, seeds)]
    assert obs.dtype == np.float32 and ref[0].dtype == np.float32
    assert np.array_equal(obs, np.stack(ref))
    active = np.ones(n, dtype=bool)
    lengths = np.zeros(n, dtype=int)
    term_seen = np.zeros(n, dtype=bool)
    trunc_seen = np.zeros(n, dtype=bool)
    t = 0
    while active.any():
        actions = choose(t, obs)
        prev = obs.copy()
        obs, r, term, trunc = batch.step(actions, active)
        assert obs.dtype == np.float32 and r.dtype == np.float64
        for i in range(n):
            if active[i]:
                o, ri, te, tr, _ = envs[i].step(actions[i])
                assert o.dtype == np.float32
                assert np.array_equal(obs[i], o), (env_id, i, t)
                assert r[i] == float(ri), (env_id, i, t)
                assert (term[i], trunc[i]) == (te, tr), (env_id, i, t)
                lengths[i] += 1
                term_seen[i] |= te
                trunc_seen[i] |= tr
            else:   # inactive rows: last obs, reward 0, sticky flags
                assert np.array_equal(obs[i], prev[i]) and r[i] == 0.0
                assert term[i] or trunc[i]
        active = active & ~(term | trunc)
        t += 1
    return lengths, term_seen, trunc_seen


def test_cartpole_random_actions_bit_identical():
    rng = np.random.default_rng(0)
    lengths, term, _ = _run_both("CartPole-v1", SEEDS, lambda t, obs: rng.integers(0, 2, len(SEEDS)))
    assert term.all() and len(set(lengths.tolist())) > 1     # episodes end at different times


def test_cartpole_balancing_reaches_truncation():
    rng = np.random.default_rng(1)

    def choose(t, obs):   # mostly the balancing policy, some noise so that some episodes fail
        a = np.array([_balance(o) for o in obs])
        flip = rng.random(len(obs)) < np.linspace(0.0, 0.45, len(obs))
        return np.where(flip, 1 - a, a)

    lengths, term, trunc = _run_both("CartPole-v1", SEEDS, choose)
    assert trunc.any() and term.any() and lengths.max() == 500


def test_cartpole_custom_time_limit():
    lengths, _, trunc = _run_both("CartPole-v1", SEEDS[:3], lambda t, obs: np.array([_balance(o) for o in obs]),
                                  max_episode_steps=37)
    assert trunc.all() and (lengths == 37).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pendulum_bit_identical(dtype):
    rng = np.random.default_rng(2)
    # actions beyond ±2 exercise the env's clipping
    lengths, term, trunc = _run_both(
        "Pendulum-v1", SEEDS, lambda t, obs: rng.uniform(-3.0, 3.0, (len(SEEDS), 1)).astype(dtype))
    assert trunc.all() and not term.any() and (lengths == 200).all()


def test_pendulum_different_end_times():
    rng = np.random.default_rng(3)
    n = 4
    batch = BatchedClassicControl("Pendulum-v1", n, max_episode_steps=10)
    envs = [gymnasium.make("Pendulum-v1", max_episode_steps=10) for _ in range(n)]
    seeds = SEEDS[:n]
    obs = batch.reset(seeds)
    assert np.array_equal(obs, np.stack([e.reset(seed=int(s))[0] for e, s in zip(envs, seeds)]))
    stop = np.array([3, 10, 6, 10])     # caller deactivates envs early
    for t in range(10):
        active = t < stop
        a = rng.normal(size=(n, 1))
        obs, r, term, trunc = batch.step(a, active)
        for i in np.flatnonzero(active):
            o, ri, _, tr, _ = envs[i].step(a[i])
            assert np.array_equal(obs[i], o) and r[i] == ri and trunc[i] == tr
        assert (r[~active] == 0).all()
    assert (batch.elapsed_steps == stop).all()


@pytest.mark.parametrize("env_id", sorted(CLASSIC_SPECS))
def test_same_seeds_same_states(env_id):
    b = BatchedClassicControl(env_id, 4)
    o1 = b.reset(np.array([5, 5, 6, 5]))
    s1 = b.state
    assert np.array_equal(o1[0], o1[1]) and np.array_equal(o1[0], o1[3]) and not np.array_equal(o1[0], o1[2])
    o2 = b.reset(np.array([5, 5, 6, 5]))
    assert np.array_equal(o1, o2) and np.array_equal(s1, b.state)


def test_input_errors():
    with pytest.raises(InputError):
        BatchedClassicControl("Acrobot-v1", 2)
    with pytest.raises(InputError):
        BatchedClassicControl("CartPole-v1", 0)
    b = BatchedClassicControl("CartPole-v1", 2)
    with pytest.raises(InputError):
        b.step(np.array([0, 1]))                         # before reset
    with pytest.raises(InputError):
        b.reset(np.array([1, -1]))
    b.reset(np.array([1, 2]))
    with pytest.raises(InputError):
        b.step(np.array([0.0, 1.0]))                     # float actions for a discrete env
    with pytest.raises(InputError):
        b.step(np.array([0, 2]))                         # out of range
    with pytest.raises(InputError):
        b.step(np.array([0, 1, 1]))                      # wrong shape
    b.step(np.array([0, 7]), np.array([True, False]))    # inactive rows are not checked
    p = BatchedClassicControl("Pendulum-v1", 2)
    p.reset(np.array([0, 1]))
    with pytest.raises(InputError):
        p.step(np.array([[0.0], [np.nan]]))
