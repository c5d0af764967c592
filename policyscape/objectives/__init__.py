"""Objectives: functions of a batch of flat parameter vectors.

``ExactObjective`` and ``exact_terms`` are imported on first access, so that importing a
submodule (``policyscape.objectives.reference``, ``.base``) does not import the exact objective.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["ExactObjective", "exact_terms"]


def __getattr__(name: str):
    if name in __all__:
        from policyscape.objectives import exact

        value = getattr(exact, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    from policyscape.objectives.exact import ExactObjective, exact_terms
