"""Frozen observation normalization from Stable-Baselines3's ``VecNormalize`` or a plain ``.npz``.

**VecNormalize ``.pkl``** (``VecNormalize.save``, SB3 2.x, stable_baselines3/common/vec_env/
vec_normalize.py): ``pickle.dump(self)`` of the wrapper, whose ``__getstate__`` drops ``venv``,
``class_attributes`` and ``returns``. What remains is the instance ``__dict__``: ``obs_rms`` (a
``RunningMeanStd`` with ``mean``, ``var`` float64 arrays and ``count``), ``ret_rms``, ``clip_obs``,
``clip_reward``, ``epsilon``, ``gamma``, ``norm_obs``, ``norm_reward``, ``training``,
``norm_obs_keys``, ``observation_space``/``action_space`` (gymnasium spaces, with numpy arrays
and possibly a numpy ``Generator``), ``num_envs``, ``render_mode``, ``metadata``, ``reset_infos``,
``_seeds``, ``_options``, ``old_obs``, ``old_reward``.

The unpickler here allows the two SB3 classes, the gymnasium (and older gym) space classes and
numpy's random-generator and seed-sequence constructors (a seeded space pickles its generator)
as inert :class:`~policyscape.agents._safe_pickle.Record` stand-ins that only keep their state,
numpy's array/dtype/scalar rebuilders for plain dtypes, ``collections.OrderedDict`` and
``_codecs.encode(text, "latin1")`` (protocol 2's bytes). Any other global is refused by name;
nothing is run. Of all that, only ``obs_rms``, ``clip_obs``, ``epsilon`` and ``norm_obs`` are read.

**``.npz``**: arrays ``mean``, ``var`` and scalars ``clip``, ``epsilon`` (``count`` optional),
read with ``allow_pickle=False``.
"""

from __future__ import annotations

import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from policyscape.agents._safe_pickle import Record, numpy_globals, plain_globals, safe_unpickle
from policyscape.agents.spec import ObsNormalization, normalize
from policyscape.errors import InputError

__all__ = ["load_obs_norm", "normalize", "read_npz", "read_vecnormalize"]

_INERT = [
    "stable_baselines3.common.vec_env.vec_normalize.VecNormalize",
    "stable_baselines3.common.running_mean_std.RunningMeanStd",
    *(f"{pkg}.spaces.{mod}.{cls}" for pkg in ("gymnasium", "gym")
      for mod, cls in (("box", "Box"), ("discrete", "Discrete"), ("dict", "Dict"), ("multi_discrete", "MultiDiscrete"),
                       ("multi_binary", "MultiBinary"), ("tuple", "Tuple"))),
    "numpy.random._pickle.__generator_ctor",
    "numpy.random._pickle.__bit_generator_ctor",
    "numpy.random._pickle.__randomstate_ctor",
    "numpy.random.bit_generator.SeedSequence",
    "numpy.random.bit_generator.__pyx_unpickle_SeedSequence",
    *(f"numpy.random.{mod}.{cls}" for mod, cls in (
        ("_pcg64", "PCG64"), ("_pcg64", "PCG64DXSM"), ("_mt19937", "MT19937"), ("_philox", "Philox"),
        ("_sfc64", "SFC64"), ("_generator", "Generator"), ("mtrand", "RandomState"))),
]


def _reconstructor(what: str):
    def reconstructor(cls: Any, base: Any, state: Any) -> Record:  # copyreg._reconstructor, pickle protocols 0/1
        if not (isinstance(cls, type) and issubclass(cls, Record)) or base is not object:
            raise InputError(f"{what}: refused copyreg._reconstructor({cls!r}, {base!r}): only allow-listed records")
        return cls()
    return reconstructor


def _globals(what: str) -> dict[tuple[str, str], Any]:
    def refuse(detail: str) -> InputError:
        return InputError(f"{what}: refused {detail}; nothing in the file was run")

    table = {**numpy_globals(refuse), **plain_globals(refuse)}
    for qualified in _INERT:
        module, name = qualified.rsplit(".", 1)
        table[(module, name)] = Record.named(qualified)
    table[("collections", "OrderedDict")] = OrderedDict
    table[("copyreg", "_reconstructor")] = _reconstructor(what)
    table[("builtins", "object")] = object
    return table


def _stat(value: Any, name: str, what: str) -> np.ndarray:
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
        raise InputError(f"{what}: obs_rms.{name} is {type(value).__name__}; expected a numeric numpy array")
    return value.astype(np.float64)


def _number(value: Any, name: str, what: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"{what}: {name} is {value!r}; expected a number")
    return float(value)


def read_vecnormalize(path: str | Path) -> ObsNormalization:
    """The observation statistics of a file written by SB3's ``VecNormalize.save``."""
    what = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{what}: cannot read the file ({exc.strerror or exc})") from None
    obj = safe_unpickle(data, what, _globals(what))
    if not (isinstance(obj, Record) and obj.qualified.endswith("VecNormalize") and isinstance(obj.state, dict)):
        raise InputError(f"{what}: expected a pickled VecNormalize, found {obj!r}")
    state = obj.state
    if not state.get("norm_obs", True):
        raise InputError(f"{what}: this VecNormalize does not normalize observations (norm_obs=False)")
    rms = state.get("obs_rms")
    if isinstance(rms, dict):
        raise InputError(f"{what}: observation statistics per key of a Dict observation space "
                         f"({sorted(rms)}) are not supported; expected one Box observation")
    if not (isinstance(rms, Record) and rms.qualified.endswith("RunningMeanStd") and isinstance(rms.state, dict)):
        raise InputError(f"{what}: obs_rms is {rms!r}; expected a RunningMeanStd")
    for key in ("clip_obs", "epsilon"):
        if key not in state:
            raise InputError(f"{what}: the VecNormalize state has no {key}")
    return ObsNormalization(
        mean=_stat(rms.state.get("mean"), "mean", what),
        var=_stat(rms.state.get("var"), "var", what),
        clip=_number(state["clip_obs"], "clip_obs", what),
        epsilon=_number(state["epsilon"], "epsilon", what),
        count=_number(rms.state.get("count"), "obs_rms.count", what) if "count" in rms.state else None,
        source=what,
    )


def read_npz(path: str | Path) -> ObsNormalization:
    """Statistics from a plain ``.npz`` with ``mean``, ``var``, ``clip``, ``epsilon`` (and optionally ``count``)."""
    what = str(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise InputError(f"{what}: not a readable .npz of plain arrays ({exc})") from None
    missing = [k for k in ("mean", "var", "clip", "epsilon") if k not in arrays]
    if missing:
        raise InputError(f"{what}: missing {', '.join(missing)}; expected arrays mean, var and scalars clip, epsilon")
    scalars = {}
    for key in ("clip", "epsilon", "count"):
        if key in arrays:
            if arrays[key].size != 1:
                raise InputError(f"{what}: {key} has shape {arrays[key].shape}; expected a scalar")
            scalars[key] = _number(arrays[key].reshape(()).item(), key, what)
    return ObsNormalization(mean=_stat(arrays["mean"], "mean", what), var=_stat(arrays["var"], "var", what),
                            clip=scalars["clip"], epsilon=scalars["epsilon"], count=scalars.get("count"), source=what)


def load_obs_norm(path: str | Path) -> ObsNormalization:
    """``--obs-norm PATH``: a ``.npz`` by its name, anything else as a VecNormalize pickle."""
    return read_npz(path) if str(path).endswith(".npz") else read_vecnormalize(path)
