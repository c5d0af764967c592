"""Exact policy-gradient ascent on a tabular MDP, many seeds at once.

Every seed's θ is a row of one ``[K, n]`` array; one update computes the exact gradient of
``J(θ; τ_t, c)`` for all rows with ``jax.vmap`` and applies an optax optimizer to the
whole array (sgd, adam and rmsprop act elementwise, so one optimizer state serves all
seeds). The entropy weight decays multiplicatively: ``τ_t = τ_0 · decay^t`` at update
``t = 0, 1, …``.

The gradient is the policy-gradient theorem's (``objectives.exact.exact_policy_gradient``:
two eliminations of ``I − γ P_π`` per θ give the occupancy and the soft values), which
equals autodiff of the closed form to rounding and costs less. The loop has no LAPACK call
(``linear_solve.elimination_solve_pair``), so with several JAX devices the seeds are split
over them (:func:`seed_sharding`): ``policyscape train --exact`` trains on every core. Updates run in a compiled
loop, one call per segment between checkpoints; the compiled segment is module-level and
takes the MDP, τ schedule, learning rate and segment length as arguments, so it compiles
once per (shapes, mixing coefficient, optimizer, checkpoint interval) for the whole process,
and a shorter last segment reuses it.

Importing this module is cheap (numpy only): the CLI needs :class:`ExactTrainConfig` for its
flags; JAX, optax and the objective are imported by :func:`train_exact`.
"""

from __future__ import annotations

import collections
import functools
import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Callable, Literal

import numpy as np

from policyscape.errors import InputError
from policyscape.optimize.state import TrainState, opt_leaves, restore_opt_state

if TYPE_CHECKING:
    import jax
    import optax

    from policyscape.objectives.exact import ExactObjective


def _optax(name: str) -> Callable[[float], "optax.GradientTransformation"]:
    def make(learning_rate):
        import optax  # imported on first use: the CLI imports this module for its flags only

        return getattr(optax, name)(learning_rate)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"optax.{name}(learning_rate)"
    return make


OPTIMIZERS: dict[str, Callable[[float], "optax.GradientTransformation"]] = {
    name: _optax(name) for name in ("sgd", "adam", "rmsprop")
}
CURVE_NAMES = ("return", "value", "entropy", "mean_entropy", "tau")
#: Segments queued for JAX ahead of the one whose results the host reads (they run while it reads).
SEGMENTS_AHEAD = 8


@dataclass(frozen=True)
class ExactTrainConfig:
    """Exact policy-gradient training (the paper's gridworld defaults)."""

    seeds: int = 64
    """Number of independently initialized runs, trained together."""
    seed: int = 0
    """Run seed; seed k's initial θ depends only on (seed, k)."""
    updates: int = 1500
    """Number of gradient-ascent updates."""
    lr: float = 0.1
    """Learning rate (step size)."""
    optimizer: Literal["sgd", "adam", "rmsprop"] = "sgd"
    """Optimizer from optax."""
    entropy: float = 0.0
    """Initial entropy weight τ0."""
    entropy_decay: float = 1.0
    """Per-update multiplicative decay of τ (the authors' notebook: 0.99)."""
    mix: float = 0.0
    """Uniform mixing coefficient c: π = (1 − c) softmax + c/|A|."""
    init_scale: float | None = None
    """Initial θ ~ U(−s, s); default 1/√|S| (torch.nn.Linear's default)."""
    checkpoint_every: int = 500
    """Save every seed's θ every this many updates (and at the end)."""

    def validate(self) -> None:
        checks = [
            ("seeds", self.seeds, self.seeds >= 1, "an integer >= 1"),
            ("updates", self.updates, self.updates >= 1, "an integer >= 1"),
            ("lr", self.lr, math.isfinite(self.lr) and self.lr > 0, "a finite number > 0"),
            ("entropy", self.entropy, math.isfinite(self.entropy) and self.entropy >= 0, "a finite number >= 0"),
            ("entropy_decay", self.entropy_decay, 0 < self.entropy_decay <= 1, "a number in (0, 1]"),
            ("mix", self.mix, 0 <= self.mix <= 1, "a number in [0, 1]"),
            ("checkpoint_every", self.checkpoint_every, self.checkpoint_every >= 1, "an integer >= 1"),
            ("seed", self.seed, self.seed >= 0, "an integer >= 0"),
        ]
        for name, got, ok, expected in checks:
            if not ok:
                raise InputError(f"{name} must be {expected}, got {got!r}")
        if self.optimizer not in OPTIMIZERS:
            raise InputError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {self.optimizer!r}")
        if self.init_scale is not None and not (math.isfinite(self.init_scale) and self.init_scale >= 0):
            raise InputError(f"init_scale must be a finite number >= 0, got {self.init_scale!r}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ExactTrainResult:
    """Curves are ``[updates + 1, K]``: row t describes θ_t (row 0 the initial θ) at τ_t."""

    curves: dict[str, np.ndarray]
    checkpoints: dict[int, np.ndarray]  # update index → θ [K, n]
    initial_params: np.ndarray  # [K, n]

    @property
    def final_params(self) -> np.ndarray:
        return self.checkpoints[max(self.checkpoints)]


def tau_schedule(tau0: float, decay: float, num: int) -> np.ndarray:
    """``τ_t = τ0 · decay^t`` for t = 0 … num − 1 → [num]."""
    return tau0 * decay ** np.arange(num, dtype=np.float64)


def _metrics(terms, tau) -> dict[str, jax.Array]:
    value = terms.ret + tau * terms.discounted_entropy
    return {"return": terms.ret, "value": value, "entropy": terms.discounted_entropy, "mean_entropy": terms.mean_entropy}


def seed_sharding(num_seeds: int, num_states: int) -> "jax.sharding.Sharding | None":
    """Where the training loop keeps θ [K, n]: its rows (seeds) split evenly over JAX's local devices
    when there are several and K is a multiple of their number; else None (the default device).

    Seeds are independent, so the compiled loop runs on each device's rows with no communication, and
    the numbers are the same on one device or several (tests). On the CPU, JAX has one device unless
    told otherwise (``jax_num_cpu_devices``; the ``train`` command asks for one per core): the devices
    then share the cores. Only loops without LAPACK calls are split, i.e. up to
    ``linear_solve.UNROLL_LIMIT`` states (``linear_solve.elimination_solve_pair`` says why).
    """
    import jax

    from policyscape.objectives.linear_solve import UNROLL_LIMIT

    devices = jax.local_devices()
    if len(devices) < 2 or num_seeds % len(devices) or num_states > UNROLL_LIMIT:
        return None
    mesh = jax.sharding.Mesh(np.array(devices), ("seed",))
    return jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("seed"))


