"""Continuous-control and linear softmax policies against independent per-sample references."""

import math

import numpy as np
import pytest
from gymnasium import spaces
from scipy import stats

from policyscape.errors import InputError
from policyscape.policies.continuous import (
    LinearGaussian,
    LinearGaussianLearnedStd,
    LinearSoftmax,
    MLPGaussian,
    clip_actions,
    make_policy,
)

B, E, D, K = 3, 4, 5, 2


def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- independent references (one θ, one state)


def ref_linear_mean(theta, s, D, K):
    """μ_j = Σ_i θ[i·K + j] s_i + θ[D·K + j], written from the documented layout."""
    return np.array([sum(theta[i * K + j] * s[i] for i in range(D)) + theta[D * K + j] for j in range(K)])


def ref_mlp_mean(theta, s, sizes):
    h, k = list(s), 0
    for layer in range(len(sizes) - 1):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        W = [[theta[k + i * n_out + j] for j in range(n_out)] for i in range(n_in)]
        k += n_in * n_out
        out = [sum(W[i][j] * h[i] for i in range(n_in)) + theta[k + j] for j in range(n_out)]
        k += n_out
        h = out if layer == len(sizes) - 2 else [math.tanh(x) for x in out]
    return np.array(h)


def batch(policy, seed=0, scale=0.5):
    r = rng(seed)
    thetas = r.normal(0, scale, (B, policy.num_params))
    obs = r.normal(0, 1, (B, E, D))
    noise = r.normal(0, 1, (B, E, K))
    return thetas, obs, noise


# ---------------------------------------------------------------- batched act == loop


@pytest.mark.parametrize("sigma", [0.0, 0.3, 1.0])
def test_linear_gaussian_act_matches_loop(sigma):
    pol = LinearGaussian(D, K)
    thetas, obs, noise = batch(pol)
    got = pol.act(thetas, obs, noise, sigma)
    assert got.shape == (B, E, K)
    for b in range(B):
        for e in range(E):
            want = ref_linear_mean(thetas[b], obs[b, e], D, K) + sigma * noise[b, e]
            np.testing.assert_allclose(got[b, e], want, rtol=1e-12, atol=1e-12)


