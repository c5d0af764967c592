"""Gradient line search: the objective along the ascent direction, ``θ(η) = θ0 + η·d``, and its cliffs.

``d`` is the unit ascent direction ĝ = g/‖g‖ (η is a distance; the default) or g itself (η is then a
learning rate: θ(η) is one plain gradient-ascent step of size η), with g the exact gradient ∇O(θ0) of a
differentiable objective, the REINFORCE estimate of a sampled one (``optimize.estimate``, with its
standard error), or any direction given (an update a training run took).

What the analysis reports from the values ``O(θ(η_k))`` on a grid of steps η_0 < η_1 < … (module
:func:`analyse`):

- the best step ``η*`` on the grid and its improvement ``O(θ(η*)) − O(θ0)``;
- the first-order prediction ``O(θ0) + η·(∇O·d)`` beside the measured values, and the largest step
  up to which the measured improvement stays within ``taylor_tolerance`` (relative) of it;
- the *overshoot* step: the first η > 0 with ``O(θ(η)) < O(θ0)`` (a step that makes things worse);
- the *largest improving step*: the largest η with ``O(θ(η)) − O(θ0)`` above the noise
  (``noise_sigmas``·√(se(η)² + se(0)²); exact objectives: above 0);
- *cliffs* (the rule): neighbouring grid steps between which the value falls by more than ``cliff_fraction``
  of |O(θ0)| (default 10%) and by more than the noise of the difference,
  ``O(η_k) − O(η_{k+1}) > max(f·|O(θ0)|, noise_sigmas·√(se_k² + se_{k+1}²))``. Each is reported with
  the two steps, the fall, and the slope ``ΔO/Δη`` in units of the initial slope ``∇O·d`` (a cliff
  is many initial slopes steep, downhill). A cliff is a property of the grid: a fall spread over
  several grid intervals may pass under the threshold in each.

Points, by index: step k gives point k.
"""

from __future__ import annotations

import numpy as np

from policyscape.errors import InputError
from policyscape.landscape.interpolate import parse_alphas

DEFAULT_STEPS = "0:2:41"
#: A cliff: a fall between neighbouring steps of more than this fraction of |O(θ0)| (and beyond the noise).
DEFAULT_CLIFF_FRACTION = 0.1


def parse_steps(spec: str) -> np.ndarray:
    """``"log:lo:hi:num"`` (geometric, inclusive, lo > 0), ``"start:stop:num"`` or ``"a,b,c"`` → sorted steps
    η [K] (≥ 0, distinct)."""
    spec = str(spec).strip()
    if spec.startswith("log:"):
        try:
            lo, hi, num = spec[4:].split(":")
            lo, hi, n = float(lo), float(hi), int(num)
        except ValueError:
            raise InputError(f"expected log steps as log:lo:hi:num (e.g. log:1e-3:1e2:61), got {spec!r}") from None
        if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi and n >= 2):
            raise InputError(f"log steps need 0 < lo < hi (finite) and num >= 2, got {spec!r}")
        steps = np.geomspace(lo, hi, n)
    else:
        steps = parse_alphas(spec)
    if np.any(steps < 0):
        raise InputError(f"line-search steps η must be >= 0 (the ascent direction's side), got {spec!r}")
    steps = np.unique(steps)
    if steps.size < 2:
        raise InputError(f"a line search needs at least two distinct steps, got {spec!r}")
    return steps


def ascent_direction(gradient: np.ndarray, normalize: bool) -> np.ndarray:
    """The direction of the line: ∇O itself, or ∇O/‖∇O‖ (``normalize``) → [n]. A zero gradient is refused."""
    g = np.asarray(gradient, dtype=np.float64)
    norm = float(np.linalg.norm(g))
    if not np.isfinite(norm) or norm == 0.0:
        raise InputError(f"the gradient at θ0 has norm {norm}: there is no ascent direction to search along")
    return g / norm if normalize else g


