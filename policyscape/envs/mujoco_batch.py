"""Batched MuJoCo locomotion with Gymnasium v5 semantics: Hopper-v5, Walker2d-v5, HalfCheetah-v5.

:class:`BatchedLocomotion` steps ``num_envs`` copies of Gymnasium's own ``MjModel`` with MuJoCo's
batched C stepping (``mujoco.batch.Batch``, physics on all cores, only the active envs stepped) and
computes observation, reward, termination and the 1000-step time limit in numpy, exactly as
``gymnasium.make(env_id)`` with default arguments does (see ``docs/backends.md``). From the same seeds
and actions it reproduces ``gymnasium.make(env_id)`` bit for bit (``tests/envs/test_mujoco_batch.py``):

- physics: the model *is* Gymnasium's (``gymnasium.make(env_id).unwrapped.model``, copied by the
  batch); each env step is ``frame_skip`` calls of ``mj_step`` from the full integration state
  (including ``qacc_warmstart``), which ``Batch`` documents as bit-identical to one ``MjData``;
- reset: ``mj_resetData``, then ``qpos = qpos0 + noise``, ``qvel = noise`` drawn from
  ``numpy.random.default_rng(seed)`` in Gymnasium's order, then ``mj_forward`` — the same numbers as
  ``env.reset(seed=seed)``. Equal seeds give equal initial states: common random numbers across θ
  are "episode k of every θ gets seed s_k".

Actions are **not** clipped (Gymnasium v5 does not clip either: MuJoCo clamps ``ctrl`` to the
actuators' ``ctrlrange`` because the models set ``ctrllimited``, while the control cost uses the
action as given). Clip in the policy, e.g. to :attr:`BatchedLocomotion.action_low` / ``action_high``.

``mujoco`` is an optional dependency: it is imported only by this module.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from policyscape.envs.batched import active_env_ids, positive_int
from policyscape.errors import InputError


@dataclass(frozen=True)
class LocomotionSpec:
    """The default constructor arguments of one Gymnasium v5 locomotion env (its ``__init__``).

    ``healthy_state_range`` bounds ``state_vector()[2:]`` (Hopper only; ``None``: not checked);
    ``healthy_z_range`` / ``healthy_angle_range`` bound ``qpos[1]`` / ``qpos[2]`` (open intervals);
    ``terminates=False`` means the env has no health check at all (HalfCheetah).
    ``qvel_noise`` is ``"uniform"`` (``qvel ~ U(±scale)``) or ``"normal"`` (``qvel = scale·N(0, 1)``).
    """

    env_id: str
    frame_skip: int
    forward_reward_weight: float
    ctrl_cost_weight: float
    healthy_reward: float
    terminates: bool
    healthy_z_range: tuple[float, float] | None
    healthy_angle_range: tuple[float, float] | None
    healthy_state_range: tuple[float, float] | None
    reset_noise_scale: float
    qvel_noise: str
    qvel_clip: float | None
    max_episode_steps: int = 1000


SPECS: dict[str, LocomotionSpec] = {
    # gymnasium/envs/mujoco/hopper_v5.py
    "Hopper-v5": LocomotionSpec(
        env_id="Hopper-v5", frame_skip=4, forward_reward_weight=1.0, ctrl_cost_weight=1e-3,
        healthy_reward=1.0, terminates=True, healthy_z_range=(0.7, float("inf")),
        healthy_angle_range=(-0.2, 0.2), healthy_state_range=(-100.0, 100.0),
        reset_noise_scale=5e-3, qvel_noise="uniform", qvel_clip=10.0),
    # gymnasium/envs/mujoco/walker2d_v5.py (walker2d_v5.xml)
    "Walker2d-v5": LocomotionSpec(
        env_id="Walker2d-v5", frame_skip=4, forward_reward_weight=1.0, ctrl_cost_weight=1e-3,
        healthy_reward=1.0, terminates=True, healthy_z_range=(0.8, 2.0),
        healthy_angle_range=(-1.0, 1.0), healthy_state_range=None,
        reset_noise_scale=5e-3, qvel_noise="uniform", qvel_clip=10.0),
    # gymnasium/envs/mujoco/half_cheetah_v5.py
    "HalfCheetah-v5": LocomotionSpec(
        env_id="HalfCheetah-v5", frame_skip=5, forward_reward_weight=1.0, ctrl_cost_weight=0.1,
        healthy_reward=0.0, terminates=False, healthy_z_range=None,
        healthy_angle_range=None, healthy_state_range=None,
        reset_noise_scale=0.1, qvel_noise="normal", qvel_clip=None),
}


# ---------------------------------------------------------------- pure functions (one batch of envs)
def observation(spec: LocomotionSpec, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
    """``o = [qpos[1:], clip(qvel, ±c)]`` (x position excluded; HalfCheetah: qvel unclipped).

    qpos [B, nq], qvel [B, nv] → o [B, nq - 1 + nv], float64 (a new array).
    """
    assert qpos.ndim == 2 and qvel.ndim == 2 and qpos.shape[0] == qvel.shape[0]
    vel = qvel if spec.qvel_clip is None else np.clip(qvel, -spec.qvel_clip, spec.qvel_clip)
    return np.concatenate([qpos[:, 1:], vel], axis=1)


def is_healthy(spec: LocomotionSpec, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
    """``z_lo < qpos[1] < z_hi``, ``a_lo < qpos[2] < a_hi`` and (Hopper) ``s_lo < s < s_hi`` for every
    entry of ``s = [qpos, qvel][2:]``; all True for envs without a health check.

    qpos [B, nq], qvel [B, nv] → healthy [B] bool. NaN anywhere checked counts as unhealthy.
    """
    assert qpos.ndim == 2 and qvel.ndim == 2 and qpos.shape[0] == qvel.shape[0]
    healthy = np.ones(qpos.shape[0], dtype=bool)
    if spec.healthy_z_range is not None:
        lo, hi = spec.healthy_z_range
        healthy &= (lo < qpos[:, 1]) & (qpos[:, 1] < hi)
    if spec.healthy_angle_range is not None:
        lo, hi = spec.healthy_angle_range
        healthy &= (lo < qpos[:, 2]) & (qpos[:, 2] < hi)
    if spec.healthy_state_range is not None:
        lo, hi = spec.healthy_state_range
        state = np.concatenate([qpos[:, 2:], qvel], axis=1)
        healthy &= np.all((lo < state) & (state < hi), axis=1)
    return healthy


def reward(spec: LocomotionSpec, x_before: np.ndarray, x_after: np.ndarray, healthy: np.ndarray,
           action: np.ndarray, dt: float) -> np.ndarray:
    """``r = w_f (x' - x)/dt + r_h·healthy - w_c Σ_j a_j²`` (v5: healthy reward only while healthy).

    x_before, x_after [B], healthy [B] bool, action [B, act_dim] as given (unclipped) → r [B] float64.
    The operations and their order are Gymnasium's, so that the result is bit-identical.
    """
    assert x_before.shape == x_after.shape == healthy.shape == action.shape[:1]
    forward = spec.forward_reward_weight * ((x_after - x_before) / dt)
    ctrl_cost = spec.ctrl_cost_weight * np.sum(np.square(action), axis=1)
    if spec.terminates:
        return (forward + healthy * spec.healthy_reward) - ctrl_cost
    return forward - ctrl_cost


def initial_state(spec: LocomotionSpec, init_qpos: np.ndarray, nv: int,
                  seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The initial qpos/qvel that ``gymnasium.make(spec.env_id).reset(seed=s)`` draws, for each s.

    With ``rng = default_rng(s)`` (= Gymnasium's ``np_random(s)``) and scale c:
    ``qpos = init_qpos + rng.uniform(-c, c, nq)``, then ``qvel = 0 + rng.uniform(-c, c, nv)``
    (HalfCheetah: ``qvel = 0 + c·rng.standard_normal(nv)``).

    init_qpos [nq], seeds [B] non-negative ints → qpos [B, nq], qvel [B, nv].
    """
    nq = init_qpos.shape[0]
    c = spec.reset_noise_scale
    qpos = np.empty((len(seeds), nq))
    qvel = np.empty((len(seeds), nv))
    init_qvel = np.zeros(nv)
    for i, s in enumerate(seeds):
        rng = np.random.default_rng(int(s))
        qpos[i] = init_qpos + rng.uniform(low=-c, high=c, size=nq)
        if spec.qvel_noise == "uniform":
            qvel[i] = init_qvel + rng.uniform(low=-c, high=c, size=nv)
        else:
            qvel[i] = init_qvel + c * rng.standard_normal(nv)
    return qpos, qvel


# ---------------------------------------------------------------- the batched env
class BatchedLocomotion:
    """``num_envs`` independent episodes of a Gymnasium v5 locomotion env, stepped in lockstep.

    ``reset(seeds)`` starts every env's episode; ``step(actions, active)`` advances only the active
    envs by one env step (``frame_skip`` physics substeps). Arrays returned are always full-batch
    ``[num_envs, ...]``; rows of inactive envs hold their last observation, reward 0 and their
    (sticky) terminated/truncated flags, so ``active = ~(terminated | truncated)`` is the usual loop.

    Args:
      env_id: one of :data:`SPECS` (``Hopper-v5``, ``Walker2d-v5``, ``HalfCheetah-v5``).
      num_envs: number of parallel episodes.
      num_threads: threads for the physics; ``None``: the CPUs this process may use.
      max_episode_steps: TimeLimit; ``truncated`` is True once an episode has taken this many
        steps (default Gymnasium's, 1000).
    """

    def __init__(self, env_id: str, num_envs: int, num_threads: int | None = None,
                 max_episode_steps: int | None = None):
        if env_id not in SPECS:
            raise InputError(f"env_id {env_id!r} is not supported by BatchedLocomotion; "
                             f"expected one of {sorted(SPECS)}")
        num_envs = positive_int(num_envs, "num_envs")
        if num_threads is None:
            num_threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        num_threads = positive_int(num_threads, "num_threads")
        spec = SPECS[env_id]
        max_episode_steps = positive_int(
            spec.max_episode_steps if max_episode_steps is None else max_episode_steps, "max_episode_steps")

        import gymnasium
        import mujoco
        from mujoco import batch as mj_batch

        gym_env = gymnasium.make(env_id)
        try:
            unwrapped = gym_env.unwrapped
            model = unwrapped.model
            if unwrapped.frame_skip != spec.frame_skip:   # guard against a changed Gymnasium default
                raise RuntimeError(f"{env_id}: Gymnasium frame_skip {unwrapped.frame_skip} != {spec.frame_skip}")
            self._init_qpos = np.array(unwrapped.init_qpos, dtype=np.float64)
            self._sim = mj_batch.Batch(model, nsim=int(num_envs), nthread=int(num_threads))
        finally:
            gym_env.close()
        self._mujoco = mujoco
        self.spec = spec
        self.env_id = env_id
        self.num_envs = int(num_envs)
        self.num_threads = int(num_threads)
        self.max_episode_steps = int(max_episode_steps)
        self.nq, self.nv, self.act_dim = int(model.nq), int(model.nv), int(model.nu)
        self.obs_dim = self.nq - 1 + self.nv
        self.dt = model.opt.timestep * spec.frame_skip          # as Gymnasium's MujocoEnv.dt
        ctrlrange = np.array(model.actuator_ctrlrange, dtype=np.float64)
        self.action_low, self.action_high = ctrlrange[:, 0].copy(), ctrlrange[:, 1].copy()
        self._qpos = self._sim.bind("qpos")
        self._qvel = self._sim.bind("qvel")
        self._ctrl = self._sim.bind("ctrl")
        self._obs = np.zeros((self.num_envs, self.obs_dim))
        self._elapsed = np.zeros(self.num_envs, dtype=np.int64)
        self._terminated = np.zeros(self.num_envs, dtype=bool)
        self._truncated = np.zeros(self.num_envs, dtype=bool)
        self._started = False

    def reset(self, seeds: np.ndarray) -> np.ndarray:
        """Start a new episode in every env, env i from ``gymnasium.make(env_id).reset(seed=seeds[i])``'s state.

        seeds [num_envs] non-negative ints → obs [num_envs, obs_dim].
        """
        seeds = np.asarray(seeds)
        if seeds.shape != (self.num_envs,):
            raise InputError(f"seeds must have shape ({self.num_envs},) (one per env), got {seeds.shape}")
        if seeds.size and (not np.issubdtype(seeds.dtype, np.integer) or seeds.min() < 0):
            raise InputError(f"seeds must be non-negative integers, got dtype {seeds.dtype}"
                             + (f", min {seeds.min()}" if np.issubdtype(seeds.dtype, np.number) else ""))
        qpos0, qvel0 = initial_state(self.spec, self._init_qpos, self.nv, seeds)
        self._sim.reset(stage=self._mujoco.mjtStage.mjSTAGE_NONE.value)   # mj_resetData
        self._qpos[:] = qpos0
        self._qvel[:] = qvel0
        self._sim.forward()                                               # set_state → mj_forward
        self._obs = observation(self.spec, self._qpos, self._qvel)
        self._elapsed[:] = 0
        self._terminated[:] = False
        self._truncated[:] = False
        self._started = True
        return self._obs.copy()

    def step(self, actions: np.ndarray, active: np.ndarray | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Advance the active envs by one env step (Gymnasium v5 ``step`` + ``TimeLimit``).

        actions [num_envs, act_dim] (rows of inactive envs are ignored; not clipped), active [num_envs]
        bool (``None``: all) → obs [num_envs, obs_dim], reward [num_envs] float64,
        terminated [num_envs] bool, truncated [num_envs] bool. Stepping an env whose episode has
        ended (or before ``reset``) raises :class:`InputError`.
        """
        if not self._started:
            raise InputError("step() called before reset(seeds)")
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs, self.act_dim):
            raise InputError(f"actions must have shape ({self.num_envs}, {self.act_dim}) "
                             f"(num_envs, act_dim) for {self.env_id}, got {actions.shape}")
        if not np.issubdtype(actions.dtype, np.floating):
            if not np.issubdtype(actions.dtype, np.number) or np.issubdtype(actions.dtype, np.complexfloating):
                raise InputError(f"actions must be real numbers, got dtype {actions.dtype}")
            actions = actions.astype(np.float64)
        ids = active_env_ids(active, self.num_envs, self._terminated | self._truncated)
        rewards = np.zeros(self.num_envs)
        if ids.size:
            a = actions[ids]
            if not np.all(np.isfinite(a)):
                raise InputError(f"actions of active envs must be finite, got non-finite values in envs "
                                 f"{ids[~np.all(np.isfinite(a), axis=1)][:10].tolist()}")
            x_before = self._qpos[ids, 0].copy()
            self._ctrl[ids] = a
            self._sim.step(ids.astype(np.int32), nstep=self.spec.frame_skip)
            qpos, qvel = self._qpos[ids], self._qvel[ids]
            healthy = is_healthy(self.spec, qpos, qvel)
            rewards[ids] = reward(self.spec, x_before, qpos[:, 0], healthy, a, self.dt)
            self._obs[ids] = observation(self.spec, qpos, qvel)
            self._elapsed[ids] += 1
            if self.spec.terminates:
                self._terminated[ids] = ~healthy
            self._truncated[ids] = self._elapsed[ids] >= self.max_episode_steps
        return self._obs.copy(), rewards, self._terminated.copy(), self._truncated.copy()

    @property
    def elapsed_steps(self) -> np.ndarray:
        """Steps taken in each env's current episode, [num_envs] int64 (a copy)."""
        return self._elapsed.copy()

    @property
    def qpos(self) -> np.ndarray:
        """Current generalized positions, [num_envs, nq] (a copy; includes the x position)."""
        return np.array(self._qpos)

    @property
    def qvel(self) -> np.ndarray:
        """Current generalized velocities, [num_envs, nv] (a copy, unclipped)."""
        return np.array(self._qvel)
