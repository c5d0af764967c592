"""Small pieces every recipe needs: reading a sub-run's summary, fractions of perturbation classes
with their Wilson intervals, formatting."""

from __future__ import annotations

import json
from pathlib import Path

from policyscape.recipes.verdicts import Interval, at_least, wilson_interval


def read_summary(run_dir: Path | str) -> dict:
    """``summary.json`` of a sub-run directory."""
    return json.loads((Path(run_dir) / "summary.json").read_text())


def class_fraction(summary: dict, classes: tuple[str, ...] | str, alpha_index: int = 0) -> Interval:
    """Fraction of a perturbation run's directions in ``classes`` at its ``alpha_index``-th α, Wilson interval.

    ``summary`` is a ``run_perturb`` summary (``per_alpha[a]["fractions"]`` over ``directions`` directions).
    """
    classes = (classes,) if isinstance(classes, str) else classes
    n = int(summary["directions"])
    fractions = summary["per_alpha"][alpha_index]["fractions"]
    k = round(sum(fractions.get(c, 0.0) for c in classes) * n)
    return wilson_interval(k, n)


def negative_curvature_fraction(summary: dict, alpha_index: int = 0) -> Interval:
    """Fraction of directions with significant negative curvature (Δ+ + Δ− < −2 tol), Wilson interval."""
    n = int(summary["directions"])
    k = round(summary["per_alpha"][alpha_index]["fraction_significant_negative_curvature"] * n)
    return wilson_interval(k, n)


def fraction_text(interval: Interval, n: int, what: str) -> str:
    """``"93.0% [91.2%, 94.5%] of 1000 directions are local maxima"``."""
    return f"{interval.format(percent=True)} of {n} {what}"


def at_least_fraction_claim(interval: Interval, n: int, what: str, holds_at: float, fails_below: float,
                            **evidence) -> tuple[str, str, dict]:
    """(verdict, measured text, evidence) of "a large fraction of the n directions/seeds are ``what``".

    The verdict is ``verdicts.at_least`` on the Wilson ``interval``; ``evidence`` gets the fraction, its
    interval, n and the thresholds, plus any keyword given.
    """
    return at_least(interval, holds_at, fails_below), fraction_text(interval, n, what), {
        "fraction": interval.estimate, "ci95": [interval.lo, interval.hi], "n": n, "holds_at": holds_at,
        "fails_below": fails_below, **evidence}


__all__ = ["at_least_fraction_claim", "class_fraction", "fraction_text", "negative_curvature_fraction",
           "read_summary"]