@functools.cache
def _segment_fn():
    """The jit-compiled :func:`_segment` (built on first use; its compilation cache lives as long as the process)."""
    import jax

    return jax.jit(_segment, static_argnames=("policy", "mix", "optimizer"))


def _segment(params, opt_state, taus, num_updates, final_tau, lr, P, R, p0, nonterminal, gamma, *, policy, mix, optimizer):
    """``num_updates`` (≤ len(taus), traced) updates of θ [K, n] → (θ, opt_state, metrics, final metrics).

    ``metrics[k]`` are ``[L, K]`` (L = len(taus); row t describes the θ that update t starts
    from, at τ = taus[t]; rows ≥ num_updates are zero); ``final metrics`` ``[K]`` describe the
    θ after the last update at ``final_tau``.
    """
    import jax
    import jax.numpy as jnp

    from policyscape.objectives.exact import exact_policy_gradient, exact_terms
    from policyscape.objectives.linear_solve import elimination_solve_pair

    opt = OPTIMIZERS[optimizer](lr)
    grad_fn = jax.vmap(
        lambda th, tau: exact_policy_gradient(th, tau, P, R, p0, nonterminal, gamma, policy, mix,
                                              solve_pair=elimination_solve_pair), in_axes=(0, None)
    )
    K = params.shape[0]
    buffers = {k: jnp.zeros((taus.shape[0], K), params.dtype) for k in CURVE_NAMES if k != "tau"}

    def body(t, carry):
        params, opt_state, buffers = carry
        tau = taus[t]
        grads, terms = grad_fn(params, tau)
        updates, opt_state = opt.update(-grads, opt_state, params)  # ascent
        params = params + updates
        buffers = {k: buffers[k].at[t].set(v) for k, v in _metrics(terms, tau).items()}
        return params, opt_state, buffers

    params, opt_state, buffers = jax.lax.fori_loop(0, num_updates, body, (params, opt_state, buffers))
    final_terms = jax.vmap(lambda th: exact_terms(th, P, R, p0, nonterminal, gamma, policy, mix))(params)
    return params, opt_state, buffers, _metrics(final_terms, final_tau)


def train_exact(
    objective: ExactObjective,
    config: ExactTrainConfig,
    progress: Callable[[int], None] | None = None,
    on_segment: Callable[[int, dict[str, np.ndarray]], None] | None = None,
    while_computing: Callable[[], None] | None = None,
    resume: TrainState | None = None,
    on_checkpoint: Callable[[TrainState], None] | None = None,
) -> ExactTrainResult:
    """Train ``config.seeds`` softmax policies by exact gradient ascent on ``objective``'s MDP.

    ``objective`` fixes the MDP and the mixing coefficient; τ comes from the config's
    schedule. Runs in float64 whatever JAX's global setting.

    The compiled segments run in JAX's own threads while this one waits, so the callbacks
    get that time for host work: segments are dispatched up to :data:`SEGMENTS_AHEAD` ahead of
    the one whose results are read (all of them for up to that many), and

    - ``progress(n)`` is called after every segment with the number of updates done;
    - ``on_segment(start, curves)`` with the curves of updates ``start … start + L − 1``
      (``curves[k]`` is ``[L, K]``, rows of :attr:`ExactTrainResult.curves`) while the next
      segment computes (the last row, after the last update, is in the result only);
    - ``while_computing()`` once, from this thread, right after the segments are dispatched.

    ``on_checkpoint(state)`` gets the loop's :class:`~policyscape.optimize.state.TrainState` after every
    segment but the last; ``resume`` goes on from such a state and ends with exactly the θ and curves of
    an uninterrupted run (the segments are the same compiled loop on the same θ and optimizer state).
    """
    import jax

    config.validate()
    with jax.enable_x64(True):
        return _train(objective, config, progress, on_segment, while_computing, resume, on_checkpoint)


