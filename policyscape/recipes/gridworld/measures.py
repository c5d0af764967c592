"""Quantities the gridworld recipe's figures and verdicts both read from its saved results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from policyscape.files import SavedRun


def dip_depth(alphas: np.ndarray, values: np.ndarray) -> float:
    """``min(O(α=0), O(α=1)) − min_{α ∈ [0, 1]} O(α)`` (≥ 0): how far the path sinks below its lower end.

    Zero when no point between the two policies is worse than the worse of them (no valley).
    """
    alphas, values = np.asarray(alphas, float), np.asarray(values, float)
    inside = (alphas >= 0) & (alphas <= 1)
    ends = min(float(np.interp(0.0, alphas, values)), float(np.interp(1.0, alphas, values)))
    return max(0.0, ends - float(values[inside].min()))


def dip_depths(out: Path) -> dict[float, float]:
    """τ → dip depth of the "all down" → "all right" path (see :func:`dip_depth`)."""
    table = SavedRun(out / "interp-down-right").read_csv("interpolation.csv")
    depths = {}
    for label in dict.fromkeys(table["variant"]):
        rows = table["variant"] == label
        depths[float(label.split("=")[1])] = dip_depth(table["alpha"][rows], table["value"][rows])
    return depths


