"""The resume state of a training loop: everything the next update draws from.

Both trainers (``exact_pg``, ``reinforce``) derive every random draw from
``SeedSequence(seed, update, …)``, so what a run needs to go on from update ``u`` is its θ, the
optimizer's state, the curves and checkpoints recorded so far and the running counters (REINFORCE:
environment steps, non-finite episodes). A trainer hands a :class:`TrainState` to its
``on_checkpoint`` callback at every checkpoint and accepts one as ``resume``; it then ends with
exactly (bit for bit) the θ and curves of an uninterrupted run. ``runs.training`` stores it
atomically in the run directory (``resume.npz``).

The optax state is kept as its flattened leaves (``jax.tree_util`` order): the trainer rebuilds
the tree from ``optimizer.init(θ)``'s structure, which depends only on the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from policyscape.errors import InputError

FORMAT = "policyscape.train-state/1"


@dataclass
class TrainState:
    """A training loop between updates: ``update`` updates are done (module docstring)."""

    update: int
    params: np.ndarray  # [B, n]
    opt_leaves: list[np.ndarray]  # the optax state's leaves
    curves: dict[str, np.ndarray]  # curve → rows recorded so far [R, B]
    checkpoints: dict[int, np.ndarray]  # update → θ [B, n]
    counters: dict[str, np.ndarray] = field(default_factory=dict)  # running totals, e.g. env_steps [B]

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Flat ``{name: array}`` for ``numpy.savez`` (no pickles)."""
        out = {"format": np.array(FORMAT), "update": np.array(int(self.update)), "params": np.asarray(self.params)}
        out.update({f"opt.{i}": np.asarray(leaf) for i, leaf in enumerate(self.opt_leaves)})
        out.update({f"curve.{k}": np.asarray(v) for k, v in self.curves.items()})
        out.update({f"checkpoint.{u}": np.asarray(v) for u, v in self.checkpoints.items()})
        out.update({f"counter.{k}": np.asarray(v) for k, v in self.counters.items()})
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> TrainState:
        if str(arrays.get("format", "")) != FORMAT:
            raise InputError(f"not a training resume state (format {str(arrays.get('format'))!r}, expected {FORMAT!r})")
        leaves = sorted((int(k[4:]), v) for k, v in arrays.items() if k.startswith("opt."))
        return cls(
            update=int(arrays["update"]),
            params=np.asarray(arrays["params"]),
            opt_leaves=[v for _, v in leaves],
            curves={k[6:]: v for k, v in arrays.items() if k.startswith("curve.")},
            checkpoints=dict(sorted((int(k[11:]), v) for k, v in arrays.items() if k.startswith("checkpoint."))),
            counters={k[8:]: v for k, v in arrays.items() if k.startswith("counter.")},
        )


def opt_leaves(opt_state) -> list[np.ndarray]:
    """The optax state's leaves as numpy arrays (copies)."""
    import jax

    return [np.array(leaf) for leaf in jax.tree_util.tree_leaves(opt_state)]


def restore_opt_state(template, leaves: list[np.ndarray]):
    """The optax state with ``template``'s structure (``optimizer.init(θ)``) and the saved ``leaves``."""
    import jax

    flat, treedef = jax.tree_util.tree_flatten(template)
    if len(flat) != len(leaves) or any(np.shape(a) != np.shape(b) for a, b in zip(flat, leaves)):
        raise InputError(f"the saved optimizer state ({len(leaves)} arrays) does not fit this configuration's "
                         f"optimizer ({len(flat)} arrays); expected the state of the same run")
    return jax.tree_util.tree_unflatten(
        treedef, [jax.device_put(np.asarray(leaf, dtype=ref.dtype), ref.sharding) for ref, leaf in zip(flat, leaves)])
