"""Linear softmax policy over one-hot states, with bias, as one flat parameter vector.

Layout of θ (length ``A·S + A``), the order of ``torch.nn.Linear(S, A)``'s parameters
flattened as (weight, bias) — the authors' format::

    θ[a·S + s] = W[a, s]      (weight, row-major [A, S])
    θ[A·S + a] = b[a]         (bias)
    logits[s, a] = W[a, s] + b[a]

The layout object (``TabularSoftmaxPolicy.layout``): ``weight [A, S]`` (one filter per action,
as Li et al.'s filters of a linear layer), then ``bias [A]``. The sampled one-hot
:class:`~policyscape.policies.continuous.LinearSoftmax` stores the transpose, ``weight [S, A]``;
:meth:`TabularSoftmaxPolicy.to_linear_softmax` / ``from_linear_softmax`` map between the two
through their layouts, so one checkpoint is evaluated exactly or by sampling.

Optional uniform mixing with coefficient ``c ∈ [0, 1]``:
``π(a|s) = (1 − c) · softmax(logits[s])[a] + c / A``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from policyscape.errors import InputError
from policyscape.policies.continuous import LinearSoftmax, constant
from policyscape.policies.layout import Group, Layout


class TabularSoftmaxPolicy(NamedTuple):
    """Shapes of a linear softmax policy over one-hot states (see the module docstring)."""

    num_states: int
    num_actions: int

    @property
    def layout(self) -> Layout:
        """weight [A, S] (torch.nn.Linear's order; one filter per action), then bias [A]."""
        return Layout((Group("weight", (self.num_actions, self.num_states), filter_axis=0),
                       Group("bias", (self.num_actions,))))

    @property
    def num_params(self) -> int:
        return self.num_actions * self.num_states + self.num_actions

    def logits(self, theta: jax.Array) -> jax.Array:
        """θ [..., n] → logits [..., S, A] (numpy or JAX arrays)."""
        p = self.layout.unravel(theta)
        return p["weight"].swapaxes(-1, -2) + p["bias"][..., None, :]

    def linear_softmax(self):
        """The sampled policy of the same family: ``LinearSoftmax(S, A, one_hot=True)``."""
        return LinearSoftmax(self.num_states, self.num_actions, one_hot=True)

    def to_linear_softmax(self, thetas) -> np.ndarray:
        """θ [..., n] in this layout → the same policy's θ in :meth:`linear_softmax`'s layout (W transposed)."""
        p = self.layout.unravel(np.asarray(thetas, dtype=np.float64))
        return self.linear_softmax().layout.ravel({"weight": p["weight"].swapaxes(-1, -2), "bias": p["bias"]})

    def from_linear_softmax(self, thetas) -> np.ndarray:
        """Inverse of :meth:`to_linear_softmax`."""
        p = self.linear_softmax().layout.unravel(np.asarray(thetas, dtype=np.float64))
        return self.layout.ravel({"weight": p["weight"].swapaxes(-1, -2), "bias": p["bias"]})

    def log_probs(self, theta: jax.Array, mix: float = 0.0, xp=jnp) -> jax.Array:
        """θ [..., n] → log π [..., S, A], mixed with the uniform distribution by ``mix``.

        ``xp``: jax.numpy (the default; traceable, the shift of the log-softmax a constant as in
        ``jax.nn.log_softmax``) or numpy (batched evaluation; mix = 1 gives log(1 − c) = −inf silently).
        """
        z = self.logits(theta)
        z = z - constant(xp, z.max(axis=-1, keepdims=True))
        log_softmax = z - xp.log(xp.sum(xp.exp(z), axis=-1, keepdims=True))
        if mix == 0.0:
            return log_softmax
        with np.errstate(divide="ignore"):
            return xp.logaddexp(xp.log1p(-mix) + log_softmax, xp.log(mix / self.num_actions))

    def flatten(self, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        """(W [A, S], b [A]) → θ [n]."""
        return self.layout.ravel({"weight": np.asarray(W, dtype=np.float64), "bias": np.asarray(b, dtype=np.float64)})

    def from_logits(self, logits: np.ndarray) -> np.ndarray:
        """A θ whose policy has the given ``logits [S, A]`` (bias zero)."""
        logits = np.asarray(logits, dtype=np.float64)
        return self.flatten(logits.T, np.zeros(self.num_actions))

    def default_init_scale(self) -> float:
        """``1/√S``: torch.nn.Linear's default uniform init bound, as in the authors' notebook."""
        return 1.0 / np.sqrt(self.num_states)

    def initial_params(self, seed: int, num_seeds: int, scale: float | None = None) -> np.ndarray:
        """Small uniform init ``θ ~ U(−scale, scale)`` → [num_seeds, n].

        Row ``k`` depends only on ``(seed, k)`` (``SeedSequence(seed, spawn_key=(k,))``), so a
        run with more seeds extends a run with fewer instead of changing it.
        """
        scale = self.default_init_scale() if scale is None else float(scale)
        if not (np.isfinite(scale) and scale >= 0):
            raise InputError(f"init scale must be a finite number >= 0, got {scale!r}")
        rows = [
            np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k,))).uniform(-scale, scale, self.num_params)
            for k in range(num_seeds)
        ]
        return np.stack(rows) if rows else np.zeros((0, self.num_params))


def entropy(log_pi: jax.Array) -> jax.Array:
    """Per-state entropy ``H[s] = −Σ_a π(a|s) log π(a|s)`` of log π [S, A] → [S]."""
    return -jnp.sum(jnp.exp(log_pi) * log_pi, axis=-1)


def check_mix(mix: float) -> float:
    mix = float(mix)
    if not (0.0 <= mix <= 1.0):
        raise InputError(f"mix (uniform mixing coefficient c) must satisfy 0 <= c <= 1, got {mix!r}")
    return mix
