"""Gridworld builders (Ahmed et al. 2019, Section 3.1, and two variants with more optima).

All grids share one layout:

- cell (row, col) is state ``row * size + col``; row 0 is the top, col 0 the left;
- one extra absorbing terminal state, index ``size * size``;
- actions 0..3 = left, right, up, down; moves are deterministic and bumping a wall
  leaves the agent where it is;
- a reward cell pays its reward for *any* action taken in it, and the agent then
  moves to the terminal state.
"""

from __future__ import annotations

import numpy as np

from policyscape.envs.tabular import TabularMDP
from policyscape.errors import InputError

ACTIONS = ("left", "right", "up", "down")
_MOVES = ((0, -1), (0, 1), (-1, 0), (1, 0))


def grid_mdp(
    size: int, rewards: dict[tuple[int, int], float], start: tuple[int, int], gamma: float, name: str
) -> TabularMDP:
    """A ``size × size`` deterministic gridworld with the given reward cells (see module docstring)."""
    if not isinstance(size, (int, np.integer)) or size < 2:
        raise InputError(f"size must be an integer >= 2, got {size!r}")
    for cell in (*rewards, start):
        if not (0 <= cell[0] < size and 0 <= cell[1] < size):
            raise InputError(f"cell {cell} lies outside the {size}x{size} grid")
    if start in rewards:
        raise InputError(f"the start cell {start} must not be a reward cell")
    S = size * size + 1
    terminal = S - 1
    P = np.zeros((S, len(ACTIONS), S))
    R = np.zeros((S, len(ACTIONS)))
    for row in range(size):
        for col in range(size):
            s = row * size + col
            if (row, col) in rewards:
                P[s, :, terminal] = 1.0
                R[s, :] = rewards[(row, col)]
                continue
            for a, (dr, dc) in enumerate(_MOVES):
                r2, c2 = row + dr, col + dc
                if not (0 <= r2 < size and 0 <= c2 < size):
                    r2, c2 = row, col
                P[s, a, r2 * size + c2] = 1.0
    P[terminal, :, terminal] = 1.0
    p0 = np.zeros(S)
    p0[start[0] * size + start[1]] = 1.0
    is_terminal = np.zeros(S, dtype=bool)
    is_terminal[terminal] = True
    labels = tuple(f"({r},{c})" for r in range(size) for c in range(size)) + ("terminal",)
    return TabularMDP(P, R, p0, gamma, is_terminal, name, labels, ACTIONS)


def _check_reward_params(epsilon: float, best_reward: float) -> None:
    if not (0.0 < epsilon < 1.0):
        raise InputError(f"epsilon must satisfy 0 < epsilon < 1, got {epsilon!r}")
    if not (np.isfinite(best_reward) and best_reward > 0):
        raise InputError(f"best_reward must be a positive finite number, got {best_reward!r}")


def symmetric_gridworld(
    size: int = 5, epsilon: float = 0.9, best_reward: float = 5.0, gamma: float = 0.99
) -> TabularMDP:
    """The paper's gridworld: start top-left, ``best_reward`` top-right, ``epsilon·best_reward`` bottom-left.

    Both reward cells are ``size − 1`` moves from the start, so the optimal return is
    ``best_reward · γ^(size−1)`` and the sub-optimal corner gives ``ε · best_reward · γ^(size−1)``.
    """
    _check_reward_params(epsilon, best_reward)
    rewards = {(0, size - 1): best_reward, (size - 1, 0): epsilon * best_reward}
    return grid_mdp(size, rewards, (0, 0), gamma, "SymmetricGridworld")


def multi_optima_gridworld(
    size: int = 5, epsilon: float = 0.9, best_reward: float = 5.0, gamma: float = 0.99
) -> TabularMDP:
    """Start top-left; every anti-diagonal cell pays a reward, increasing towards the top-right.

    Anti-diagonal cell ``i`` (``i = 0`` bottom-left … ``size − 1`` top-right), i.e. cell
    ``(size − 1 − i, i)``, pays ``best_reward · ε^(size − 1 − i)``. Every reward cell is
    ``size − 1`` moves from the start, so each is a distinct deterministic local optimum.
    """
    _check_reward_params(epsilon, best_reward)
    rewards = {(size - 1 - i, i): best_reward * epsilon ** (size - 1 - i) for i in range(size)}
    return grid_mdp(size, rewards, (0, 0), gamma, "MultiOptimaGridworld")


def four_optima_gridworld(
    size: int = 5, epsilon: float = 0.9, best_reward: float = 5.0, gamma: float = 0.99
) -> TabularMDP:
    """Start in the centre; the midpoints of the four edges pay rewards of different value.

    Top pays ``best_reward``, right ``ε·best_reward``, bottom ``ε²·best_reward`` and left
    ``ε³·best_reward``; all four are ``size // 2`` moves from the start. ``size`` must be odd.
    """
    _check_reward_params(epsilon, best_reward)
    if not isinstance(size, (int, np.integer)) or size < 3 or size % 2 == 0:
        raise InputError(f"size must be an odd integer >= 3 (the start is the centre cell), got {size!r}")
    m = size // 2
    rewards = {
        (0, m): best_reward,
        (m, size - 1): best_reward * epsilon,
        (size - 1, m): best_reward * epsilon**2,
        (m, 0): best_reward * epsilon**3,
    }
    return grid_mdp(size, rewards, (m, m), gamma, "FourOptimaGridworld")
