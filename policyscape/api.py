"""The Python API in a few functions, for notebooks and for the CLI.

    >>> import policyscape as ps
    >>> objective = ps.exact_objective("policyscape/SymmetricGridworld-v0", entropy=0.01)
    >>> objective.evaluate(thetas)            # thetas [B, n] → dict of [B] arrays
    >>> ps.evaluate("runs/train/final.npz@3")  # one θ from a checkpoint → dict
"""

from __future__ import annotations

import numpy as np

from policyscape.envs.registry import DEFAULT_ENV_ID, make_tabular
from policyscape.envs.tabular import optimal_value
from policyscape.errors import InputError
from policyscape.objectives.base import as_theta_batch
from policyscape.objectives.exact import ExactObjective
from policyscape.runs.checkpoint import Params, load_params


def exact_objective(env_id: str = DEFAULT_ENV_ID, entropy: float = 0.0, mix: float = 0.0) -> ExactObjective:
    """The exact objective ``J(θ; τ, c)`` of a registered tabular environment."""
    return ExactObjective(make_tabular(env_id), entropy=entropy, mix=mix)


def named_params(name: str, env: str | None) -> Params | None:
    """Named points: toy points (``--env toy/... --at near-optimum``) and, for supervised ids,
    ``init`` (the seed-0 initializer) and ``solution`` (the optimum by Newton's method)."""
    from policyscape.objectives.supervised import SUPERVISED_OBJECTIVES
    from policyscape.objectives.toy import TOY_POINTS

    if env is not None and env.startswith("toy/") and name in TOY_POINTS:
        return Params(np.array(TOY_POINTS[name], dtype=np.float64), env, None, name)
    if env in SUPERVISED_OBJECTIVES and name in ("init", "solution"):
        objective = SUPERVISED_OBJECTIVES[env]()
        theta = objective.initial_params(0) if name == "init" else objective.solve()
        return Params(theta, env, None, name)
    return None


def resolve_params(at: str | np.ndarray, env: str | None = None) -> tuple[np.ndarray, str]:
    """θ from an ``--at`` value (or an array) and the environment id it belongs to.

    ``at`` is anything :func:`~policyscape.runs.checkpoint.load_params` reads, or a named
    point (:func:`named_params`). The environment is ``env`` if given, else the one recorded
    in a checkpoint, else the paper's gridworld; a checkpoint recorded for another
    environment is refused.
    """
    if isinstance(at, np.ndarray):
        params = Params(np.asarray(at, dtype=np.float64), source="array")
    else:
        params = named_params(str(at), env) or load_params(at)
    if env is not None and params.env_id is not None and env != params.env_id:
        raise InputError(f"{params.source!r} was saved for environment {params.env_id!r}, but --env is {env!r}")
    return params.theta, env or params.env_id or DEFAULT_ENV_ID


def objective_for(env_id: str, entropy: float = 0.0, mix: float = 0.0, sampling=None):
    """Any objective by id: tabular (exact, or sampled with ``sampling``), ``toy/…``, ``supervised/…``,
    or any Gymnasium id (sampled); see ``objectives.registry``."""
    from policyscape.objectives.registry import make_objective

    return make_objective(env_id, entropy, mix, sampling)


def evaluate(at: str | np.ndarray, env: str | None = None, entropy: float = 0.0, mix: float = 0.0,
             sampling=None) -> dict:
    """Value (and whatever else the objective reports) at one θ; exact tabular MDPs add the optimal return."""
    theta, env_id = resolve_params(at, env)
    objective = objective_for(env_id, entropy, mix, sampling)
    theta = as_theta_batch(theta, objective.num_params, what=f"theta for {env_id}")
    result = {"env_id": env_id, **{k: float(v[0]) for k, v in objective.evaluate(theta).items()}}
    if isinstance(objective, ExactObjective):
        optimal = optimal_value(objective.mdp).value
        result.update(entropy_weight=objective.entropy, mix=objective.mix, optimal_return=optimal,
                      gap_to_optimal=optimal - result["return"])
    result["num_params"] = objective.num_params
    return result
