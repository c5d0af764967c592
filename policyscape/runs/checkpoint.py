"""Parameter files: the self-describing ``.npz`` checkpoint, and reading any ``--at`` value.

A checkpoint ``.npz`` holds (no pickles; every entry is a plain array)::

    theta        [n] or [K, n] float64   one parameter vector, or one per seed
    env_id       str                     e.g. "policyscape/SymmetricGridworld-v0"
    policy       str                     e.g. "tabular-softmax"
    num_states   int, num_actions int, num_params int
    update       int                     training update the parameters come from (-1: none)
    seed_index   [K] int                 which seeds the rows of a [K, n] theta are
    format       str                     "policyscape.checkpoint/1"

``--at`` accepts such a file (``FILE.npz``, or ``FILE.npz@K`` for the row of seed K when it
holds several), a plain ``.npy`` flat vector (the authors' format), or an inline
comma-separated vector ``"0.1,-0.2,..."``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from policyscape.errors import InputError
from policyscape.runs.rundir import atomic_write_bytes

FORMAT = "policyscape.checkpoint/1"


@dataclass(frozen=True)
class Params:
    """A parameter vector and what is known about where it came from."""

    theta: np.ndarray  # [n]
    env_id: str | None = None
    policy: str | None = None
    source: str = ""


def save_checkpoint(
    path: Path | str,
    theta: np.ndarray,
    env_id: str,
    policy: str,
    num_states: int,
    num_actions: int,
    update: int = -1,
    seed_index: np.ndarray | None = None,
) -> Path:
    """Write a self-describing checkpoint (module docstring) atomically.

    For policies on continuous observations ``num_states`` holds the observation size and
    ``num_actions`` the action size (the policy kind says which).
    """
    theta = np.asarray(theta, dtype=np.float64)
    if seed_index is None:
        seed_index = np.arange(theta.shape[0]) if theta.ndim == 2 else np.zeros(0, dtype=np.int64)
    buf = io.BytesIO()
    np.savez(
        buf,
        theta=theta,
        env_id=np.array(env_id),
        policy=np.array(policy),
        num_states=np.array(num_states),
        num_actions=np.array(num_actions),
        num_params=np.array(theta.shape[-1]),
        update=np.array(update),
        seed_index=np.asarray(seed_index, dtype=np.int64),
        format=np.array(FORMAT),
    )
    atomic_write_bytes(Path(path), buf.getvalue())
    return Path(path)


def _load_npz(path: Path, row: int | None, spec: str) -> Params:
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read parameter file {str(path)!r}: {e}") from e
    if "theta" not in data:
        raise InputError(f"parameter file {str(path)!r} has no 'theta' entry (keys: {sorted(data)})")
    theta = data["theta"]
    if theta.ndim == 2:
        if row is None:
            raise InputError(
                f"{str(path)!r} holds {theta.shape[0]} parameter vectors (one per seed); "
                f"pick one with {path}@K, 0 <= K < {theta.shape[0]}"
            )
        seeds = list(data.get("seed_index", np.arange(theta.shape[0])))
        if row not in seeds:
            raise InputError(f"seed {row} is not in {str(path)!r}; expected one of {seeds}")
        theta = theta[seeds.index(row)]
    elif row is not None:
        raise InputError(f"{str(path)!r} holds a single parameter vector; drop the '@{row}' suffix")
    if theta.ndim != 1:
        raise InputError(f"'theta' in {str(path)!r} must be a vector [n] or a matrix [K, n], got shape {theta.shape}")
    env_id = str(data["env_id"]) if "env_id" in data else None
    policy = str(data["policy"]) if "policy" in data else None
    return Params(theta.astype(np.float64), env_id, policy, spec)


def load_params(spec: str) -> Params:
    """Parse an ``--at`` value (module docstring) into :class:`Params`; no shape check yet."""
    spec = str(spec).strip()
    if not spec:
        raise InputError("expected a parameter file (.npz, .npy) or a comma-separated vector, got an empty value")
    path_part, _, row_part = spec.partition("@")
    path = Path(path_part)
    if path.suffix in (".npz", ".npy") or path.exists():
        if not path.exists():
            raise InputError(f"parameter file {path_part!r} does not exist")
        row = None
        if row_part:
            try:
                row = int(row_part)
            except ValueError:
                raise InputError(f"expected an integer seed after '@' in {spec!r}, got {row_part!r}") from None
        if path.suffix == ".npz":
            return _load_npz(path, row, spec)
        try:
            theta = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise InputError(f"cannot read parameter file {path_part!r}: {e}") from e
        theta = np.asarray(theta, dtype=np.float64)
        if theta.ndim != 1:
            raise InputError(f"a .npy parameter file must hold a flat vector [n], got shape {theta.shape}")
        return Params(theta, source=spec)
    try:
        theta = np.array([float(x) for x in spec.split(",")], dtype=np.float64)
    except ValueError:
        raise InputError(
            f"expected a parameter file (.npz, .npy) or a comma-separated list of numbers, got {spec[:80]!r}"
        ) from None
    return Params(theta, source="inline")
