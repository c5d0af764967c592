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


NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"


def _npy_header_dtype(f) -> np.dtype | None:
    """The dtype in a ``.npy`` header, or None when the header cannot be parsed."""
    try:
        version = np.lib.format.read_magic(f)
        reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        return np.dtype(reader(f)[2])
    except (ValueError, OSError, EOFError, TypeError, SyntaxError):
        return None


def read_npy(path: Path | str, what: str = "array file") -> np.ndarray:
    """A ``.npy`` file as an array of real numbers, or an InputError that says what is wrong with it.

    Refused: a file that is not ``.npy`` at all (no NumPy header), a truncated or corrupt one, Python
    objects (never unpickled), strings, and complex numbers (their imaginary part would be lost).
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            magic = f.read(len(NPY_MAGIC))
            f.seek(0)
            if magic != NPY_MAGIC:
                raise InputError(f"{what} {str(path)!r} is not a .npy file (it does not start with the NumPy header)")
            dtype = _npy_header_dtype(f)
            if dtype is not None and dtype.hasobject:
                raise InputError(f"{what} {str(path)!r} holds Python objects (dtype object); expected an array of "
                                 "numbers (objects are never unpickled)")
            f.seek(0)
            try:
                array = np.load(f, allow_pickle=False)
            except (ValueError, EOFError, OSError) as e:
                raise InputError(f"{what} {str(path)!r} is truncated or corrupt ({e})") from None
    except OSError as e:
        raise InputError(f"cannot read {what} {str(path)!r}: {e.strerror or e}") from None
    return check_real(array, f"{what} {str(path)!r}")


def check_real(array: np.ndarray, what: str) -> np.ndarray:
    """Refuse (InputError) arrays that are not real numbers: strings, objects, complex (module docstring)."""
    array = np.asarray(array)
    if np.iscomplexobj(array):
        raise InputError(f"{what} holds complex numbers (dtype {array.dtype}); expected real numbers (the imaginary "
                         "part would be lost)")
    if array.dtype.kind not in "biuf":
        raise InputError(f"{what} holds {array.dtype} data, not numbers; expected an array of real numbers")
    return array


def _load_npz(path: Path, row: int | None, spec: str) -> Params:
    import zipfile

    try:
        with open(path, "rb") as f:  # our own handle: numpy leaks its own when the archive is corrupt
            if f.read(len(ZIP_MAGIC)) != ZIP_MAGIC:
                raise InputError(f"parameter file {str(path)!r} is not a .npz file (not a zip archive)")
            f.seek(0)
            with np.load(f, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
    except InputError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as e:
        pickled = "pickled" in str(e)
        raise InputError(f"parameter file {str(path)!r} " + (
            "holds Python objects; expected plain arrays (objects are never unpickled)" if pickled
            else f"is truncated or corrupt ({type(e).__name__}: {e})")) from None
    if "theta" not in data:
        raise InputError(f"parameter file {str(path)!r} has no 'theta' entry (keys: {sorted(data)})")
    theta = check_real(data["theta"], f"'theta' in {str(path)!r}")
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
        theta = np.asarray(read_npy(path, "parameter file"), dtype=np.float64)
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
