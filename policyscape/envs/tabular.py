"""The tabular MDP type and its optimal value.

A tabular MDP is four arrays and a discount::

    P[s, a, s']  transition probabilities, each P[s, a, :] a distribution   [S, A, S]
    R[s, a]      expected reward for taking a in s                          [S, A]
    p0[s]        start distribution                                         [S]
    gamma        discount, 0 <= gamma < 1
    terminal[s]  True for absorbing states where an episode has ended       [S]

Terminal states loop on themselves with zero reward, and no entropy bonus is
paid there (the episode is over), so exact values equal the expectation of
sampled episodes that stop at termination.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from policyscape.errors import InputError

_ATOL = 1e-9


@dataclass(frozen=True, eq=False)
class TabularMDP:
    """A finite MDP, validated on construction (see the module docstring)."""

    P: np.ndarray
    R: np.ndarray
    p0: np.ndarray
    gamma: float
    terminal: np.ndarray = field(default=None)  # type: ignore[assignment]
    name: str = "tabular"
    state_labels: tuple[str, ...] | None = None
    action_labels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        P = np.asarray(self.P, dtype=np.float64)
        R = np.asarray(self.R, dtype=np.float64)
        p0 = np.asarray(self.p0, dtype=np.float64)
        if P.ndim != 3 or P.shape[0] != P.shape[2] or P.shape[0] == 0 or P.shape[1] == 0:
            raise InputError(f"P must have shape [S, A, S] with S, A >= 1, got shape {P.shape}")
        S, A, _ = P.shape
        if R.shape != (S, A):
            raise InputError(f"R must have shape [S, A] = {(S, A)}, got shape {R.shape}")
        if p0.shape != (S,):
            raise InputError(f"p0 must have shape [S] = {(S,)}, got shape {p0.shape}")
        for label, arr in (("P", P), ("R", R), ("p0", p0)):
            if not np.all(np.isfinite(arr)):
                raise InputError(f"{label} must be finite, found {np.sum(~np.isfinite(arr))} non-finite entries")
        if np.any(P < 0):
            s, a, t = np.argwhere(P < 0)[0]
            raise InputError(f"P must be non-negative, got P[{s}, {a}, {t}] = {P[s, a, t]}")
        row_sums = P.sum(axis=2)
        bad = np.abs(row_sums - 1.0) > _ATOL
        if np.any(bad):
            s, a = np.argwhere(bad)[0]
            raise InputError(
                f"each row P[s, a, :] must sum to 1 (a distribution), got sum {row_sums[s, a]!r} at s={s}, a={a}"
            )
        if np.any(p0 < 0) or abs(p0.sum() - 1.0) > _ATOL:
            raise InputError(f"p0 must be a distribution (non-negative, sums to 1), got sum {p0.sum()!r}")
        gamma = float(self.gamma)
        if not (0.0 <= gamma < 1.0):
            raise InputError(f"gamma must satisfy 0 <= gamma < 1, got {self.gamma!r}")
        terminal = np.zeros(S, dtype=bool) if self.terminal is None else np.asarray(self.terminal, dtype=bool)
        if terminal.shape != (S,):
            raise InputError(f"terminal must have shape [S] = {(S,)}, got shape {terminal.shape}")
        for s in np.flatnonzero(terminal):
            if not np.allclose(P[s, :, s], 1.0, atol=_ATOL) or np.any(R[s] != 0.0):
                raise InputError(f"terminal state {s} must be absorbing (P[s, a, s] = 1) with zero reward R[s, :] = 0")
        for labels, n, what in ((self.state_labels, S, "state_labels"), (self.action_labels, A, "action_labels")):
            if labels is not None and len(labels) != n:
                raise InputError(f"{what} must have {n} entries, got {len(labels)}")
        for arr in (P, R, p0, terminal):
            arr.setflags(write=False)
        object.__setattr__(self, "P", P)
        object.__setattr__(self, "R", R)
        object.__setattr__(self, "p0", p0)
        object.__setattr__(self, "gamma", gamma)
        object.__setattr__(self, "terminal", terminal)

    @property
    def num_states(self) -> int:
        return self.P.shape[0]

    @property
    def num_actions(self) -> int:
        return self.P.shape[1]


def policy_value(mdp: TabularMDP, pi: np.ndarray) -> np.ndarray:
    """State values of a stochastic policy ``pi[S, A]``: ``V = (I − γ P_π)⁻¹ r_π``  → [S]."""
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    r_pi = np.einsum("sa,sa->s", pi, mdp.R)
    return np.linalg.solve(np.eye(mdp.num_states) - mdp.gamma * P_pi, r_pi)


@dataclass(frozen=True)
class OptimalSolution:
    """Result of :func:`optimal_value`."""

    value: float  # p0 · V*
    state_values: np.ndarray  # V*[S]
    greedy_actions: np.ndarray  # argmax_a Q*[s, a], [S]
    iterations: int


def optimal_value(mdp: TabularMDP, tol: float = 1e-10, max_iterations: int = 100_000) -> OptimalSolution:
    """Optimal (un-regularized) value by value iteration, polished by one exact policy evaluation.

    Value iteration ``V ← max_a R + γ P V`` runs until the greedy policy's Bellman residual
    guarantees ``‖V − V*‖∞ <= tol``; the greedy policy's value is then computed exactly with a
    linear solve, so the reported value is exact to solver precision whenever that policy is
    optimal (it is, once the residual is below half the action gap).
    """
    V = np.zeros(mdp.num_states)
    gamma = mdp.gamma
    iterations = 0
    for iterations in range(1, max_iterations + 1):
        Q = mdp.R + gamma * mdp.P @ V
        V_new = Q.max(axis=1)
        residual = np.max(np.abs(V_new - V))
        V = V_new
        if residual * gamma / max(1.0 - gamma, 1e-300) <= tol:
            break
    greedy = np.argmax(mdp.R + gamma * mdp.P @ V, axis=1)
    pi = np.zeros((mdp.num_states, mdp.num_actions))
    pi[np.arange(mdp.num_states), greedy] = 1.0
    V_star = policy_value(mdp, pi)
    return OptimalSolution(
        value=float(mdp.p0 @ V_star), state_values=V_star, greedy_actions=greedy, iterations=iterations
    )