def line_thetas(theta0: np.ndarray, direction: np.ndarray, steps: np.ndarray, points: np.ndarray) -> np.ndarray:
    """θ0 + η_k·d for the given point indices k → [len(points), n]."""
    return theta0[None, :] + np.asarray(steps)[np.asarray(points)][:, None] * direction[None, :]


def analyse(steps: np.ndarray, values: np.ndarray, value0: float, slope: float | None,
            cliff_fraction: float = DEFAULT_CLIFF_FRACTION, taylor_tolerance: float = 0.1,
            stderr: np.ndarray | None = None, noise_sigmas: float = 2.0) -> dict:
    """Best step, largest improving step, overshoot step, first-order agreement and cliffs of a line search
    (module docstring).

    ``steps`` [K] sorted with ``steps[0] = 0``, ``values`` [K] = O(θ0 + η_k d), ``value0`` = O(θ0), ``slope`` = ∇O·d
    (None when the gradient is not known: no first-order comparison, cliff slopes not in units of it),
    ``stderr`` [K]: standard errors of the values (sampled objectives; None: exact).
    """
    steps, values = np.asarray(steps, dtype=np.float64), np.asarray(values, dtype=np.float64)
    if steps.shape != values.shape or steps.ndim != 1:
        raise InputError(f"steps and values must be vectors of one length, got {steps.shape}, {values.shape}")
    if not 0 < cliff_fraction < 1:
        raise InputError(f"cliff_fraction must be within (0, 1), got {cliff_fraction}")
    se = np.zeros_like(values) if stderr is None else np.nan_to_num(np.asarray(stderr, dtype=np.float64))
    se0 = float(se[0]) if steps[0] == 0 else 0.0
    best = int(np.argmax(values))
    gain = values - value0
    improves = (steps > 0) & (gain > noise_sigmas * np.sqrt(se**2 + se0**2))
    worse = np.flatnonzero((steps > 0) & (values < value0))
    drops = values[:-1] - values[1:]
    noise = noise_sigmas * np.sqrt(se[:-1] ** 2 + se[1:] ** 2)
    threshold = cliff_fraction * abs(value0)
    cliffs = []
    for k in np.flatnonzero((drops > threshold) & (drops > noise)):
        fall_slope = -drops[k] / (steps[k + 1] - steps[k])
        cliffs.append({"step_before": float(steps[k]), "step_after": float(steps[k + 1]),
                       "value_before": float(values[k]), "value_after": float(values[k + 1]),
                       "drop": float(drops[k]), "drop_over_abs_value0": float(drops[k] / abs(value0)) if value0 else None,
                       "noise": float(noise[k]),
                       "slope_in_initial_slopes": float(fall_slope / slope) if slope else None})
    summary = {
        "value_at_theta0": float(value0),
        "best_step": float(steps[best]), "best_value": float(values[best]),
        "best_improvement": float(values[best] - value0),
        "largest_improving_step": float(steps[improves][-1]) if improves.any() else None,
        "overshoot_step": float(steps[worse[0]]) if worse.size else None,
        "cliff_rule": {"fraction_of_abs_value0": cliff_fraction, "threshold": threshold, "noise_sigmas": noise_sigmas},
        "cliffs": cliffs,
        "initial_slope": None if slope is None else float(slope),
    }
    if slope is not None:
        predicted = value0 + steps * slope
        measured, linear = values - value0, steps * slope
        ok = np.abs(measured - linear) <= taylor_tolerance * np.abs(linear)
        positive = steps > 0
        bad = np.flatnonzero(positive & ~ok)
        good = np.flatnonzero(positive & ok)
        last_ok = good[good < bad[0]] if bad.size else good
        summary["first_order"] = {"tolerance": taylor_tolerance,
                                  "valid_up_to_step": float(steps[last_ok[-1]]) if last_ok.size else None,
                                  "predicted_at_best_step": float(predicted[best])}
    return summary