def _train(objective, config, progress, on_segment, while_computing, resume=None, on_checkpoint=None) -> ExactTrainResult:
    import jax

    segment = _segment_fn()
    objective = objective.with_variant(entropy=config.entropy, mix=config.mix)
    optimizer = OPTIMIZERS[config.optimizer](config.lr)
    init = objective.policy.initial_params(config.seed, config.seeds, config.init_scale)
    taus = tau_schedule(config.entropy, config.entropy_decay, config.updates + 1)
    length = min(config.checkpoint_every, config.updates)  # every segment fits the compiled size
    padded_taus = np.concatenate([taus, np.zeros(length)])
    mdp_args = (*objective._arrays(), objective.mdp.gamma)
    static = {"policy": objective.policy, "mix": objective.mix, "optimizer": config.optimizer}
    starts = list(range(0, config.updates, config.checkpoint_every))  # segment s: updates starts[s] … ends[s] − 1
    ends = [*starts[1:], config.updates]

    def dispatch(start, end, params, opt_state):
        return segment(params, opt_state, padded_taus[start : start + length], end - start, taus[end], config.lr,
                       *mdp_args, **static)

    checkpoints = {0: init}
    pieces: list[dict[str, np.ndarray]] = []
    sharding = seed_sharding(config.seeds, objective.mdp.num_states)
    params = jax.device_put(init, sharding)  # a copy to the device(s), nothing to compile (jnp.asarray compiles one)
    opt_state = optimizer.init(params)
    if sharding is not None:  # laid out as the loop returns it, or the second segment compiles again
        replicated = jax.sharding.NamedSharding(sharding.mesh, jax.sharding.PartitionSpec())
        opt_state = jax.device_put(opt_state, jax.tree_util.tree_map(
            lambda leaf: sharding if leaf.shape[:1] == (config.seeds,) else replicated, opt_state))
    if resume is not None:  # go on from the state saved after update ``resume.update`` (a segment's end)
        params, opt_state = jax.device_put(resume.params, sharding), restore_opt_state(opt_state, resume.opt_leaves)
        checkpoints = {u: np.array(v) for u, v in resume.checkpoints.items()}
        pieces.append({k: np.array(resume.curves[k]) for k in CURVE_NAMES if k != "tau"})
        starts, ends = zip(*[(a, b) for a, b in zip(starts, ends) if a >= resume.update])
        if progress is not None and resume.update:
            progress(resume.update)
    # Segments are queued up to SEGMENTS_AHEAD ahead of the one being read (each takes the previous one's
    # outputs, not yet computed): JAX runs them back to back in its own threads whatever the host does
    # meanwhile (while_computing, reading and formatting the results of the segments before).
    segments = list(zip(starts, ends))
    running = collections.deque()  # dispatched, not yet read
    done = 0  # segments read

    def queue_until(count: int) -> None:
        nonlocal params, opt_state
        while len(running) < count and len(running) + done < len(segments):
            start, end = segments[len(running) + done]
            params, opt_state, metrics, final = dispatch(start, end, params, opt_state)
            running.append((params, opt_state, metrics, final))

    queue_until(SEGMENTS_AHEAD)
    if while_computing is not None:
        while_computing()
    for start, end in segments:
        queue_until(SEGMENTS_AHEAD)
        seg_params, seg_opt_state, metrics, final = running.popleft()
        done += 1
        piece = {k: np.asarray(v)[: end - start] for k, v in metrics.items()}
        checkpoints[end] = np.asarray(seg_params)
        pieces.append(piece)
        if progress is not None:
            progress(end - start)
        if on_segment is not None:
            on_segment(start, {**piece, "tau": np.broadcast_to(taus[start:end, None], piece["return"].shape)})
        if on_checkpoint is not None and end < config.updates:
            on_checkpoint(TrainState(end, checkpoints[end], opt_leaves(seg_opt_state),
                                     {k: np.concatenate([p[k] for p in pieces]) for k in pieces[0]}, dict(checkpoints)))

    pieces.append({k: np.asarray(v)[None] for k, v in final.items()})
    curves = {k: np.concatenate([p[k] for p in pieces]) for k in CURVE_NAMES if k != "tau"}
    curves["tau"] = np.broadcast_to(taus[:, None], curves["return"].shape).copy()
    return ExactTrainResult(curves=curves, checkpoints=checkpoints, initial_params=init)
