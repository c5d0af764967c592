"""From measurements to verdicts: intervals and the rules that turn them into holds / partly / …

Every verdict of the report is computed here from a measurement and its uncertainty, never
written by hand. The four verdicts:

- ``holds``: the measurement supports the claim beyond its uncertainty;
- ``partly``: the measurement leans towards the claim but its interval does not decide, or the
  effect is there but weaker than claimed, or only some parts of a compound claim hold;
- ``does not hold``: the measurement contradicts the claim beyond its uncertainty;
- ``not run``: the recipe (or the part the claim needs) was not run at this budget.

Intervals are 95% unless stated: Wilson score intervals for fractions, Newcombe's hybrid score
interval for a difference of two fractions, Student-t intervals for means (``policyscape.intervals``,
re-exported here).
"""

from __future__ import annotations

from collections.abc import Iterable

from policyscape.intervals import (  # noqa: F401  (re-exported: the verdicts' intervals)
    Z95,
    Interval,
    difference_interval,
    mean_difference_interval,
    mean_interval,
    wilson_interval,
)

HOLDS, PARTLY, FAILS, NOT_RUN = "holds", "partly", "does not hold", "not run"
VERDICTS = (HOLDS, PARTLY, FAILS, NOT_RUN)


def at_least(interval: Interval, holds_at: float, fails_below: float) -> str:
    """Claim "the quantity is large": holds if ``lo ≥ holds_at``; does not hold if ``hi < fails_below``; else partly."""
    if fails_below > holds_at:
        raise ValueError(f"fails_below ({fails_below}) must not exceed holds_at ({holds_at})")
    if interval.lo >= holds_at:
        return HOLDS
    if interval.hi < fails_below:
        return FAILS
    return PARTLY


def at_most(interval: Interval, holds_at: float, fails_above: float) -> str:
    """Claim "the quantity is small": holds if ``hi ≤ holds_at``; does not hold if ``lo > fails_above``; else partly."""
    if fails_above < holds_at:
        raise ValueError(f"fails_above ({fails_above}) must not be below holds_at ({holds_at})")
    if interval.hi <= holds_at:
        return HOLDS
    if interval.lo > fails_above:
        return FAILS
    return PARTLY


def positive(interval: Interval) -> str:
    """Claim "the difference is positive": holds if ``lo > 0``; does not hold if ``hi < 0``; else partly."""
    if interval.lo > 0:
        return HOLDS
    if interval.hi < 0:
        return FAILS
    return PARTLY


def exact(condition: bool) -> str:
    """A claim about an exactly computed quantity (no noise): holds or does not hold."""
    return HOLDS if condition else FAILS


def combine(verdicts: Iterable[str]) -> str:
    """A compound claim: holds if every part holds, does not hold if every part fails, else partly.

    Parts that were not run are left out; if none was run, the claim was not run.
    """
    run = [v for v in verdicts if v != NOT_RUN]
    for v in run:
        if v not in VERDICTS:
            raise ValueError(f"unknown verdict {v!r}; expected one of {VERDICTS}")
    if not run:
        return NOT_RUN
    if all(v == HOLDS for v in run):
        return HOLDS
    if all(v == FAILS for v in run):
        return FAILS
    return PARTLY


__all__ = [
    "Z95",
    "FAILS",
    "HOLDS",
    "NOT_RUN",
    "PARTLY",
    "VERDICTS",
    "Interval",
    "at_least",
    "at_most",
    "combine",
    "difference_interval",
    "exact",
    "mean_difference_interval",
    "mean_interval",
    "positive",
    "wilson_interval",
]
