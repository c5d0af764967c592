"""What every objective shares: the batch-of-flat-θ contract, its input checks, and autodiff.

An objective maps ``thetas [B, n]`` to a dict of ``[B]`` arrays holding at least ``"value"``
(the quantity being *maximized*; a loss enters as its negative). Analyses only build batches
of θ and hand them over. Objectives written in JAX subclass :class:`JaxObjective` and get
exact gradients, Hessians and Hessian-vector products, all in float64.
"""

from __future__ import annotations

from functools import cached_property
from typing import Protocol, runtime_checkable

import jax
import jax.numpy as jnp
import numpy as np

from policyscape._jax import float64
from policyscape.errors import InputError


def as_theta_batch(thetas, num_params: int, what: str = "theta") -> np.ndarray:
    """Validate θ as ``[n]`` or ``[B, n]`` float64 with finite entries → ``[B, n]``."""
    arr = np.asarray(thetas, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != num_params:
        raise InputError(f"{what} must have length {num_params} (shape [n] or [B, n]), got shape {np.shape(thetas)}")
    bad = ~np.isfinite(arr)
    if np.any(bad):
        b, i = np.argwhere(bad)[0]
        raise InputError(f"{what} must be finite, got {arr[b, i]} at index {i}" + (f" of row {b}" if arr.shape[0] > 1 else ""))
    return arr


@runtime_checkable
class Objective(Protocol):
    """Anything that evaluates a batch of flat parameter vectors."""

    name: str
    fields: tuple[str, ...]  # the keys evaluate() returns, "value" first

    @property
    def num_params(self) -> int: ...

    def evaluate(self, thetas) -> dict[str, np.ndarray]:
        """thetas [B, n] → dict of [B] arrays with at least "value"."""
        ...


class JaxObjective:
    """Base of objectives given by a traceable scalar ``value_fn(θ [n]) → []`` (maximized).

    Subclasses set ``name`` and ``num_params`` and define ``value_fn``; they may override
    ``evaluate`` to report more quantities. Everything runs under ``jax.enable_x64``.
    """

    name: str = "objective"
    fields: tuple[str, ...] = ("value",)

    @property
    def num_params(self) -> int:
        raise NotImplementedError

    def value_fn(self, theta: jax.Array) -> jax.Array:
        raise NotImplementedError

    @cached_property
    def _batched_value(self):
        return jax.jit(jax.vmap(self.value_fn))

    @cached_property
    def _grad(self):
        return jax.jit(jax.grad(self.value_fn))

    @cached_property
    def _hessian(self):
        return jax.jit(jax.hessian(self.value_fn))

    @cached_property
    def _hvp(self):
        return jax.jit(lambda theta, v: jax.jvp(jax.grad(self.value_fn), (theta,), (v,))[1])

    @float64
    def evaluate(self, thetas) -> dict[str, np.ndarray]:
        """thetas [B, n] (or [n]) → {"value": [B]}."""
        batch = as_theta_batch(thetas, self.num_params)
        return {"value": np.asarray(self._batched_value(jnp.asarray(batch)))}

    @float64
    def grad(self, theta) -> np.ndarray:
        """∇J(θ) → [n]."""
        return np.asarray(self._grad(jnp.asarray(as_theta_batch(theta, self.num_params)[0])))

    @float64
    def hessian(self, theta) -> np.ndarray:
        """∇²J(θ) → [n, n] (dense)."""
        return np.asarray(self._hessian(jnp.asarray(as_theta_batch(theta, self.num_params)[0])))

    @float64
    def hvp(self, theta, v) -> np.ndarray:
        """Hessian-vector product ∇²J(θ) v by forward-over-reverse autodiff → [n]."""
        theta = as_theta_batch(theta, self.num_params)[0]
        v = as_theta_batch(v, self.num_params, what="v")[0]
        return np.asarray(self._hvp(jnp.asarray(theta), jnp.asarray(v)))
