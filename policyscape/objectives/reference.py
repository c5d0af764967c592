"""Plain-numpy reference implementations, one θ at a time (the authors' approach).

Independent of the JAX code in :mod:`policyscape.objectives.exact`: the tests check the
autodiff gradient against :func:`policy_gradient`, and the benchmarks time these loops as
the baseline.

Policy-gradient theorem with the entropy-augmented (soft) Q (Ahmed et al. 2019, eq. 3)::

    V(s)   = Σ_a π(a|s) Q(s,a) + τ H(s)          (H = 0 in terminal states)
    Q(s,a) = R(s,a) + γ Σ_t P(s,a,t) V(t)
    d      = p0ᵀ (I − γ P_π)⁻¹                   (unnormalized discounted occupancy)
    ∇J     = Σ_s d(s) Σ_a ∇π(a|s) (Q(s,a) − τ log π(a|s))

(the ``−τ`` from ∇H drops out because Σ_a ∇π(a|s) = 0). For logits ``z[s]`` and
``π = (1 − c) σ(z) + c/A``: ``∂π(a|s)/∂z[s,a'] = (1 − c) σ(a|s) (δ_aa' − σ(a'|s))``.
"""

from __future__ import annotations

import numpy as np

from policyscape.envs.tabular import TabularMDP


def softmax_policy(theta: np.ndarray, S: int, A: int, mix: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """θ [A·S + A] → (σ [S, A] the softmax, π [S, A] the mixed policy); layout as in ``policies.softmax``."""
    logits = theta[: A * S].reshape(A, S).T + theta[A * S :]
    z = logits - logits.max(axis=1, keepdims=True)
    sigma = np.exp(z)
    sigma /= sigma.sum(axis=1, keepdims=True)
    return sigma, (1.0 - mix) * sigma + mix / A


def value(mdp: TabularMDP, theta: np.ndarray, tau: float = 0.0, mix: float = 0.0) -> float:
    """``J(θ) = p0ᵀ (I − γ P_π)⁻¹ (r_π + τ H_π)`` with one ``np.linalg.solve``."""
    S, A = mdp.num_states, mdp.num_actions
    _, pi = softmax_policy(theta, S, A, mix)
    H = -np.sum(pi * np.log(pi), axis=1) * ~mdp.terminal
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    r_pi = np.sum(pi * mdp.R, axis=1)
    V = np.linalg.solve(np.eye(S) - mdp.gamma * P_pi, r_pi + tau * H)
    return float(mdp.p0 @ V)


def policy_gradient(mdp: TabularMDP, theta: np.ndarray, tau: float = 0.0, mix: float = 0.0) -> np.ndarray:
    """∇J(θ) by the policy-gradient theorem with soft Q and discounted occupancy → [A·S + A]."""
    S, A = mdp.num_states, mdp.num_actions
    sigma, pi = softmax_policy(theta, S, A, mix)
    log_pi = np.log(pi)
    nonterminal = ~mdp.terminal
    H = -np.sum(pi * log_pi, axis=1) * nonterminal
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    r_pi = np.sum(pi * mdp.R, axis=1)
    M = np.eye(S) - mdp.gamma * P_pi
    V = np.linalg.solve(M, r_pi + tau * H)
    d = np.linalg.solve(M.T, mdp.p0)
    Q = mdp.R + mdp.gamma * mdp.P @ V
    X = Q - tau * log_pi * nonterminal[:, None]
    advantage = X - np.sum(sigma * X, axis=1, keepdims=True)
    g_logits = (1.0 - mix) * d[:, None] * sigma * advantage  # [S, A]
    return np.concatenate([g_logits.T.ravel(), g_logits.sum(axis=0)])
