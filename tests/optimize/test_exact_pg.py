"""Exact policy-gradient training: against a hand-written per-seed loop, schedules, determinism."""

import numpy as np
import pytest

from policyscape.envs.gridworlds import symmetric_gridworld
from policyscape.errors import InputError
from policyscape.objectives import reference
from policyscape.objectives.exact import ExactObjective
from policyscape.optimize.exact_pg import ExactTrainConfig, tau_schedule, train_exact


@pytest.fixture(scope="module")
def objective():
    return ExactObjective(symmetric_gridworld())


def test_vectorized_seeds_equal_numpy_loop_with_pg_theorem(objective):
    """SGD with τ_t = τ0·decay^t and mixing, 3 seeds together vs each seed alone in numpy."""
    config = ExactTrainConfig(seeds=3, updates=25, lr=0.3, entropy=0.5, entropy_decay=0.9, mix=0.1, checkpoint_every=10)
    result = train_exact(objective, config)
    taus = tau_schedule(0.5, 0.9, 26)
    for k in range(3):
        theta = result.initial_params[k].copy()
        for t in range(25):
            assert result.curves["value"][t, k] == pytest.approx(reference.value(objective.mdp, theta, taus[t], 0.1), rel=1e-11)
            theta = theta + 0.3 * reference.policy_gradient(objective.mdp, theta, taus[t], 0.1)
        np.testing.assert_allclose(result.final_params[k], theta, rtol=1e-9, atol=1e-11)
    assert sorted(result.checkpoints) == [0, 10, 20, 25]
    np.testing.assert_allclose(result.curves["tau"][:, 0], taus)
    assert result.curves["return"].shape == (26, 3)


def test_ascent_increases_return_and_same_seed_is_identical(objective):
    config = ExactTrainConfig(seeds=4, updates=200, lr=0.5, seed=9)
    a = train_exact(objective, config)
    b = train_exact(objective, config)
    np.testing.assert_array_equal(a.final_params, b.final_params)
    np.testing.assert_array_equal(a.curves["return"], b.curves["return"])
    assert np.all(a.curves["return"][-1] > a.curves["return"][0] + 0.5)
    assert np.all(np.diff(a.curves["value"], axis=0) > -1e-9)  # small-step ascent is monotone here


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop"])
def test_other_optimizers_improve(objective, optimizer):
    result = train_exact(objective, ExactTrainConfig(seeds=2, updates=100, lr=0.05, optimizer=optimizer))
    assert np.all(result.curves["return"][-1] > result.curves["return"][0])


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(seeds=0), "seeds must be an integer >= 1, got 0"),
        (dict(lr=-0.1), "lr must be a finite number > 0"),
        (dict(entropy_decay=1.5), "entropy_decay must be a number in"),
        (dict(mix=2.0), "mix must be a number in"),
        (dict(optimizer="lbfgs"), "optimizer must be one of"),
    ],
)
def test_bad_config(objective, change, match):
    with pytest.raises(InputError, match=match):
        train_exact(objective, ExactTrainConfig(**change))


def test_segment_callbacks_see_every_curve_row_and_change_nothing(objective):
    """on_segment gets the rows of each segment in order, progress the updates, while_computing one call."""
    config = ExactTrainConfig(seeds=3, updates=25, lr=0.3, entropy=0.5, entropy_decay=0.9, checkpoint_every=10)
    calls, pieces, progress = [], [], []
    result = train_exact(objective, config, progress=progress.append,
                         on_segment=lambda start, curves: pieces.append((start, curves)),
                         while_computing=lambda: calls.append(len(pieces)))
    plain = train_exact(objective, config)
    assert calls == [0] and progress == [10, 10, 5]
    assert [start for start, _ in pieces] == [0, 10, 20]
    for name, rows in result.curves.items():
        np.testing.assert_array_equal(np.concatenate([c[name] for _, c in pieces]), rows[:-1])
        np.testing.assert_array_equal(rows, plain.curves[name])
    np.testing.assert_array_equal(result.final_params, plain.final_params)
