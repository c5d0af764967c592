"""Every objective declares what it can do (objectives.base), and analyses ask isinstance, not hasattr."""

import numpy as np
import pytest

from policyscape.errors import InputError
from policyscape.landscape.hessian import hessian_spectrum
from policyscape.objectives.base import DifferentiableObjective, Objective, StochasticObjective
from policyscape.objectives.registry import ObjectiveSpec, Sampling, make_objective
from policyscape.runs.landscape import Point, measure_noise, run_hessian

GRID = "policyscape/SymmetricGridworld-v0"


@pytest.mark.parametrize("env_id, sampling, differentiable", [
    (GRID, None, True),                                      # exact tabular
    ("toy/saddle", None, True),                              # toy
    ("supervised/digits-logreg", None, True),                # supervised
    (GRID, Sampling(episodes=2), False),                     # tabular id, sampled (TabularLayout)
    ("CartPole-v1", Sampling(episodes=2, max_steps=20), False),  # Gymnasium id, sampled
])
def test_every_objective_declares_its_capabilities(env_id, sampling, differentiable):
    objective = make_objective(env_id, sampling=sampling)
    assert isinstance(objective, Objective)
    assert isinstance(objective, DifferentiableObjective) is differentiable
    assert isinstance(objective, StochasticObjective) is (not differentiable)
    assert objective.spec == ObjectiveSpec(env_id, 0.0, 0.0, sampling)  # declared, set by make_objective


def test_a_class_that_claims_a_capability_must_provide_it():
    class Incomplete(DifferentiableObjective):
        num_params = 2

        def evaluate(self, thetas):
            return {"value": np.zeros(len(thetas))}

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()


def test_analyses_ask_the_declared_capability(tmp_path):
    sampled = make_objective("CartPole-v1", sampling=Sampling(episodes=2, max_steps=20, seed=3))
    theta = np.zeros(sampled.num_params)
    noise = measure_noise(sampled, theta, 3)
    assert noise["evaluations"] == 3 and len(noise["values"]) == 3
    exact = make_objective("toy/saddle")
    assert measure_noise(exact, np.zeros(2), 3) == {"std": 0.0, "evaluations": 0, "values": []}
    with pytest.raises(InputError, match="differentiable"):
        hessian_spectrum(sampled, theta)
    with pytest.raises(InputError, match="differentiable"):
        run_hessian(sampled, Point(theta, "zero"), tmp_path / "h", "CartPole-v1", {})
    assert not (tmp_path / "h").exists()  # refused before anything is written
