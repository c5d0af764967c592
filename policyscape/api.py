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


def resolve_params(at: str | np.ndarray, env: str | None = None) -> tuple[np.ndarray, str]:
    """θ from an ``--at`` value (or an array) and the environment id it belongs to.

    The environment is ``env`` if given, else the one recorded in a checkpoint, else the
    paper's gridworld; a checkpoint recorded for another environment is refused.
    """
    params = Params(np.asarray(at, dtype=np.float64), source="array") if isinstance(at, np.ndarray) else load_params(at)
    if env is not None and params.env_id is not None and env != params.env_id:
        raise InputError(f"{params.source!r} was saved for environment {params.env_id!r}, but --env is {env!r}")
    return params.theta, env or params.env_id or DEFAULT_ENV_ID


def evaluate(at: str | np.ndarray, env: str | None = None, entropy: float = 0.0, mix: float = 0.0) -> dict:
    """Exact value, return and discounted entropy of one θ, with the optimal return for reference."""
    theta, env_id = resolve_params(at, env)
    objective = exact_objective(env_id, entropy, mix)
    theta = as_theta_batch(theta, objective.num_params, what=f"theta for {env_id}")
    values = objective.evaluate(theta)
    optimal = optimal_value(objective.mdp).value
    result = {k: float(v[0]) for k, v in values.items()}
    return {
        "env_id": env_id,
        "entropy_weight": objective.entropy,
        "mix": objective.mix,
        **result,
        "optimal_return": optimal,
        "gap_to_optimal": optimal - result["return"],
        "num_params": objective.num_params,
    }
