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

One linear solve per θ gives all three. ``grad``, ``hessian`` and ``hvp`` come from autodiff
of this closed form (through the elimination of ``linear_solve``, with implicit derivatives);
``policyscape.objectives.reference`` holds the policy-gradient-theorem version that the tests
compare against.

The hot paths avoid autodiff and recompilation:

- ``ExactObjective.evaluate`` (values only): a batch of at most ``EVALUATE_CHUNK`` θ (what the
  landscape commands evaluate at a time) is computed in numpy with batched LAPACK solves —
  nothing to compile, which is what a one-off CLI command needs; a larger batch runs through
  one compiled JAX function (module level, shared by all objectives of the same shapes) in
  fixed-size chunks, so every batch size reuses it;
- :func:`exact_policy_gradient`, the gradient by the policy-gradient theorem for training::

      V      = (I − γ P_π)⁻¹ (r_π + τ H_π),   Q = R + γ P V,   X = Q − τ log π (non-terminal)
      ∂J/∂logits[s,a] = (1 − c) d(s) σ(a|s) (X(s,a) − Σ_b σ(b|s) X(s,b))

  with ``d`` and ``V`` from one LAPACK LU factorization of ``I − γ P_π``
  (``linear_solve.lu_solve_pair``) or, in training, two unrolled eliminations
  (``linear_solve.elimination_solve_pair``, no LAPACK call: the seeds can run on several CPU
  devices); either is cheaper than reverse-mode autodiff of the closed form.
