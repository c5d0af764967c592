"""Environments: the tabular MDP type, gridworld builders, toy-text conversion, registered ids.

Importing this package registers every ``policyscape/`` id with Gymnasium.
"""

from policyscape.envs.gridworlds import four_optima_gridworld, multi_optima_gridworld, symmetric_gridworld
from policyscape.envs.registry import DEFAULT_ENV_ID, TABULAR_ENVS, make_tabular, register_gymnasium_envs
from policyscape.envs.tabular import TabularMDP, optimal_value, policy_value
from policyscape.envs.toy_text import from_toy_text

register_gymnasium_envs()

__all__ = [
    "DEFAULT_ENV_ID",
    "TABULAR_ENVS",
    "TabularMDP",
    "four_optima_gridworld",
    "from_toy_text",
    "make_tabular",
    "multi_optima_gridworld",
    "optimal_value",
    "policy_value",
    "register_gymnasium_envs",
    "symmetric_gridworld",
]
