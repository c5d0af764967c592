"""A Gymnasium env that samples a :class:`TabularMDP`.

Every ``policyscape/`` id is registered with this entry point (see ``registry.py``), so
``gymnasium.make("policyscape/SymmetricGridworld-v0")`` samples the same MDP that the exact
analysis uses.
"""

from __future__ import annotations

import gymnasium
import numpy as np
from gymnasium import spaces

from policyscape.envs.tabular import TabularMDP
from policyscape.errors import InputError


def _cdf(p: np.ndarray) -> np.ndarray:
    """Cumulative sums along the last axis, scaled so the last entry is exactly 1."""
    c = np.cumsum(p, axis=-1)
    return c / c[..., -1:]


class TabularEnv(gymnasium.Env):
    """Samples a :class:`TabularMDP`: observations are state indices, actions action indices.

    ``reset`` draws ``s0 ~ p0``; ``step(a)`` draws ``s' ~ P[s, a, :]`` and pays the *expected*
    reward ``R[s, a]`` (the MDP stores only that). Sampled returns therefore have the same
    expectation as the exact values (rewards enter linearly), only with less variance than the
    original env's. ``terminated = terminal[s']``; ``truncated`` is always False (add a
    ``TimeLimit`` wrapper for a horizon).

    Give exactly one of ``env_id`` (a ``policyscape/`` id, built by ``make_tabular`` with
    ``builder_kwargs``) or ``mdp``.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        env_id: str | None = None,
        mdp: TabularMDP | None = None,
        render_mode: str | None = None,
        **builder_kwargs,
    ) -> None:
        if (env_id is None) == (mdp is None):
            got = "neither" if mdp is None else f"both (env_id={env_id!r} and an mdp)"
            raise InputError(f"give exactly one of env_id or mdp, got {got}")
        if mdp is None:
            from policyscape.envs.registry import make_tabular

            mdp = make_tabular(env_id, **builder_kwargs)
        elif builder_kwargs:
            raise InputError(f"builder keyword arguments need env_id, got {sorted(builder_kwargs)} with mdp")
        if not isinstance(mdp, TabularMDP):
            raise InputError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise InputError(f"render_mode must be None or one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.mdp = mdp
        self.render_mode = render_mode
        self.observation_space = spaces.Discrete(mdp.num_states)
        self.action_space = spaces.Discrete(mdp.num_actions)
        self._p0_cdf = _cdf(mdp.p0)  # [S]
        self._P_cdf = _cdf(mdp.P)  # [S, A, S]
        self._state: int | None = None

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[int, dict]:
        super().reset(seed=seed)
        self._state = int(np.searchsorted(self._p0_cdf, self.np_random.random(), side="right"))
        return self._state, {}

    def step(self, action) -> tuple[int, float, bool, bool, dict]:
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        if not self.action_space.contains(action):
            raise InputError(f"action must be an integer in [0, {self.mdp.num_actions}), got {action!r}")
        s, a = self._state, int(action)
        nxt = int(np.searchsorted(self._P_cdf[s, a], self.np_random.random(), side="right"))
        self._state = nxt
        return nxt, float(self.mdp.R[s, a]), bool(self.mdp.terminal[nxt]), False, {}

    def render(self) -> str | None:
        if self.render_mode != "ansi" or self._state is None:
            return None
        labels = self.mdp.state_labels
        return f"{self.mdp.name}: state {self._state}" + (f" {labels[self._state]}" if labels else "")
