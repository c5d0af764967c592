"""policyscape: optimization landscapes of RL policies, and what entropy does to them.

Start with :mod:`policyscape.api` (``exact_objective``, ``evaluate``), the MDP builders in
:mod:`policyscape.envs`, and exact training in :mod:`policyscape.optimize.exact_pg`.
"""

from policyscape.api import evaluate, exact_objective, resolve_params
from policyscape.envs.registry import DEFAULT_ENV_ID, make_tabular, register_gymnasium_envs
from policyscape.envs.tabular import TabularMDP, optimal_value
from policyscape.errors import InputError
from policyscape.objectives.exact import ExactObjective
from policyscape.optimize.exact_pg import ExactTrainConfig, train_exact
from policyscape.policies.softmax import TabularSoftmaxPolicy

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_ENV_ID",
    "ExactObjective",
    "ExactTrainConfig",
    "InputError",
    "TabularMDP",
    "TabularSoftmaxPolicy",
    "evaluate",
    "exact_objective",
    "make_tabular",
    "optimal_value",
    "register_gymnasium_envs",
    "resolve_params",
    "train_exact",
]
