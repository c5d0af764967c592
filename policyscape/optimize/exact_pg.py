"""Exact policy-gradient ascent on a tabular MDP, many seeds at once.

Every seed's θ is a row of one ``[K, n]`` array; one update computes the exact gradient of
``J(θ; τ_t, c)`` for all rows with ``jax.vmap`` and applies an optax optimizer to the
whole array (sgd, adam and rmsprop act elementwise, so one optimizer state serves all
seeds). Updates run inside ``jax.lax.scan``, in segments between checkpoints. The entropy
weight decays multiplicatively: ``τ_t = τ_0 · decay^t`` at update ``t = 0, 1, …``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Callable, Literal

import jax
import jax.numpy as jnp
import numpy as np
import optax

from policyscape._jax import float64
from policyscape.errors import InputError
from policyscape.objectives.exact import ExactObjective

OPTIMIZERS: dict[str, Callable[[float], optax.GradientTransformation]] = {
    "sgd": optax.sgd,
    "adam": optax.adam,
    "rmsprop": optax.rmsprop,
}
CURVE_NAMES = ("return", "value", "entropy", "mean_entropy", "tau")


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


def _metrics(terms, value) -> dict[str, jax.Array]:
    return {"return": terms.ret, "value": value, "entropy": terms.discounted_entropy, "mean_entropy": terms.mean_entropy}


def _training_fns(objective: ExactObjective, optimizer: optax.GradientTransformation):
    """jit-compiled (segment, metrics) functions.

    ``segment(θ [K,n], opt_state, τ [T]) → (θ, opt_state, metrics [T, K] each)`` scans T updates;
    ``metrics(θ [K,n], τ) → metrics [K] each`` evaluates without updating (for the final θ).
    """

    def objective_with_aux(theta, tau):
        t = objective.terms(theta)
        return t.ret + tau * t.discounted_entropy, t

    value_and_grad = jax.vmap(jax.value_and_grad(objective_with_aux, has_aux=True), in_axes=(0, None))

    def step(carry, tau):
        params, opt_state = carry
        (value, terms), grads = value_and_grad(params, tau)
        updates, opt_state = optimizer.update(-grads, opt_state, params)  # ascent
        return (optax.apply_updates(params, updates), opt_state), _metrics(terms, value)

    @jax.jit
    def segment(params, opt_state, taus):
        (params, opt_state), metrics = jax.lax.scan(step, (params, opt_state), taus)
        return params, opt_state, metrics

    @jax.jit
    def metrics(params, tau):
        value, terms = jax.vmap(objective_with_aux, in_axes=(0, None))(params, tau)
        return _metrics(terms, value)

    return segment, metrics


@float64
def train_exact(
    objective: ExactObjective,
    config: ExactTrainConfig,
    progress: Callable[[int], None] | None = None,
) -> ExactTrainResult:
    """Train ``config.seeds`` softmax policies by exact gradient ascent on ``objective``'s MDP.

    ``objective`` fixes the MDP and the mixing coefficient; τ comes from the config's
    schedule. ``progress(n)`` is called after every segment with the number of updates done.
    """
    config.validate()
    objective = objective.with_variant(entropy=config.entropy, mix=config.mix)
    optimizer = OPTIMIZERS[config.optimizer](config.lr)
    run_segment, final_metrics = _training_fns(objective, optimizer)
    init = objective.policy.initial_params(config.seed, config.seeds, config.init_scale)
    taus = tau_schedule(config.entropy, config.entropy_decay, config.updates + 1)

    params = jnp.asarray(init)
    opt_state = optimizer.init(params)
    checkpoints = {0: init}
    pieces: list[dict[str, np.ndarray]] = []
    done = 0
    while done < config.updates:
        length = min(config.checkpoint_every - done % config.checkpoint_every, config.updates - done)
        params, opt_state, metrics = run_segment(params, opt_state, jnp.asarray(taus[done : done + length]))
        pieces.append({k: np.asarray(v) for k, v in metrics.items()})
        done += length
        checkpoints[done] = np.asarray(params)
        if progress is not None:
            progress(length)

    pieces.append({k: np.asarray(v)[None] for k, v in final_metrics(params, taus[-1]).items()})
    curves = {k: np.concatenate([p[k] for p in pieces]) for k in CURVE_NAMES if k != "tau"}
    curves["tau"] = np.broadcast_to(taus[:, None], curves["return"].shape).copy()
    return ExactTrainResult(curves=curves, checkpoints=checkpoints, initial_params=init)
