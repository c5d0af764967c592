"""Exact objectives of tabular MDPs under a linear softmax policy, in float64 with JAX.

For one θ (Ahmed et al. 2019, Section 3.1)::

    π        = (1 − c) softmax(logits(θ)) + c / A                      [S, A]
    P_π[s,t] = Σ_a π(a|s) P[s,a,t]                                      [S, S]
    r_π[s]   = Σ_a π(a|s) R[s,a]                                        [S]
    H_π[s]   = −Σ_a π(a|s) log π(a|s), 0 in terminal states             [S]
    d        = p0ᵀ (I − γ P_π)⁻¹   (unnormalized discounted occupancy)  [S]
    return   = d · r_π                         = p0ᵀ (I − γ P_π)⁻¹ r_π
    entropy  = d · H_π                         (discounted entropy)
    value    = return + τ · entropy            = p0ᵀ (I − γ P_π)⁻¹ (r_π + τ H_π)

One linear solve per θ gives all three. Gradients and Hessians come from autodiff of this
closed form; ``policyscape.objectives.reference`` holds the policy-gradient-theorem version
that the tests compare against.
"""

from __future__ import annotations

from functools import cached_property
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from policyscape._jax import float64
from policyscape.envs.tabular import TabularMDP
from policyscape.errors import InputError
from policyscape.objectives.base import JaxObjective, as_theta_batch
from policyscape.objectives.linear_solve import map_in_chunks, solve_diagonally_dominant
from policyscape.policies.softmax import TabularSoftmaxPolicy, check_mix, entropy


class ExactTerms(NamedTuple):
    """Per-θ quantities of the exact objective (scalars for one θ, ``[B]`` for a batch)."""

    ret: jax.Array  # p0ᵀ (I − γ P_π)⁻¹ r_π
    discounted_entropy: jax.Array  # p0ᵀ (I − γ P_π)⁻¹ H_π
    mean_entropy: jax.Array  # mean of H_π over non-terminal states


def exact_terms(
    theta: jax.Array,
    P: jax.Array,
    R: jax.Array,
    p0: jax.Array,
    nonterminal: jax.Array,
    gamma: float,
    policy: TabularSoftmaxPolicy,
    mix: float,
) -> ExactTerms:
    """Return, discounted entropy and mean entropy of one θ [n] (maths in the module docstring)."""
    S = policy.num_states
    assert theta.shape == (policy.num_params,), theta.shape
    assert P.shape == (S, policy.num_actions, S), P.shape
    log_pi = policy.log_probs(theta, mix)
    pi = jnp.exp(log_pi)
    H = entropy(log_pi) * nonterminal
    P_pi = jnp.einsum("sa,sat->st", pi, P)
    r_pi = jnp.sum(pi * R, axis=1)
    occupancy = solve_diagonally_dominant(jnp.eye(S) - gamma * P_pi.T, p0)
    mean_entropy = jnp.sum(H) / jnp.maximum(jnp.sum(nonterminal), 1.0)
    return ExactTerms(occupancy @ r_pi, occupancy @ H, mean_entropy)


class ExactObjective(JaxObjective):
    fields = ("value", "return", "entropy", "mean_entropy")
    """``J(θ; τ, c)`` of a tabular MDP under a linear softmax policy (module docstring).

    ``evaluate(thetas [B, n])`` returns numpy arrays ``value``, ``return``, ``entropy``
    (discounted) and ``mean_entropy``, each ``[B]``; ``grad``, ``hessian`` and ``hvp`` are
    exact by autodiff. All computation runs in float64 whatever JAX's global setting.
    """

    def __init__(self, mdp: TabularMDP, entropy: float = 0.0, mix: float = 0.0) -> None:
        entropy = float(entropy)
        if not (np.isfinite(entropy) and entropy >= 0):
            raise InputError(f"entropy (τ) must be a finite number >= 0, got {entropy!r}")
        self.mdp = mdp
        self.entropy = entropy
        self.mix = check_mix(mix)
        self.policy = TabularSoftmaxPolicy(mdp.num_states, mdp.num_actions)
        self.name = f"exact:{mdp.name}(entropy={self.entropy:g}, mix={self.mix:g})"

    @property
    def num_params(self) -> int:
        return self.policy.num_params

    def with_variant(self, entropy: float | None = None, mix: float | None = None) -> "ExactObjective":
        """The same MDP with another τ and/or mixing coefficient."""
        return ExactObjective(
            self.mdp, self.entropy if entropy is None else entropy, self.mix if mix is None else mix
        )

    def terms(self, theta: jax.Array) -> ExactTerms:
        """Traceable :func:`exact_terms` for one θ; call inside a float64 context."""
        m = self.mdp
        return exact_terms(
            theta,
            jnp.asarray(m.P),
            jnp.asarray(m.R),
            jnp.asarray(m.p0),
            jnp.asarray(~m.terminal, dtype=jnp.float64),
            m.gamma,
            self.policy,
            self.mix,
        )

    def value_fn(self, theta: jax.Array, tau: jax.Array | float | None = None) -> jax.Array:
        """Traceable scalar ``J(θ; τ)``; τ defaults to this objective's and may be traced."""
        t = self.terms(theta)
        return t.ret + (self.entropy if tau is None else tau) * t.discounted_entropy

    @cached_property
    def _batched_terms(self):
        return jax.jit(lambda thetas: map_in_chunks(self.terms, thetas))

    @float64
    def evaluate(self, thetas) -> dict[str, np.ndarray]:
        """thetas [B, n] (or [n]) → dict of [B] arrays: value, return, entropy, mean_entropy."""
        batch = as_theta_batch(thetas, self.num_params)
        t = self._batched_terms(jnp.asarray(batch))
        ret, ent = np.asarray(t.ret), np.asarray(t.discounted_entropy)
        return {
            "value": ret + self.entropy * ent,
            "return": ret,
            "entropy": ent,
            "mean_entropy": np.asarray(t.mean_entropy),
        }
