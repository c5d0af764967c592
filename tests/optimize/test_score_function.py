"""REINFORCE's score-function estimator, sampled through the rollout engine, against the exact
policy gradient of the tabular objective (within a confidence interval from the samples)."""

import time

import numpy as np

from policyscape.envs.registry import make_tabular
from policyscape.envs.rollout import Rollouts
from policyscape.objectives.exact import ExactObjective
from policyscape.optimize.reinforce import reinforce_gradient

GRID = "policyscape/FourOptimaGridworld-v0"  # start in the centre, rewards two steps away: short episodes


def discounted_returns_to_go(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """G_t = Σ_{t' ≥ t} γ^{t'−t} r_t' per episode: rewards [N, T] (0 after the end) → [N, T]."""
    G = np.zeros_like(rewards)
    running = np.zeros(rewards.shape[0])
    for t in range(rewards.shape[1] - 1, -1, -1):
        running = rewards[:, t] + gamma * running
        G[:, t] = running
    return G


def test_score_function_gradient_is_the_exact_policy_gradient():
    """E[Σ_t γ^t G_t ∇log π(a_t|s_t)] = ∇ E[Σ_t γ^t r_t] (policy-gradient theorem; note the γ^t).

    Sampled with the one-hot ``LinearSoftmax`` through the rollout engine; θ and the gradient are
    mapped to the exact objective's layout by the layout objects. Episodes end in about 7 steps
    (γ = 0.99); the time limit (the MDP has none) is γ^T ≤ 1e-9, far beyond the longest sampled
    episode, so no episode is truncated. Each well-visited coordinate of the mean of the N = 10⁴
    per-episode samples lies within 4 standard errors of the exact gradient, and those coordinates
    pass a chi-square test together (measured: 71.4 on 60 df), which rejects half the exact
    gradient (180.1). About 12 s on the 2-core machine.
    """
    mdp = make_tabular(GRID)
    exact = ExactObjective(mdp)
    tab = exact.policy  # θ in the tabular layout: weight [A, S], bias [A]
    lin = tab.linear_softmax()  # the sampled one-hot policy: weight [S, A], bias [A]
    rng = np.random.default_rng(0)
    theta_tab = rng.normal(0.0, 0.3, tab.num_params)
    theta_tab[tab.layout.slices()["bias"]] += [-1.0, -1.0, 1.5, 1.5]  # up (reward 5) or down (4.05): a real choice
    g_exact = np.asarray(exact.grad(theta_tab))

    gamma, N = mdp.gamma, 10_000
    T = int(np.ceil(np.log(1e-9) / np.log(gamma)))
    engine = Rollouts(GRID, max_steps=T)
    seeds = [np.random.SeedSequence(21, spawn_key=(k,)) for k in range(N)]
    t0 = time.perf_counter()
    ep = engine.run(lin, tab.to_linear_softmax(theta_tab)[None], seeds, record=True)
    engine.close()
    assert not ep.nonfinite.any()
    longest = int(ep.steps.max())
    assert longest < T // 4, longest  # no truncation: every episode terminated
    obs, actions = ep.obs[0, :, :longest], ep.actions[0, :, :longest]
    rewards, mask = ep.rewards[0, :, :longest], ep.mask[0, :, :longest]

    # per-episode samples g_i = Σ_t γ^t G_{i,t} ∇log π(a_{i,t}|s_{i,t}): REINFORCE's gradient of one episode
    weights = np.where(mask, gamma ** np.arange(longest) * discounted_returns_to_go(rewards, gamma), 0.0)
    one = lambda x: x[:, None]  # each episode its own batch of one
    theta_lin = tab.to_linear_softmax(theta_tab)

    def per_episode(w):  # in chunks of 2500 episodes (the one-hot features of a chunk: ~60 MB)
        return np.concatenate([reinforce_gradient(lin, np.repeat(theta_lin[None], len(c), axis=0), one(obs[c]),
                                                  one(actions[c]), one(w[c]), one(mask[c]))
                               for c in np.array_split(np.arange(N), 4)])

    samples_lin = per_episode(weights)
    samples = tab.from_linear_softmax(samples_lin)  # a gradient maps between layouts as θ does (a permutation)
    print(f"{N} episodes, longest {longest} steps, {time.perf_counter() - t0:.1f} s")

    mean = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / np.sqrt(N)
    # the same estimate as one REINFORCE batch (the mean over episodes)
    np.testing.assert_allclose(reinforce_gradient(lin, theta_lin, obs, actions, weights, mask),
                               samples_lin.mean(axis=0), rtol=1e-10, atol=1e-12)
    # a coordinate's sample is non-zero only in the episodes that visit its state; rarely visited
    # states have skewed means (a few large terms), so the normal interval applies to the states
    # seen in >= 500 episodes; the others (and unvisited ones, whose exact gradient is ~0) within 6 SE
    visits = (samples != 0).sum(axis=0)
    np.testing.assert_allclose(g_exact[visits == 0], 0.0, atol=1e-6)
    well = visits >= 500
    rare = (visits > 0) & ~well
    assert well.sum() >= 40, well.sum()
    z = (mean[well] - g_exact[well]) / se[well]
    assert np.all(np.abs(z) < 4.0), (np.max(np.abs(z)), z)
    assert np.all(np.abs(mean[rare] - g_exact[rare]) < 6 * se[rare])
    from scipy import stats

    assert stats.chi2.sf(np.sum(z ** 2), df=z.size) > 1e-3, np.sum(z ** 2)
    # power: the same test rejects an estimator of half the size (and zero, or the wrong sign, a fortiori)
    z_half = (mean[well] - 0.5 * g_exact[well]) / se[well]
    print(f"{well.sum()} coordinates: chi-square {np.sum(z ** 2):.1f}; against half the gradient "
          f"{np.sum(z_half ** 2):.1f}; largest |∇J|/se {np.max(np.abs(g_exact[well]) / se[well]):.1f}")
    assert stats.chi2.sf(np.sum(z_half ** 2), df=z.size) < 1e-4
