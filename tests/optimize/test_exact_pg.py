"""Exact policy-gradient training: against a hand-written per-seed loop, schedules, determinism."""

import numpy as np
import pytest

from policyscape.envs.gridworlds import symmetric_gridworld
from policyscape.errors import InputError
from policyscape.objectives import reference
from policyscape.objectives.exact import ExactObjective
from policyscape.optimize.exact_pg import OPTIMIZERS, ExactTrainConfig, seed_sharding, tau_schedule, train_exact


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


def test_training_loop_has_no_lapack_call(objective):
    """The compiled segment solves by elimination: no custom call (jaxlib's batched LAPACK kernels deadlock
    XLA's CPU thread pool when several devices call them at once), so the seeds may be split over devices."""
    import jax

    from policyscape.optimize.exact_pg import _segment_fn

    config = ExactTrainConfig(seeds=4, updates=10, optimizer="adam")
    objective = objective.with_variant(entropy=config.entropy, mix=config.mix)
    params = np.zeros((4, objective.policy.num_params))
    with jax.enable_x64(True):
        opt_state = OPTIMIZERS["adam"](0.1).init(jax.numpy.asarray(params))
        hlo = _segment_fn().lower(params, opt_state, np.zeros(10), 10, 0.0, 0.1, *objective._arrays(),
                                  objective.mdp.gamma, policy=objective.policy, mix=objective.mix,
                                  optimizer="adam").as_text()
    assert "while" in hlo and "custom_call" not in hlo


def test_one_device_keeps_theta_on_the_default_device():
    assert seed_sharding(64, 26) is None  # this test process has one CPU device


TWO_DEVICES = """
import os, sys
os.environ["JAX_NUM_CPU_DEVICES"] = "2"
import jax, numpy as np
from policyscape.envs.gridworlds import symmetric_gridworld
from policyscape.objectives.exact import ExactObjective
from policyscape.optimize.exact_pg import ExactTrainConfig, seed_sharding, train_exact
assert len(jax.devices()) == 2
assert seed_sharding(4, 26) is not None and seed_sharding(3, 26) is None and seed_sharding(4, 200) is None
objective = ExactObjective(symmetric_gridworld())
config = ExactTrainConfig(seeds=4, updates=60, lr=0.05, optimizer="adam", checkpoint_every=25, entropy=0.5)
states = []
full = train_exact(objective, config, on_checkpoint=states.append)
resumed = train_exact(objective, config, resume=states[0])
np.savez(sys.argv[1], final=full.final_params, resumed=resumed.final_params,
         **{"curve_" + k: v for k, v in full.curves.items()}, **{"resumed_" + k: v for k, v in resumed.curves.items()})
"""


def test_seeds_split_over_two_cpu_devices(objective, tmp_path):
    """Two CPU devices (each trains half the seeds): the θ and curves of one device to rounding, and a run
    resumed from a checkpoint ends bit for bit like the uninterrupted one on the same devices."""
    import subprocess
    import sys

    out = tmp_path / "two.npz"
    proc = subprocess.run([sys.executable, "-c", TWO_DEVICES, str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    two = np.load(out)
    config = ExactTrainConfig(seeds=4, updates=60, lr=0.05, optimizer="adam", checkpoint_every=25, entropy=0.5)
    one = train_exact(objective, config)
    np.testing.assert_allclose(two["final"], one.final_params, rtol=1e-12, atol=1e-13)
    for name, values in one.curves.items():
        np.testing.assert_allclose(two["curve_" + name], values, rtol=1e-12, atol=1e-13)
        np.testing.assert_array_equal(two["resumed_" + name], two["curve_" + name])
    np.testing.assert_array_equal(two["resumed"], two["final"])
