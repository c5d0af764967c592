"""Environment ids: every tabular MDP is known by a ``policyscape/`` id.

``make_tabular(id)`` builds the :class:`TabularMDP` for exact analysis, and the same id is
registered with Gymnasium (``gymnasium.make("policyscape/SymmetricGridworld-v0")``) so that
sampled evaluation can use it too. Keyword arguments go to the builder in both cases.
"""

from __future__ import annotations

import difflib
from typing import Callable

from policyscape.envs.gridworlds import four_optima_gridworld, multi_optima_gridworld, symmetric_gridworld
from policyscape.envs.tabular import TabularMDP
from policyscape.envs.toy_text import from_toy_text
from policyscape.errors import InputError

NAMESPACE = "policyscape"
DEFAULT_ENV_ID = "policyscape/SymmetricGridworld-v0"


def _toy_text(gym_id: str, **gym_kwargs) -> Callable[..., TabularMDP]:
    def build(**kwargs) -> TabularMDP:
        return from_toy_text(gym_id, **{**gym_kwargs, **kwargs})

    build.__doc__ = f"Gymnasium's {gym_id}, converted from its transition table."
    return build


TABULAR_ENVS: dict[str, Callable[..., TabularMDP]] = {
    "policyscape/SymmetricGridworld-v0": symmetric_gridworld,
    "policyscape/MultiOptimaGridworld-v0": multi_optima_gridworld,
    "policyscape/FourOptimaGridworld-v0": four_optima_gridworld,
    "policyscape/FrozenLake-v0": _toy_text("FrozenLake-v1", map_name="4x4"),
    "policyscape/FrozenLake8x8-v0": _toy_text("FrozenLake-v1", map_name="8x8"),
    "policyscape/CliffWalking-v0": _toy_text("CliffWalking-v1"),
    "policyscape/Taxi-v0": _toy_text("Taxi-v4"),
}


def unknown_env_error(env_id: str, known: list[str], others: list[str] | None = None) -> InputError:
    """An error naming ``env_id``, the closest ids among ``known`` and ``others``, and listing ``known``."""
    close = difflib.get_close_matches(env_id, [*known, *(others or [])], n=3, cutoff=0.4)
    hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    tail = " or any registered Gymnasium id" if others else ""
    return InputError(f"unknown environment id {env_id!r}; {hint}known ids: {', '.join(known)}{tail}")


def is_tabular(env_id: str) -> bool:
    return env_id in TABULAR_ENVS


def make_tabular(env_id: str, **kwargs) -> TabularMDP:
    """The tabular MDP registered as ``env_id`` (builder keyword arguments pass through)."""
    if env_id not in TABULAR_ENVS:
        raise unknown_env_error(env_id, sorted(TABULAR_ENVS))
    return TABULAR_ENVS[env_id](**kwargs)


def register_gymnasium_envs() -> None:
    """Register every ``policyscape/`` tabular id with Gymnasium (idempotent)."""
    import gymnasium

    for env_id in TABULAR_ENVS:
        if env_id not in gymnasium.registry:
            gymnasium.register(
                id=env_id,
                entry_point="policyscape.envs.tabular_env:TabularEnv",
                kwargs={"env_id": env_id},
            )