"""

from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from policyscape._jax import float64
from policyscape.envs.tabular import TabularMDP
from policyscape.errors import InputError
from policyscape.objectives.base import JaxObjective, PolicyObjective, as_theta_batch
from policyscape.objectives.linear_solve import lu_solve_pair, solve_diagonally_dominant
from policyscape.policies.softmax import TabularSoftmaxPolicy, check_mix, entropy


class ExactTerms(NamedTuple):
    """Per-θ quantities of the exact objective (scalars for one θ, ``[B]`` for a batch)."""

    ret: jax.Array  # p0ᵀ (I − γ P_π)⁻¹ r_π
    discounted_entropy: jax.Array  # p0ᵀ (I − γ P_π)⁻¹ H_π
    mean_entropy: jax.Array  # mean of H_π over non-terminal states


def _policy_quantities(theta, P, R, nonterminal, gamma, policy, mix):
    """log π (the mixed policy), H_π, r_π and I − γ P_π of one θ."""
    S = policy.num_states
    assert theta.shape == (policy.num_params,), theta.shape
    assert P.shape == (S, policy.num_actions, S), P.shape
    log_pi = policy.log_probs(theta, mix)
    pi = jnp.exp(log_pi)
    H = entropy(log_pi) * nonterminal
    P_pi = jnp.einsum("sa,sat->st", pi, P)
    r_pi = jnp.sum(pi * R, axis=1)
    return log_pi, H, r_pi, jnp.eye(S) - gamma * P_pi


def _mean_entropy(H: jax.Array, nonterminal: jax.Array) -> jax.Array:
    return jnp.sum(H) / jnp.maximum(jnp.sum(nonterminal), 1.0)


def exact_terms(
    theta: jax.Array,
    P: jax.Array,
    R: jax.Array,
    p0: jax.Array,
    nonterminal: jax.Array,
    gamma: float,
    policy: TabularSoftmaxPolicy,
    mix: float,
    solve: Callable[[jax.Array, jax.Array], jax.Array] = solve_diagonally_dominant,
) -> ExactTerms:
    """Return, discounted entropy and mean entropy of one θ [n] (maths in the module docstring).

    ``solve(A [S, S], b [S]) → x [S]`` solves ``(I − γ P_π)ᵀ d = p0``: the default,
    ``solve_diagonally_dominant``, has exact implicit derivatives of every order (use it under
    ``jax.grad`` / ``jax.hessian``); ``linear_solve.solve_lu`` compiles faster, for values.
    """
    _, H, r_pi, M = _policy_quantities(theta, P, R, nonterminal, gamma, policy, mix)
    occupancy = solve(M.T, p0)
    return ExactTerms(occupancy @ r_pi, occupancy @ H, _mean_entropy(H, nonterminal))


def exact_policy_gradient(
    theta: jax.Array,
    tau: jax.Array | float,
    P: jax.Array,
    R: jax.Array,
    p0: jax.Array,
    nonterminal: jax.Array,
    gamma: float,
    policy: TabularSoftmaxPolicy,
    mix: float,
    solve_pair: Callable[[jax.Array, jax.Array, jax.Array], tuple[jax.Array, jax.Array]] = lu_solve_pair,
) -> tuple[jax.Array, ExactTerms]:
    """``(∇_θ J(θ; τ) [n], terms at θ)`` for one θ by the policy-gradient theorem (module docstring).

    ``solve_pair(A, b, c) → (A⁻¹ b, A⁻ᵀ c)`` with ``A = I − γ P_π`` gives both the soft values
    ``V`` and the occupancy ``d``: by default one LU factorization (``linear_solve.lu_solve_pair``);
    ``linear_solve.elimination_solve_pair`` has no LAPACK call (what training on several CPU
    devices needs). ``J = terms.ret + τ · terms.discounted_entropy``. Traceable (``tau`` may be
    traced); the same gradient as ``jax.grad`` of the closed form to rounding.
    """
    log_pi, H, r_pi, M = _policy_quantities(theta, P, R, nonterminal, gamma, policy, mix)
    V, d = solve_pair(M, r_pi + tau * H, p0)
    log_sigma = log_pi if mix == 0.0 else policy.log_probs(theta)
    sigma = jnp.exp(log_sigma)
    Q = R + gamma * jnp.einsum("sat,t->sa", P, V)
    X = Q - tau * log_pi * nonterminal[:, None]
    g_logits = (1.0 - mix) * d[:, None] * sigma * (X - jnp.sum(sigma * X, axis=1, keepdims=True))  # [S, A]
    grad = policy.layout.ravel({"weight": g_logits.T, "bias": jnp.sum(g_logits, axis=0)}, jnp)  # logits = Wᵀ + b
    return grad, ExactTerms(d @ r_pi, d @ H, _mean_entropy(H, nonterminal))


#: ``evaluate`` computes a batch of at most this many θ in numpy (batched LAPACK solves, about
#: 10 µs per θ on the 26-state gridworld, nothing to compile: the landscape commands evaluate
#: their points in chunks of this size), and a larger batch with compiled JAX in chunks of this
#: size (about 3 µs per θ once compiled; compiling costs about a second, once per process).
EVALUATE_CHUNK = 1024


def _chunk_size(num_states: int) -> int:
    """θ per chunk: EVALUATE_CHUNK, fewer for large MDPs (a chunk's matrices within about 64 MB)."""
    fit = (1 << 23) // (num_states * num_states)
    return max(8, min(EVALUATE_CHUNK, 1 << max(fit, 1).bit_length() - 1))


@partial(jax.jit, static_argnames=("policy", "mix"))
def _terms_batch(thetas, P, R, p0, nonterminal, gamma, *, policy, mix):
    """Terms of a chunk of θ [B, n]; module level, so objectives of the same shapes and mixing
    coefficient share the compiled function."""
    return jax.vmap(lambda th: exact_terms(th, P, R, p0, nonterminal, gamma, policy, mix))(thetas)


def _terms_numpy(thetas, P, R, p0, nonterminal, gamma, policy, mix) -> tuple[np.ndarray, ...]:
    """:func:`exact_terms` of a batch θ [B, n] in numpy → (return, discounted entropy, mean entropy) [B]."""
    S, B = policy.num_states, thetas.shape[0]
    log_pi = policy.log_probs(thetas, mix, xp=np)  # [B, S, A]
    pi = np.exp(log_pi)
    H = -np.einsum("bsa,bsa->bs", pi, log_pi) * nonterminal
    r_pi = np.einsum("bsa,sa->bs", pi, R)
    M = np.einsum("bsa,sat->bst", pi, P, optimize=True)  # P_π, then I − γ P_π in place
    M *= -gamma
    np.einsum("bii->bi", M)[...] += 1.0
    d = np.linalg.solve(M.transpose(0, 2, 1), np.broadcast_to(p0[:, None], (B, S, 1)))[..., 0]
    mean_entropy = H.sum(axis=-1) / max(nonterminal.sum(), 1.0)
    return np.einsum("bs,bs->b", d, r_pi), np.einsum("bs,bs->b", d, H), mean_entropy


class ExactObjective(JaxObjective, PolicyObjective):
    """``J(θ; τ, c)`` of a tabular MDP under a linear softmax policy (module docstring).

    ``evaluate(thetas [B, n])`` returns numpy arrays ``value``, ``return``, ``entropy``
    (discounted) and ``mean_entropy``, each ``[B]``; ``grad``, ``hessian`` and ``hvp`` are
    exact by autodiff; ``policy_gradient`` is the traceable policy-gradient-theorem gradient
    used for training. All computation runs in float64 whatever JAX's global setting.
    """

    fields = ("value", "return", "entropy", "mean_entropy")

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

    def _arrays(self) -> tuple:
        """(P, R, p0, non-terminal mask) as float64 numpy arrays."""
        m = self.mdp
        return (
            np.asarray(m.P, dtype=np.float64),
            np.asarray(m.R, dtype=np.float64),
            np.asarray(m.p0, dtype=np.float64),
            np.asarray(~m.terminal, dtype=np.float64),
        )

    def terms(self, theta: jax.Array) -> ExactTerms:
        """Traceable :func:`exact_terms` for one θ; call inside a float64 context."""
        P, R, p0, nonterminal = (jnp.asarray(a) for a in self._arrays())
        return exact_terms(theta, P, R, p0, nonterminal, self.mdp.gamma, self.policy, self.mix)

    def policy_gradient(self, theta: jax.Array, tau: jax.Array | float | None = None) -> tuple[jax.Array, ExactTerms]:
        """Traceable :func:`exact_policy_gradient` for one θ: ``(∇J(θ; τ), terms)``; τ defaults to this
        objective's and may be traced. Call inside a float64 context."""
        P, R, p0, nonterminal = (jnp.asarray(a) for a in self._arrays())
        tau = self.entropy if tau is None else tau
        return exact_policy_gradient(theta, tau, P, R, p0, nonterminal, self.mdp.gamma, self.policy, self.mix)

    def value_fn(self, theta: jax.Array, tau: jax.Array | float | None = None) -> jax.Array:
        """Traceable scalar ``J(θ; τ)``; τ defaults to this objective's and may be traced."""
        t = self.terms(theta)
        return t.ret + (self.entropy if tau is None else tau) * t.discounted_entropy

    def evaluate(self, thetas) -> dict[str, np.ndarray]:
        """thetas [B, n] (or [n]) → dict of [B] arrays: value, return, entropy, mean_entropy.

        Batches of at most ``EVALUATE_CHUNK`` θ are computed in numpy, larger ones with one
        compiled JAX function in chunks of that size (the last one padded); both are exact to
        rounding, and a given batch always takes the same path.
        """
        batch = as_theta_batch(thetas, self.num_params)
        step = _chunk_size(self.mdp.num_states)
        if batch.shape[0] <= EVALUATE_CHUNK:
            pieces = [
                _terms_numpy(batch[i : i + step], *self._arrays(), self.mdp.gamma, self.policy, self.mix)
                for i in range(0, batch.shape[0], step)
            ]
        else:
            pieces = self._terms_jax(batch, step)
        ret, ent, mean_ent = (np.concatenate([p[i] for p in pieces]) if pieces else np.zeros(0) for i in range(3))
        return {
            "value": ret + self.entropy * ent,
            "return": ret,
            "entropy": ent,
            "mean_entropy": mean_ent,
        }

    @float64
    def _terms_jax(self, batch: np.ndarray, step: int) -> list[tuple[np.ndarray, ...]]:
        arrays = self._arrays()
        dispatched = []
        for i in range(0, batch.shape[0], step):  # dispatch every chunk, then collect
            chunk = batch[i : i + step]
            padded = np.zeros((step, batch.shape[1]))
            padded[: len(chunk)] = chunk
            terms = _terms_batch(padded, *arrays, self.mdp.gamma, policy=self.policy, mix=self.mix)
            dispatched.append((len(chunk), terms))
        return [tuple(np.asarray(x)[:k] for x in terms) for k, terms in dispatched]
