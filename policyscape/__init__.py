"""policyscape: optimization landscapes of RL policies, and what entropy does to them.

Start with :mod:`policyscape.api` (``exact_objective``, ``evaluate``), the MDP builders in
:mod:`policyscape.envs`, and exact training in :mod:`policyscape.optimize.exact_pg`.

The names below are imported on first access (``policyscape.ExactObjective``,
``from policyscape import train_exact``), so that ``import policyscape.cli`` does not pay
for JAX before a command needs it.

Importing the package registers every ``policyscape/`` environment id with Gymnasium (numpy and
Gymnasium only, no JAX), so both ``import policyscape; gymnasium.make("policyscape/SymmetricGridworld-v0")``
and ``gymnasium.make("policyscape:policyscape/SymmetricGridworld-v0")`` work.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS = {
    "DEFAULT_ENV_ID": "policyscape.envs.registry",
    "ExactObjective": "policyscape.objectives.exact",
    "ExactTrainConfig": "policyscape.optimize.exact_pg",
    "InputError": "policyscape.errors",
    "TabularMDP": "policyscape.envs.tabular",
    "TabularSoftmaxPolicy": "policyscape.policies.softmax",
    "agent_objective": "policyscape.api",
    "evaluate": "policyscape.api",
    "exact_objective": "policyscape.api",
    "make_tabular": "policyscape.envs.registry",
    "optimal_value": "policyscape.envs.tabular",
    "policy_from_apply": "policyscape.api",
    "register_gymnasium_envs": "policyscape.envs.registry",
    "resolve_params": "policyscape.api",
    "sampled_objective": "policyscape.api",
    "train_exact": "policyscape.optimize.exact_pg",
}

__all__ = list(_EXPORTS)

import policyscape.envs  # noqa: E402,F401  (registers the policyscape/ ids with Gymnasium; no JAX)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:
    from policyscape.api import (agent_objective, evaluate, exact_objective, policy_from_apply, resolve_params,
                                 sampled_objective)
    from policyscape.envs.registry import DEFAULT_ENV_ID, make_tabular, register_gymnasium_envs
    from policyscape.envs.tabular import TabularMDP, optimal_value
    from policyscape.errors import InputError
    from policyscape.objectives.exact import ExactObjective
    from policyscape.optimize.exact_pg import ExactTrainConfig, train_exact
    from policyscape.policies.softmax import TabularSoftmaxPolicy
