"""The 2-D toy functions of the paper's method illustrations (Ahmed et al. 2019, Figure 2).

θ = (x, y); every function is *maximized* (Goodfellow's loss enters as its negative)::

    toy/strict-max   J =  −x² − 2y²      strict maximum at the origin
    toy/flat-max     J =  −x²            maximum along the y axis (flat in y)
    toy/saddle       J =  −2x² + 2y²     saddle at the origin
    toy/linear       J =  −2x + 2y       no curvature at all
    toy/goodfellow   J = −(1 − xy)²      loss (1 − xy)² of Goodfellow et al. (2015): saddle at
                                         the origin, maxima (J = 0) along the hyperbola xy = 1

Each objective also carries its gradient and Hessian in closed form (``exact_grad``,
``exact_hessian``) so that tests can check autodiff against them. ``TOY_POINTS`` holds the
points the paper looks at.
"""

from __future__ import annotations

import difflib
from typing import Callable

import jax
import numpy as np

from policyscape.errors import InputError
from policyscape.objectives.base import JaxObjective, as_theta_batch

ClosedForm = Callable[[float, float], object]  # (x, y) → nested lists convertible to an array


class ToyObjective(JaxObjective):
    """A maximized function ``J(x, y)`` of θ = (x, y), with its closed-form gradient and Hessian."""

    def __init__(self, name: str, fn, grad_fn: ClosedForm, hessian_fn: ClosedForm, description: str) -> None:
        self.name = name
        self.fn = fn  # traceable J(x, y) → scalar
        self._grad_fn = grad_fn
        self._hessian_fn = hessian_fn
        self.description = description

    @property
    def num_params(self) -> int:
        return 2

    def value_fn(self, theta: jax.Array) -> jax.Array:
        assert theta.shape == (2,), theta.shape
        return self.fn(theta[0], theta[1])

    def exact_grad(self, theta) -> np.ndarray:
        """∇J(θ) [2] from the closed form."""
        x, y = as_theta_batch(theta, 2)[0]
        return np.asarray(self._grad_fn(x, y), dtype=np.float64)

    def exact_hessian(self, theta) -> np.ndarray:
        """∇²J(θ) [2, 2] from the closed form."""
        x, y = as_theta_batch(theta, 2)[0]
        return np.asarray(self._hessian_fn(x, y), dtype=np.float64)

    def __repr__(self) -> str:
        return f"ToyObjective({self.name!r})"


TOY_OBJECTIVES: dict[str, ToyObjective] = {
    o.name: o
    for o in [
        ToyObjective(
            "toy/strict-max",
            lambda x, y: -(x**2) - 2 * y**2,
            lambda x, y: [-2 * x, -4 * y],
            lambda x, y: [[-2.0, 0.0], [0.0, -4.0]],
            "−x² − 2y²: strict maximum at the origin.",
        ),
        ToyObjective(
            "toy/flat-max",
            lambda x, y: -(x**2),
            lambda x, y: [-2 * x, 0.0],
            lambda x, y: [[-2.0, 0.0], [0.0, 0.0]],
            "−x²: maximum along the y axis, flat in y.",
        ),
        ToyObjective(
            "toy/saddle",
            lambda x, y: -2 * x**2 + 2 * y**2,
            lambda x, y: [-4 * x, 4 * y],
            lambda x, y: [[-4.0, 0.0], [0.0, 4.0]],
            "−2x² + 2y²: saddle at the origin.",
        ),
        ToyObjective(
            "toy/linear",
            lambda x, y: -2 * x + 2 * y,
            lambda x, y: [-2.0, 2.0],
            lambda x, y: [[0.0, 0.0], [0.0, 0.0]],
            "−2x + 2y: linear, no curvature.",
        ),
        ToyObjective(
            "toy/goodfellow",
            lambda x, y: -((1 - x * y) ** 2),
            lambda x, y: [2 * (1 - x * y) * y, 2 * (1 - x * y) * x],
            lambda x, y: [[-2 * y**2, 2 - 4 * x * y], [2 - 4 * x * y, -2 * x**2]],
            "−(1 − xy)² (Goodfellow et al. 2015's loss, negated): saddle at the origin, maxima on xy = 1.",
        ),
    ]
}

#: The toy functions a named point belongs to (a point of another function is refused).
TOY_POINT_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "origin": ("toy/strict-max", "toy/flat-max", "toy/saddle", "toy/linear", "toy/goodfellow"),
    "near-optimum": ("toy/strict-max",),
    "goodfellow-start": ("toy/goodfellow",),
    "goodfellow-end": ("toy/goodfellow",),
    "goodfellow-optimum": ("toy/goodfellow",),
    "goodfellow-saddle": ("toy/goodfellow",),
}

# Points of the paper's illustrations, as (x, y).
TOY_POINTS: dict[str, tuple[float, float]] = {
    "origin": (0.0, 0.0),  # the maximum / saddle of strict-max, flat-max, saddle; Goodfellow's saddle
    "near-optimum": (0.1, 0.0),  # toy/strict-max just off its maximum
    "goodfellow-start": (-2.0, -0.5),  # interpolation start (on xy = 1)
    "goodfellow-end": (-0.5, -2.0),  # interpolation end (on xy = 1); the straight line crosses a barrier
    "goodfellow-optimum": (1.0, 1.0),  # a maximum of toy/goodfellow
    "goodfellow-saddle": (0.0, 0.0),
}


def make_toy(toy_id: str) -> ToyObjective:
    """The toy objective registered as ``toy_id`` (one of ``TOY_OBJECTIVES``)."""
    if not isinstance(toy_id, str) or toy_id not in TOY_OBJECTIVES:
        known = sorted(TOY_OBJECTIVES)
        close = difflib.get_close_matches(str(toy_id), known, n=3, cutoff=0.4)
        hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
        raise InputError(f"unknown toy objective id {toy_id!r}; {hint}known toy ids: {', '.join(known)}")
    return TOY_OBJECTIVES[toy_id]


__all__ = ["TOY_OBJECTIVES", "TOY_POINTS", "ToyObjective", "make_toy"]
