"""Gymnasium's toy-text environments as :class:`TabularMDP` s, read from their transition tables.

The toy-text envs expose ``env.P[s][a] = [(prob, next_state, reward, done), ...]`` and a start
distribution ``env.initial_state_distrib[S_orig]``. The conversion gives an MDP with
``S = S_orig + 1`` states:

- ``R[s, a] = Σ prob · reward`` over the outcomes of ``(s, a)`` (expected reward);
- outcomes with ``done=True`` go to ONE added absorbing terminal state, index ``S_orig``
  (so entering FrozenLake's goal, CliffWalking's goal or a Taxi drop-off ends the episode there);
- other outcomes go to ``next_state``.

States that end the episode in the original env (FrozenLake holes and goal, CliffWalking's goal)
can no longer be entered; their own rows are kept as the table gives them (FrozenLake's
``done`` self-loops are routed to the terminal state too). Gymnasium's ``TimeLimit`` (e.g. 100
steps for FrozenLake 4x4) is not part of the MDP: the discount plays that role here.
"""

from __future__ import annotations

import numpy as np

from policyscape.envs.tabular import TabularMDP
from policyscape.errors import InputError

_ACTIONS = {
    "FrozenLake-v1": ("left", "down", "right", "up"),
    "CliffWalking-v1": ("up", "right", "down", "left"),
    "Taxi-v4": ("south", "north", "east", "west", "pickup", "dropoff"),
}
SUPPORTED_IDS = tuple(_ACTIONS)
_TAXI_LOCS = ("R", "G", "Y", "B", "taxi")


def _state_labels(gym_id: str, env, n: int) -> tuple[str, ...]:
    if gym_id == "FrozenLake-v1":
        ncol = env.ncol
        return tuple(f"({s // ncol},{s % ncol}){env.desc.flat[s].decode()}" for s in range(n))
    if gym_id == "CliffWalking-v1":
        ncol = env.shape[1]
        return tuple(f"({s // ncol},{s % ncol})" for s in range(n))
    labels = []
    for s in range(n):
        row, col, pas, dest = env.decode(s)
        labels.append(f"taxi({row},{col}) passenger={_TAXI_LOCS[pas]} dest={_TAXI_LOCS[dest]}")
    return tuple(labels)


def from_toy_text(gym_id: str, gamma: float = 0.99, **gym_kwargs) -> TabularMDP:
    """Convert Gymnasium's ``gym_id`` (built with ``gym_kwargs``) to a :class:`TabularMDP`.

    Returns an MDP with ``P[S, A, S]``, ``R[S, A]``, ``p0[S]`` where ``S = S_orig + 1``; the last
    state is the absorbing terminal state (see the module docstring). Supported ids:
    ``FrozenLake-v1`` (``map_name``, ``is_slippery``, ...), ``CliffWalking-v1``, ``Taxi-v4``.
    """
    if gym_id not in _ACTIONS:
        raise InputError(f"unsupported toy-text id {gym_id!r}; supported ids: {', '.join(SUPPORTED_IDS)}")
    if gym_id == "Taxi-v4" and gym_kwargs.get("fickle_passenger", False):
        raise InputError(
            "Taxi-v4 with fickle_passenger=True changes the destination outside its transition table; "
            "expected fickle_passenger=False"
        )
    import gymnasium

    try:
        env = gymnasium.make(gym_id, **gym_kwargs).unwrapped
    except (TypeError, KeyError, ValueError) as exc:
        raise InputError(f"could not build {gym_id} with arguments {gym_kwargs!r}: {exc!r}") from exc
    table, start = env.P, np.asarray(env.initial_state_distrib, dtype=np.float64)
    S0, A = len(table), len(table[0])
    if start.shape != (S0,):
        raise InputError(f"{gym_id}: initial_state_distrib has shape {start.shape}, expected ({S0},)")
    T = S0  # the added terminal state
    P = np.zeros((S0 + 1, A, S0 + 1))
    R = np.zeros((S0 + 1, A))
    for s in range(S0):
        for a in range(A):
            for prob, nxt, reward, done in table[s][a]:
                P[s, a, T if done else int(nxt)] += prob
                R[s, a] += prob * reward
    P[T, :, T] = 1.0
    p0 = np.append(start, 0.0)
    terminal = np.zeros(S0 + 1, dtype=bool)
    terminal[T] = True
    args = ",".join(f"{k}={v}" for k, v in sorted(gym_kwargs.items()))
    name = f"{gym_id}({args})" if args else gym_id
    labels = _state_labels(gym_id, env, S0) + ("terminal",)
    env.close()
    return TabularMDP(P, R, p0, gamma, terminal, name, labels, _ACTIONS[gym_id])