def test_learned_std_act_matches_loop():
    pol = LinearGaussianLearnedStd(D, K)
    thetas, obs, noise = batch(pol)
    got = pol.act(thetas, obs, noise)
    for b in range(B):
        log_sigma = thetas[b, D * K + K :]
        for e in range(E):
            want = ref_linear_mean(thetas[b, : D * K + K], obs[b, e], D, K) + np.exp(log_sigma) * noise[b, e]
            np.testing.assert_allclose(got[b, e], want, rtol=1e-12, atol=1e-12)
    # σ override (evaluation at σ = 0 gives the mean)
    mean = np.array([[ref_linear_mean(thetas[b, : D * K + K], obs[b, e], D, K) for e in range(E)] for b in range(B)])
    np.testing.assert_allclose(pol.act(thetas, obs, noise, sigma=0.0), mean, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("hidden", [(7,), (6, 3)])
def test_mlp_act_matches_loop(hidden):
    pol = MLPGaussian(D, K, hidden)
    thetas, obs, noise = batch(pol)
    got = pol.act(thetas, obs, noise, 0.2)
    for b in range(B):
        for e in range(E):
            want = ref_mlp_mean(thetas[b], obs[b, e], (D, *hidden, K)) + 0.2 * noise[b, e]
            np.testing.assert_allclose(got[b, e], want, rtol=1e-12, atol=1e-12)


def test_linear_softmax_act_matches_loop():
    A = 4
    pol = LinearSoftmax(D, A)
    r = rng(1)
    thetas = r.normal(0, 1, (B, pol.num_params))
    obs = r.normal(0, 1, (B, E, D))
    u = r.uniform(size=(B, E))
    got = pol.act(thetas, obs, u)
    assert got.shape == (B, E) and got.dtype == np.int64
    for b in range(B):
        for e in range(E):
            z = ref_linear_mean(thetas[b], obs[b, e], D, A)
            p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
            want = next(a for a in range(A) if u[b, e] < p[: a + 1].sum())
            assert got[b, e] == want


def test_linear_softmax_one_hot_equals_table_lookup():
    S, A = 6, 3
    pol = LinearSoftmax(S, A, one_hot=True)
    r = rng(2)
    thetas = r.normal(0, 1, (B, pol.num_params))
    states = r.integers(0, S, (B, E))
    logits = pol.logits(thetas, states)
    W, bias = pol.unflatten(thetas)
    for b in range(B):
        for e in range(E):
            np.testing.assert_allclose(logits[b, e], W[b, states[b, e]] + bias[b], rtol=1e-14)


# ---------------------------------------------------------------- σ = 0, clipping, CRN


def test_sigma_zero_gives_mean_and_clipping_respects_bounds():
    pol = LinearGaussian(D, K)
    thetas, obs, noise = batch(pol, scale=2.0)
    np.testing.assert_array_equal(pol.act(thetas, obs, noise, 0.0), pol.mean(thetas, obs))
    low, high = np.array([-1.0, -0.5]), np.array([1.0, 0.25])
    raw = pol.act(thetas, obs, noise, 1.0)
    clipped = pol.act(thetas, obs, noise, 1.0, low, high)
    assert np.all(clipped >= low) and np.all(clipped <= high)
    inside = (raw >= low) & (raw <= high)
    assert inside.any() and (~inside).any()
    np.testing.assert_array_equal(clipped[inside], raw[inside])
    np.testing.assert_array_equal(clipped, clip_actions(raw, low, high))


def test_same_noise_gives_identical_actions():
    for pol in [LinearGaussian(D, K), LinearGaussianLearnedStd(D, K), MLPGaussian(D, K, (4,))]:
        thetas, obs, _ = batch(pol)
        n1 = rng(7).normal(size=(B, E, K))
        n2 = rng(7).normal(size=(B, E, K))
        sigma = None if isinstance(pol, LinearGaussianLearnedStd) else 0.5
        np.testing.assert_array_equal(pol.act(thetas, obs, n1, sigma), pol.act(thetas, obs, n2, sigma))
        assert not np.array_equal(pol.act(thetas, obs, n1, sigma), pol.act(thetas, obs, -n1, sigma))
    pol = LinearSoftmax(D, 3)
    thetas, obs, _ = batch(pol)
    np.testing.assert_array_equal(
        pol.act(thetas, obs, rng(3).uniform(size=(B, E))), pol.act(thetas, obs, rng(3).uniform(size=(B, E)))
    )


# ---------------------------------------------------------------- log-probabilities vs scipy


def test_gaussian_log_prob_matches_scipy():
    pol = LinearGaussian(D, K)
    thetas, obs, noise = batch(pol)
    sigma = 0.7
    actions = pol.act(thetas, obs, noise, sigma)
    lp = pol.log_prob(thetas, obs, actions, sigma)
    assert lp.shape == (B, E)
    for b in range(B):
        for e in range(E):
            mu = ref_linear_mean(thetas[b], obs[b, e], D, K)
            want = stats.multivariate_normal(mu, sigma**2 * np.eye(K)).logpdf(actions[b, e])
            assert lp[b, e] == pytest.approx(want, rel=1e-12)


def test_learned_std_and_mlp_log_prob_match_scipy():
    pol = LinearGaussianLearnedStd(D, K)
    thetas, obs, noise = batch(pol)
    actions = pol.act(thetas, obs, noise)
    lp = pol.log_prob(thetas, obs, actions)
    for b in range(B):
        sig = np.exp(thetas[b, D * K + K :])
        for e in range(E):
            mu = ref_linear_mean(thetas[b, : D * K + K], obs[b, e], D, K)
            assert lp[b, e] == pytest.approx(stats.norm(mu, sig).logpdf(actions[b, e]).sum(), rel=1e-12)
    mlp = MLPGaussian(D, K, (3,))
    thetas, obs, noise = batch(mlp)
    actions = mlp.act(thetas, obs, noise, 0.4)
    lp = mlp.log_prob(thetas, obs, actions, 0.4)
    mu = ref_mlp_mean(thetas[1], obs[1, 2], (D, 3, K))
    assert lp[1, 2] == pytest.approx(stats.norm(mu, 0.4).logpdf(actions[1, 2]).sum(), rel=1e-12)


def test_softmax_log_prob_and_sampling_frequencies():
    A, N = 4, 40_000
    pol = LinearSoftmax(2, A)
    theta = pol.flatten(np.array([[1.0, -0.5, 0.3, -2.0], [0.2, 0.1, -0.4, 0.0]]), np.array([0.1, 0.0, -0.3, 0.5]))
    s = np.array([0.7, -1.2])
    obs = np.broadcast_to(s, (1, N, 2))
    z = ref_linear_mean(theta, s, 2, A)
    p = np.exp(z) / np.exp(z).sum()
    lp = pol.log_prob(theta[None], obs[:, :A], np.arange(A)[None])
    np.testing.assert_allclose(lp[0], np.log(p), rtol=1e-12)
    a = pol.act(theta[None], obs, rng(5).uniform(size=(1, N)))
    counts = np.bincount(a[0], minlength=A)
    chi2 = stats.chisquare(counts, N * p)
    assert chi2.pvalue > 1e-3
    assert np.all(np.abs(counts / N - p) < 4 * np.sqrt(p * (1 - p) / N))


def test_softmax_never_samples_zero_probability_actions():
    pol = LinearSoftmax(1, 3)
    theta = pol.flatten(np.zeros((1, 3)), np.array([0.0, -1000.0, 0.0]))
    u = np.linspace(0, 1, 1001, endpoint=False)[None]
    a = pol.act(theta[None], np.zeros((1, 1001, 1)), u)
    assert set(np.unique(a)) == {0, 2}


# ---------------------------------------------------------------- entropy


def test_entropy_closed_forms():
    pol = LinearGaussian(D, 3)
    for sigma in [0.1, 0.5, 1.0, 2.0]:
        assert pol.entropy(sigma) == pytest.approx(stats.multivariate_normal(np.zeros(3), sigma**2 * np.eye(3)).entropy())
        assert pol.entropy(sigma) == pytest.approx(1.5 * math.log(2 * math.pi * math.e * sigma**2))
    assert pol.entropy(0.0) == -math.inf
    assert MLPGaussian(D, 3).entropy(0.5) == pol.entropy(0.5)

    ls = LinearGaussianLearnedStd(D, K)
    thetas = ls.initial_params(0, 2)
    thetas[1, -K:] = [np.log(0.5), np.log(3.0)]
    h = ls.entropy(thetas)
    assert h[0] == pytest.approx(stats.norm(0, 1).entropy() * K)
    assert h[1] == pytest.approx(stats.norm(0, 0.5).entropy() + stats.norm(0, 3.0).entropy())
    assert h[0] != h[1]

    sm = LinearSoftmax(3, 4, one_hot=True)
    thetas = np.zeros((1, sm.num_params))
    thetas[0, 4:8] = [2.0, 0.0, -1.0, 0.5]  # W[1, :]: state 1 non-uniform
    H = sm.entropy(thetas, np.array([[0, 1]]))
    p = np.exp([2.0, 0.0, -1.0, 0.5]) / np.exp([2.0, 0.0, -1.0, 0.5]).sum()
    np.testing.assert_allclose(H[0], [math.log(4), stats.entropy(p)], rtol=1e-12)


# ---------------------------------------------------------------- layout


def test_unflatten_flatten_round_trips():
    r = rng(3)
    lg = LinearGaussian(D, K)
    W, b = r.normal(size=(D, K)), r.normal(size=K)
    theta = lg.flatten(W, b)
    assert theta[1 * K + 0] == W[1, 0] and theta[D * K + 1] == b[1]
    W2, b2 = lg.unflatten(theta)
    np.testing.assert_array_equal(W2, W)
    np.testing.assert_array_equal(b2, b)
    np.testing.assert_array_equal(lg.flatten(*lg.unflatten(theta)), theta)

    ls = LinearGaussianLearnedStd(D, K)
    theta = r.normal(size=ls.num_params)
    np.testing.assert_array_equal(ls.flatten(*ls.unflatten(theta)), theta)

    sm = LinearSoftmax(D, 3)
    theta = r.normal(size=sm.num_params)
    np.testing.assert_array_equal(sm.flatten(*sm.unflatten(theta)), theta)

    mlp = MLPGaussian(D, K, (4, 3))
    assert mlp.num_params == D * 4 + 4 + 4 * 3 + 3 + 3 * K + K
    theta = r.normal(size=mlp.num_params)
    layers = mlp.unflatten(theta)
    assert [W.shape for W, _ in layers] == [(D, 4), (4, 3), (3, K)]
    np.testing.assert_array_equal(mlp.flatten(layers), theta)
    # batched unflatten agrees with per-row unflatten
    thetas = r.normal(size=(2, mlp.num_params))
    np.testing.assert_array_equal(mlp.unflatten(thetas)[1][0][1], mlp.unflatten(thetas[1])[1][0])


def test_mlp_zero_weights_gives_output_bias():
    mlp = MLPGaussian(D, K, (4,))
    out_bias = np.array([0.3, -1.1])
    theta = mlp.flatten([(np.zeros((D, 4)), np.full(4, 0.7)), (np.zeros((4, K)), out_bias)])
    obs = rng(0).normal(size=(1, E, D))
    np.testing.assert_array_equal(mlp.act(theta[None], obs, np.zeros((1, E, K)), 0.0)[0], np.tile(out_bias, (E, 1)))


def test_initial_params():
    assert not LinearGaussian(D, K).initial_params(0, 3).any()
    assert np.all(LinearGaussianLearnedStd(D, K).initial_params(0, 2, log_sigma=-1.0)[:, -K:] == -1.0)
    mlp = MLPGaussian(D, K, (8,))
    a, b = mlp.initial_params(1, 2), mlp.initial_params(1, 5)
    np.testing.assert_array_equal(a, b[:2])  # row k depends only on (seed, k)
    assert not np.array_equal(a[0], a[1])
    W0, b0 = mlp.unflatten(a[0])[0]
    assert np.all(np.abs(W0) <= math.sqrt(6 / (D + 8))) and not b0.any()


# ---------------------------------------------------------------- factory and bad inputs


def test_make_policy_from_spaces():
    box_obs = spaces.Box(-np.inf, np.inf, (11,))
    box_act = spaces.Box(-1.0, 1.0, (3,))
    assert make_policy("linear_gaussian", box_obs, box_act) == LinearGaussian(11, 3)
    assert make_policy("linear_gaussian_learned_std", box_obs, box_act) == LinearGaussianLearnedStd(11, 3)
    assert make_policy("mlp_gaussian", box_obs, box_act, hidden=[16, 16]) == MLPGaussian(11, 3, (16, 16))
    assert make_policy("linear_softmax", spaces.Discrete(16), spaces.Discrete(4)) == LinearSoftmax(16, 4, True)
    assert make_policy("linear_softmax", box_obs, spaces.Discrete(2)) == LinearSoftmax(11, 2, False)


def test_bad_inputs_raise_input_error():
    box_obs, box_act = spaces.Box(-1, 1, (4,)), spaces.Box(-1, 1, (2,))
    with pytest.raises(InputError, match="needs a Discrete action space"):
        make_policy("linear_softmax", box_obs, box_act)
    with pytest.raises(InputError, match=r"continuous \(Box\) action space"):
        make_policy("linear_gaussian", box_obs, spaces.Discrete(3))
    with pytest.raises(InputError, match="unknown policy kind 'gaussian'.*linear_gaussian.*mlp_gaussian"):
        make_policy("gaussian", box_obs, box_act)

    pol = LinearGaussian(4, 2)
    obs, noise = np.zeros((1, 1, 4)), np.zeros((1, 1, 2))
    with pytest.raises(InputError, match=r"length 9, expected obs_dim·act_dim \+ act_dim = 4·2 \+ 2 = 10"):
        pol.act(np.zeros((1, 9)), obs, noise, 0.1)
    with pytest.raises(InputError, match="expected obs_dim·num_actions"):
        LinearSoftmax(4, 3).act(np.zeros((1, 3)), obs, np.zeros((1, 1)))
    with pytest.raises(InputError, match=r"sizes \(obs_dim, \*hidden, act_dim\) = \(4, 32, 2\)"):
        MLPGaussian(4, 2).act(np.zeros((1, 10)), obs, noise, 0.1)
    for bad in [-0.1, float("nan"), float("inf")]:
        with pytest.raises(InputError, match="sigma must be a finite number >= 0"):
            pol.act(np.zeros((1, 10)), obs, noise, bad)
    with pytest.raises(InputError, match="sigma must be a finite number >= 0"):
        pol.entropy(-1.0)
    with pytest.raises(InputError, match="sigma .* is required"):
        pol.act(np.zeros((1, 10)), obs, noise, None)
    with pytest.raises(InputError, match="log_prob needs sigma > 0"):
        pol.log_prob(np.zeros((1, 10)), obs, noise, 0.0)
    with pytest.raises(InputError, match="noise must have shape"):
        pol.act(np.zeros((1, 10)), obs, np.zeros((1, 1, 3)), 0.1)
    with pytest.raises(InputError, match="low <= high"):
        clip_actions(noise, np.array([1.0, 1.0]), np.array([0.0, 2.0]))
