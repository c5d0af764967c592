"""What a recipe is: a typed configuration per budget, a ``run`` that computes and saves, and an
``assess`` that turns the saved results into figures and claims.

A recipe module defines one :class:`Recipe`::

    RECIPE = Recipe(
        name="toy", title="…", summary="…",
        claims={"strict-max": "The strict maximum looks like a local maximum in every direction."},
        budgets={"tiny": Config(...), "quick": Config(...), "full": Config(...)},
        expected_time={"quick": "20 s", "full": "2 min"},
        run=run,        # run(config, out: Path, progress: bool, executor) -> None: compute, save, draw
        assess=assess,  # assess(out: Path) -> list[Claim | Figure]: read the saved results only
    )

A recipe may also offer the ``decisive`` budget (:data:`DECISIVE`): ``budgets["decisive"]`` is its base
configuration, ``pilot`` the configuration of a pilot run, and ``decide(pilot_dir, base)`` returns the
configuration whose seeds decide each claim from the pilot's measured spread, with the seeds each claim
needs (``recipes.reproduce.run_recipe`` runs the pilot first, into ``<recipe>/pilot``).

``run`` writes everything under ``out`` (resumable: sub-runs are run directories and point
stores); ``executor`` (``runs.executor``; None: in this process) evaluates the chunks of sampled
landscape runs, recipes whose points are exact ignore it. ``assess`` reads only saved files, so ``policyscape report DIR`` rebuilds every verdict
and the report without recomputing. Figures are paths relative to ``out``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

from policyscape.recipes.verdicts import NOT_RUN, VERDICTS

BUDGETS = ("tiny", "quick", "full")
#: the budget sized from a pilot's measured variance, offered by recipes with ``decide``.
DECISIVE = "decisive"


@dataclass(frozen=True)
class Claim:
    """One claim of the paper, what we measured, and the verdict the measurement gives.

    ``key`` names the claim within its recipe (``Recipe.claims[key]`` is the paper's sentence);
    ``evidence`` holds the numbers behind the verdict; ``figures`` the figures that show it;
    ``note`` says where and why we differ from the paper, when we do.
    """

    recipe: str
    key: str
    claim: str
    measured: str
    verdict: str
    evidence: dict = field(default_factory=dict)
    figures: tuple[str, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Figure:
    """A figure of a recipe: ``path`` relative to the recipe's directory, with a caption."""

    path: str
    caption: str


@dataclass(frozen=True)
class Recipe:
    """One experiment of the paper (module docstring)."""

    name: str
    title: str
    summary: str
    claims: dict[str, str]
    budgets: dict[str, Any]
    expected_time: dict[str, str]
    run: Callable[[Any, Path, bool, Any], None]
    assess: Callable[[Path], list]
    pilot: Any = None
    decide: Callable[[Path, Any], tuple[Any, dict]] | None = None

    def __post_init__(self) -> None:
        missing = [b for b in BUDGETS if b not in self.budgets]
        if missing:
            raise ValueError(f"recipe {self.name!r} lacks budgets {missing}")
        if (self.decide is None) != (self.pilot is None) or (self.decide is None) == (DECISIVE in self.budgets):
            raise ValueError(f"recipe {self.name!r}: the {DECISIVE!r} budget needs a base configuration, a pilot "
                             "and decide(), all three or none")

    def config(self, budget: str):
        if budget not in self.budgets:
            raise KeyError(f"unknown budget {budget!r}; expected one of {tuple(self.budgets)}")
        return self.budgets[budget]

    def claim(self, key: str, measured: str, verdict: str, evidence: dict | None = None,
              figures: tuple[str, ...] | list[str] = (), note: str = "") -> Claim:
        """A :class:`Claim` of this recipe; the sentence comes from ``self.claims[key]``."""
        return Claim(self.name, key, self.claims[key], measured, verdict, evidence or {}, tuple(figures), note)

    def not_run(self, reason: str = "not run at this budget") -> list[Claim]:
        """Every claim of the recipe, marked not run."""
        return [Claim(self.name, k, sentence, reason, NOT_RUN) for k, sentence in self.claims.items()]


def config_dict(config: Any) -> dict:
    """A recipe configuration as JSON-able data (for ``config.json``)."""
    return asdict(config) if is_dataclass(config) else dict(config)


__all__ = ["BUDGETS", "Claim", "Figure", "Recipe", "config_dict"]
