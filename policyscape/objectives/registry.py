"""One id → one objective: tabular ``policyscape/…`` ids (exact), ``toy/…`` and ``supervised/…``.

Every landscape command resolves ``--env`` here. Objective variants (entropy weight τ, mixing
coefficient c) apply to tabular MDPs only.
"""

from __future__ import annotations

from policyscape.envs.registry import TABULAR_ENVS, make_tabular, unknown_env_error
from policyscape.errors import InputError
from policyscape.objectives.base import Objective
from policyscape.objectives.exact import ExactObjective
from policyscape.objectives.supervised import SUPERVISED_OBJECTIVES
from policyscape.objectives.toy import TOY_OBJECTIVES


def known_ids() -> list[str]:
    return [*TABULAR_ENVS, *TOY_OBJECTIVES, *SUPERVISED_OBJECTIVES]


def make_objective(env_id: str, entropy: float = 0.0, mix: float = 0.0) -> Objective:
    """The objective of ``env_id`` under the variant (τ, c) → an :class:`Objective`."""
    if env_id in TABULAR_ENVS:
        return ExactObjective(make_tabular(env_id), entropy=entropy, mix=mix)
    if env_id in TOY_OBJECTIVES or env_id in SUPERVISED_OBJECTIVES:
        if entropy != 0.0 or mix != 0.0:
            raise InputError(f"--entropy and --mix apply to tabular MDPs only; {env_id!r} takes neither (got {entropy}, {mix})")
        return TOY_OBJECTIVES[env_id] if env_id in TOY_OBJECTIVES else SUPERVISED_OBJECTIVES[env_id]()
    raise unknown_env_error(env_id, known_ids())
