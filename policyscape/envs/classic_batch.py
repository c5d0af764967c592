"""Batched classic control in numpy with Gymnasium 1.x semantics: CartPole-v1, Pendulum-v1.

:class:`BatchedClassicControl` keeps the states of ``num_envs`` envs as one ``[num_envs, d]`` float64
array and steps the active rows with Gymnasium's own formulas, written element-wise on arrays in the
same operation order and with the same dtypes (NEP 50 promotion treats Python floats alike for
numpy scalars and arrays). From the same seeds and actions it reproduces ``gymnasium.make(env_id)``
(default arguments) bit for bit, observations (float32), rewards and flags
(``tests/envs/test_classic_batch.py``):

- reset: ``gymnasium.utils.seeding.np_random(seed)`` per env, drawn exactly as the env's ``reset``
  draws (CartPole: ``uniform(-0.05, 0.05, size=(4,))``; Pendulum: ``uniform(-[π, 1], [π, 1])``);
- CartPole-v1: Euler integration; reward 1.0 every step including the terminating one
  (``sutton_barto_reward=False``, the default); terminated when ``|x| > 2.4`` or
  ``|θ| > 12°``; time limit 500;
- Pendulum-v1: the action is clipped to ``[-max_torque, max_torque]`` (as the env does, in the
  action's dtype), reward ``-(angle_normalize(θ)² + 0.1 θ̇² + 0.001 u²)``, never terminates;
  time limit 200.

The physical constants are read from ``gymnasium.make(env_id).unwrapped`` once, in ``__init__``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from policyscape.envs.batched import active_env_ids, positive_int
from policyscape.errors import InputError


@dataclass(frozen=True)
class ClassicSpec:
    env_id: str
    state_dim: int
    obs_dim: int
    discrete: bool          # True: actions [N] ints in {0, …, n-1}; False: actions [N, act_dim] floats
    act_dim: int            # discrete: number of actions; continuous: action dimension
    max_episode_steps: int


CLASSIC_SPECS: dict[str, ClassicSpec] = {
    "CartPole-v1": ClassicSpec("CartPole-v1", state_dim=4, obs_dim=4, discrete=True, act_dim=2,
                               max_episode_steps=500),
    "Pendulum-v1": ClassicSpec("Pendulum-v1", state_dim=2, obs_dim=3, discrete=False, act_dim=1,
                               max_episode_steps=200),
}


_libm_pow2 = np.frompyfunc(lambda v: math.pow(v, 2.0), 1, 1)


def _scalar_square(x: np.ndarray) -> np.ndarray:
    """``x ** 2`` element by element as a *numpy scalar* computes it (libm ``pow``), not as an array does.

    Gymnasium's Pendulum squares numpy scalars; ``np.float64(v) ** 2`` calls C ``pow(v, 2.0)``,
    which is not always the correctly rounded ``v * v`` that ``array ** 2`` gives (1 ulp apart for
    about 0.1 % of inputs). float64: ``math.pow`` (the same libm call) through ``np.frompyfunc``;
    other dtypes (float32 actions): each element squared as a numpy scalar of its dtype.
    """
    if x.dtype == np.float64:
        return _libm_pow2(x).astype(np.float64)
    return np.array([v ** 2 for v in x], dtype=x.dtype)


def _angle_normalize(x: np.ndarray) -> np.ndarray:
    return ((x + np.pi) % (2 * np.pi)) - np.pi     # gymnasium/envs/classic_control/pendulum.py


class BatchedClassicControl:
    """``num_envs`` independent episodes of a classic-control env, stepped in lockstep (vectorized).

    Same protocol as :class:`~policyscape.envs.mujoco_batch.BatchedLocomotion`: ``reset(seeds)``
    starts every env; ``step(actions, active)`` advances only the active envs. Returned arrays are
    full-batch; rows of inactive envs hold their last observation, reward 0 and sticky flags.

    Args:
      env_id: one of :data:`CLASSIC_SPECS`.
      num_envs: number of parallel episodes.
      max_episode_steps: TimeLimit (default Gymnasium's: 500 CartPole, 200 Pendulum).
    """

    def __init__(self, env_id: str, num_envs: int, max_episode_steps: int | None = None):
        if env_id not in CLASSIC_SPECS:
            raise InputError(f"env_id {env_id!r} is not supported by BatchedClassicControl; "
                             f"expected one of {sorted(CLASSIC_SPECS)}")
        num_envs = positive_int(num_envs, "num_envs")
        spec = CLASSIC_SPECS[env_id]
        max_episode_steps = positive_int(
            spec.max_episode_steps if max_episode_steps is None else max_episode_steps, "max_episode_steps")

        import gymnasium

        env = gymnasium.make(env_id)
        try:
            u = env.unwrapped
            if env_id == "CartPole-v1":
                if u.kinematics_integrator != "euler" or u._sutton_barto_reward:
                    raise RuntimeError(f"{env_id}: unexpected Gymnasium defaults")
                self._c = dict(gravity=u.gravity, masspole=u.masspole, total_mass=u.total_mass,
                               length=u.length, polemass_length=u.polemass_length,
                               force_mag=u.force_mag, tau=u.tau, x_threshold=u.x_threshold,
                               theta_threshold=u.theta_threshold_radians)
            else:
                self._c = dict(g=u.g, m=u.m, l=u.l, dt=u.dt, max_speed=u.max_speed,
                               max_torque=u.max_torque)
                self.action_low = np.asarray(env.action_space.low, dtype=np.float64).copy()
                self.action_high = np.asarray(env.action_space.high, dtype=np.float64).copy()
        finally:
            env.close()
        self.spec = spec
        self.env_id = env_id
        self.num_envs = int(num_envs)
        self.max_episode_steps = int(max_episode_steps)
        self.obs_dim = spec.obs_dim
        self._state = np.zeros((self.num_envs, spec.state_dim))
        self._obs = np.zeros((self.num_envs, spec.obs_dim), dtype=np.float32)
        self._elapsed = np.zeros(self.num_envs, dtype=np.int64)
        self._terminated = np.zeros(self.num_envs, dtype=bool)
        self._truncated = np.zeros(self.num_envs, dtype=bool)
        self._started = False

    # ------------------------------------------------------------------ observations
    def _observe(self, state: np.ndarray) -> np.ndarray:
        if self.env_id == "CartPole-v1":
            return state.astype(np.float32)
        theta, thetadot = state[:, 0], state[:, 1]
        return np.stack([np.cos(theta), np.sin(theta), thetadot], axis=1).astype(np.float32)

    def reset(self, seeds: np.ndarray) -> np.ndarray:
        """env i from ``gymnasium.make(env_id).reset(seed=seeds[i])``: seeds [num_envs] → obs [num_envs, obs_dim] float32."""
        from gymnasium.utils import seeding

        seeds = np.asarray(seeds)
        if seeds.shape != (self.num_envs,):
            raise InputError(f"seeds must have shape ({self.num_envs},) (one per env), got {seeds.shape}")
        if not np.issubdtype(seeds.dtype, np.integer) or seeds.min() < 0:
            raise InputError(f"seeds must be non-negative integers, got dtype {seeds.dtype}"
                             + (f", min {seeds.min()}" if np.issubdtype(seeds.dtype, np.number) else ""))
        if self.env_id == "CartPole-v1":
            for i, s in enumerate(seeds):
                rng, _ = seeding.np_random(int(s))
                self._state[i] = rng.uniform(low=-0.05, high=0.05, size=(4,))
        else:
            high = np.array([np.pi, 1.0])     # pendulum.py DEFAULT_X, DEFAULT_Y
            for i, s in enumerate(seeds):
                rng, _ = seeding.np_random(int(s))
                self._state[i] = rng.uniform(low=-high, high=high)
        self._obs = self._observe(self._state)
        self._elapsed[:] = 0
        self._terminated[:] = False
        self._truncated[:] = False
        self._started = True
        return self._obs.copy()

    # ------------------------------------------------------------------ dynamics (rows of active envs)
    def _step_cartpole(self, state: np.ndarray, action: np.ndarray):
        c = self._c
        x, x_dot, theta, theta_dot = state[:, 0], state[:, 1], state[:, 2], state[:, 3]
        force = np.where(action == 1, c["force_mag"], -c["force_mag"])
        costheta = np.cos(theta)
        sintheta = np.sin(theta)
        temp = (force + c["polemass_length"] * np.square(theta_dot) * sintheta) / c["total_mass"]
        thetaacc = (c["gravity"] * sintheta - costheta * temp) / (
            c["length"] * (4.0 / 3.0 - c["masspole"] * np.square(costheta) / c["total_mass"]))
        xacc = temp - c["polemass_length"] * thetaacc * costheta / c["total_mass"]
        tau = c["tau"]
        x = x + tau * x_dot
        x_dot = x_dot + tau * xacc
        theta = theta + tau * theta_dot
        theta_dot = theta_dot + tau * thetaacc
        new = np.stack([x, x_dot, theta, theta_dot], axis=1)
        xt, tt = c["x_threshold"], c["theta_threshold"]
        terminated = (x < -xt) | (x > xt) | (theta < -tt) | (theta > tt)
        reward = np.ones(len(state))        # 1.0 also on the terminating step (Gymnasium 1.x default)
        return new, reward, terminated

    def _step_pendulum(self, state: np.ndarray, action: np.ndarray):
        c = self._c
        th, thdot = state[:, 0], state[:, 1]
        g, m, l, dt = c["g"], c["m"], c["l"], c["dt"]
        u = np.clip(action, -c["max_torque"], c["max_torque"])[:, 0]
        # ``**2`` of numpy scalars in Gymnasium: libm pow, see _scalar_square
        costs = _scalar_square(_angle_normalize(th)) + 0.1 * _scalar_square(thdot) + 0.001 * _scalar_square(u)
        newthdot = thdot + (3 * g / (2 * l) * np.sin(th) + 3.0 / (m * l**2) * u) * dt
        newthdot = np.clip(newthdot, -c["max_speed"], c["max_speed"])
        newth = th + newthdot * dt
        new = np.stack([newth, newthdot], axis=1)
        return new, (-costs).astype(np.float64), np.zeros(len(state), dtype=bool)

    def step(self, actions: np.ndarray, active: np.ndarray | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Advance the active envs by one step (Gymnasium ``step`` + ``TimeLimit``).

        actions: CartPole [num_envs] ints in {0, 1}; Pendulum [num_envs, 1] real numbers (clipped as
        the env does). Rows of inactive envs are ignored. active [num_envs] bool (``None``: all) →
        obs [num_envs, obs_dim] float32, reward [num_envs] float64, terminated, truncated [num_envs] bool.
        """
        if not self._started:
            raise InputError("step() called before reset(seeds)")
        spec = self.spec
        actions = np.asarray(actions)
        want = (self.num_envs,) if spec.discrete else (self.num_envs, spec.act_dim)
        if actions.shape != want:
            raise InputError(f"actions must have shape {want} for {self.env_id}, got {actions.shape}")
        if spec.discrete:
            if not np.issubdtype(actions.dtype, np.integer):
                raise InputError(f"actions must be integers for {self.env_id}, got dtype {actions.dtype}")
        elif not np.issubdtype(actions.dtype, np.floating):
            if (not np.issubdtype(actions.dtype, np.number) or np.issubdtype(actions.dtype, np.complexfloating)
                    or actions.dtype == bool):
                raise InputError(f"actions must be real numbers, got dtype {actions.dtype}")
            actions = actions.astype(np.float64)
        ids = active_env_ids(active, self.num_envs, self._terminated | self._truncated)
        rewards = np.zeros(self.num_envs)
        if ids.size:
            a = actions[ids]
            if spec.discrete:
                ok = (a >= 0) & (a < spec.act_dim)
                if not np.all(ok):
                    raise InputError(f"actions of active envs must be in {{0, …, {spec.act_dim - 1}}} for "
                                     f"{self.env_id}, got {a[~ok][:10].tolist()}")
                new, r, term = self._step_cartpole(self._state[ids], a)
            else:
                fin = np.all(np.isfinite(a), axis=1)
                if not np.all(fin):
                    raise InputError(f"actions of active envs must be finite, got non-finite values in envs "
                                     f"{ids[~fin][:10].tolist()}")
                new, r, term = self._step_pendulum(self._state[ids], a)
            self._state[ids] = new
            self._obs[ids] = self._observe(new)
            rewards[ids] = r
            self._elapsed[ids] += 1
            self._terminated[ids] = term
            self._truncated[ids] = self._elapsed[ids] >= self.max_episode_steps
        return self._obs.copy(), rewards, self._terminated.copy(), self._truncated.copy()

    @property
    def elapsed_steps(self) -> np.ndarray:
        """Steps taken in each env's current episode, [num_envs] int64 (a copy)."""
        return self._elapsed.copy()

    @property
    def state(self) -> np.ndarray:
        """The float64 internal states, [num_envs, state_dim] (a copy)."""
        return self._state.copy()
