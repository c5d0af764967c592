"""What every objective shares: the batch-of-flat-θ contract, its declared capabilities, its input
checks, and autodiff.

An objective maps ``thetas [B, n]`` to a dict of ``[B]`` arrays holding at least ``"value"``
(the quantity being *maximized*; a loss enters as its negative). Analyses only build batches
of θ and hand them over.

What an objective can do beyond that is *declared* by the class it derives from, the way optax
declares its extension points (``GradientTransformationExtraArgs`` beside
``GradientTransformation``), and analyses ask one ``isinstance`` question, never ``hasattr``:

- :class:`Objective`: ``name``, ``fields``, ``num_params``, ``evaluate(thetas)``, and ``spec``, the
  picklable recipe (a :class:`Spec`: ``objectives.registry.ObjectiveSpec``) from which a worker
  process rebuilds it (None: it runs in this process only);
- :class:`StochasticObjective`: Monte Carlo values; ``evaluate(thetas, seed=None)`` takes a seed
  (default: the objective's ``seed``), which is what noise measurement and unpadded chunking need;
- :class:`DifferentiableObjective`: exact ``grad``, ``hvp`` (Hessian-vector product) and
  ``hessian``, which the Hessian spectra need;
- :class:`PolicyObjective`: θ is the flat parameter vector of ``policy``, whose ``layout``
  (``policies.layout``) says where each weight lives, which filter normalization needs.

Exact tabular, toy and supervised objectives are differentiable (they subclass
:class:`JaxObjective` and get float64 autodiff); sampled objectives are stochastic.
"""

from __future__ import annotations

import abc
from functools import cached_property
from typing import Protocol

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


class Spec(Protocol):
    """A picklable recipe of an objective (``objectives.registry.ObjectiveSpec``): a worker process
    rebuilds the objective from it (once per process) and evaluates chunks with it."""

    def build(self) -> Objective:
        """The objective, built in this process."""
        ...

    def __call__(self, thetas) -> dict[str, np.ndarray]:
        """``self.build().evaluate(thetas)``."""
        ...


class Objective(abc.ABC):
    """Anything that evaluates a batch of flat parameter vectors (module docstring)."""

    name: str = "objective"
    fields: tuple[str, ...] = ("value",)  # the keys evaluate() returns, "value" first
    #: How to rebuild this objective in another process (``objectives.registry.make_objective`` sets it);
    #: None: the objective runs in this process only.
    spec: Spec | None = None

    @property
    @abc.abstractmethod
    def num_params(self) -> int: ...

    @abc.abstractmethod
    def evaluate(self, thetas) -> dict[str, np.ndarray]:
        """thetas [B, n] → dict of [B] arrays with at least "value"."""


class StochasticObjective(Objective):
    """An objective whose values are Monte Carlo estimates: ``evaluate`` takes a seed.

    ``evaluate(thetas, seed=None)`` with ``seed`` an int or a tuple of non-negative ints (None: the
    objective's ``seed``) depends only on (seed, θ), so re-evaluating θ with fresh seeds measures the
    noise, and a θ's values do not depend on the batch it is in (chunks need no padding). ``fields``
    include standard errors (``value_stderr``).
    """

    seed: int | tuple[int, ...] = 0

    @abc.abstractmethod
    def evaluate(self, thetas, seed=None) -> dict[str, np.ndarray]:
        """thetas [B, n] → dict of [B] arrays with at least "value", from episodes seeded by ``seed``."""


class DifferentiableObjective(Objective):
    """An objective with exact derivatives of ``value``: gradient, Hessian-vector product and Hessian."""

    @abc.abstractmethod
    def grad(self, theta) -> np.ndarray:
        """∇J(θ) → [n]."""

    @abc.abstractmethod
    def hvp(self, theta, v) -> np.ndarray:
        """∇²J(θ) v → [n]."""

    @abc.abstractmethod
    def hessian(self, theta) -> np.ndarray:
        """∇²J(θ) → [n, n] (dense)."""


class PolicyObjective(Objective):
    """An objective of a policy's parameters: ``policy.layout`` (a ``policies.layout.Layout`` of size n)
    names the parameter groups of θ and their filters."""

    policy: object


class JaxObjective(DifferentiableObjective):
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
        """∇J(θ): θ [n] → [n]; a batch θ [B, n] → [B, n] (one gradient per row)."""
        batch = as_theta_batch(theta, self.num_params)
        out = np.stack([np.asarray(self._grad(jnp.asarray(row))) for row in batch])
        return out if np.ndim(theta) == 2 else out[0]

    @float64
    def hessian(self, theta) -> np.ndarray:
        """∇²J(θ) (dense): θ [n] → [n, n]; a batch θ [B, n] → [B, n, n] (one Hessian per row)."""
        batch = as_theta_batch(theta, self.num_params)
        out = np.stack([np.asarray(self._hessian(jnp.asarray(row))) for row in batch])
        return out if np.ndim(theta) == 2 else out[0]

    @float64
    def hvp(self, theta, v) -> np.ndarray:
        """Hessian-vector product ∇²J(θ) v by forward-over-reverse autodiff, for one θ [n] and v [n] → [n]."""
        theta, v = as_theta_batch(theta, self.num_params), as_theta_batch(v, self.num_params, what="v")
        if theta.shape[0] != 1 or v.shape[0] != 1:
            raise InputError(f"hvp takes one θ [n] and one v [n], got shapes {np.shape(theta)} and {np.shape(v)}")
        theta, v = theta[0], v[0]
        return np.asarray(self._hvp(jnp.asarray(theta), jnp.asarray(v)))
