"""REINFORCE estimates: the unbiased weighting's mean matches the exact tabular gradient within its standard errors;
a sample's estimate does not depend on the other samples computed with it."""

import numpy as np

from policyscape.objectives.registry import Sampling, make_objective
from policyscape.optimize.estimate import reinforce_estimate, reinforce_estimates

GRID = "policyscape/SymmetricGridworld-v0"


def test_unbiased_estimate_matches_the_exact_gradient():
    exact, sampled = make_objective(GRID), make_objective(GRID, sampling=Sampling(episodes=1))
    theta = exact.policy.initial_params(seed=3, num_seeds=1, scale=1.0)[0]
    e = reinforce_estimate(sampled, theta, 2000, seed=0, weighting="unbiased")
    g = exact.grad(theta)
    seen = e["stderr"] > 0
    np.testing.assert_array_equal(g[~seen], 0.0)  # coordinates no episode touched have no gradient
    z = (e["gradient"][seen] - g[seen]) / e["stderr"][seen]
    assert np.abs(z).max() < 4.5 and np.mean(z**2) < 2.0
    many = reinforce_estimates(sampled, theta, 16, range(8), seed=0)
    np.testing.assert_allclose(reinforce_estimates(sampled, theta, 16, [5], seed=0)[0], many[5], atol=1e-12)
