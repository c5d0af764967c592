"""Test fixtures: writers of torch's serialization formats, SB3 ``.zip`` files, VecNormalize pickles
and flax msgpack, all without torch, SB3, CleanRL or flax.

They write what those libraries write (layouts documented in the readers' docstrings), with
globals named as those libraries name them: a pure-Python pickler whose ``save_global`` writes
the name recorded for a stand-in class instead of importing it.
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import struct
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np


def fake_global(qualified: str) -> type:
    """A class that pickles as a reference to ``qualified`` (which need not be importable)."""
    module, name = qualified.rsplit(".", 1)
    return type(name, (), {"__module__": module, "__qualname__": name})


class NamingPickler(pickle._Pickler):  # type: ignore[misc]
    """Pure-Python pickler: classes made by :func:`fake_global` (or listed in ``rename``) are
    written as GLOBAL/STACK_GLOBAL of their recorded names."""

    def __init__(self, file: io.BytesIO, protocol: int, rename: dict[type, str] | None = None,
                 persistent: Any = None) -> None:
        super().__init__(file, protocol=protocol)
        self._rename = rename or {}
        self._persistent = persistent

    def persistent_id(self, obj: Any) -> Any:
        return self._persistent(obj) if self._persistent else None

    def save_global(self, obj: Any, name: str | None = None) -> None:
        qualified = self._rename.get(obj)
        if qualified is None and isinstance(obj, type) and getattr(obj, "__qualname__", "") == obj.__name__ \
                and obj.__dict__.get("__module__", "").startswith(("torch", "stable_baselines3", "sb3_contrib")):
            qualified = f"{obj.__module__}.{obj.__qualname__}"
        if qualified is None:
            return super().save_global(obj, name)
        module, attr = qualified.rsplit(".", 1)
        if self.proto >= 4:
            self.save(module)
            self.save(attr)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{module}\n{attr}\n".encode("utf-8"))
        self.memoize(obj)


def dumps(obj: Any, protocol: int = 2, rename: dict[type, str] | None = None, persistent: Any = None) -> bytes:
    buf = io.BytesIO()
    NamingPickler(buf, protocol, rename, persistent).dump(obj)
    return buf.getvalue()


# ------------------------------------------------------------------ torch.save, without torch

STORAGE_NAMES = {np.dtype("float32"): "FloatStorage", np.dtype("float64"): "DoubleStorage",
                 np.dtype("float16"): "HalfStorage", np.dtype("int64"): "LongStorage", np.dtype("int32"): "IntStorage",
                 np.dtype("int16"): "ShortStorage", np.dtype("int8"): "CharStorage", np.dtype("uint8"): "ByteStorage",
                 np.dtype("bool"): "BoolStorage"}
REBUILD_TENSOR_V2 = fake_global("torch._utils._rebuild_tensor_v2")
REBUILD_PARAMETER = fake_global("torch._utils._rebuild_parameter")
_STORAGE_TYPES = {dt: fake_global(f"torch.{name}") for dt, name in STORAGE_NAMES.items()}


class Storage:
    """A torch storage: a 1-D array written as one raw buffer."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = np.ascontiguousarray(array).reshape(-1)
        self.key: str | None = None


class Tensor:
    """A tensor viewing ``storage`` at ``offset`` with ``size`` and ``stride`` (in elements)."""

    def __init__(self, storage: Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...],
                 parameter: bool = False) -> None:
        self.storage, self.offset, self.size, self.stride, self.parameter = storage, offset, size, stride, parameter

    @classmethod
    def of(cls, array: np.ndarray, parameter: bool = False) -> "Tensor":
        array = np.array(array, order="C")  # (ascontiguousarray would make a 0-d array 1-d)
        stride = tuple(s // array.itemsize for s in array.strides) if array.ndim else ()
        return cls(Storage(array), 0, tuple(array.shape), stride, parameter)

    def __reduce_ex__(self, protocol: int) -> Any:
        tensor = (REBUILD_TENSOR_V2, (self.storage, self.offset, self.size, self.stride, False, OrderedDict()))
        if self.parameter:
            return (REBUILD_PARAMETER, (_Wrapped(tensor), False, OrderedDict()))
        return tensor


class _Wrapped:
    def __init__(self, reduced: Any) -> None:
        self.reduced = reduced

    def __reduce_ex__(self, protocol: int) -> Any:
        return self.reduced


def _tensors(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return Tensor.of(obj)
    if isinstance(obj, OrderedDict):
        return OrderedDict((k, _tensors(v)) for k, v in obj.items())
    if isinstance(obj, dict):
        return {k: _tensors(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_tensors(v) for v in obj)
    return obj


class _StateDict(OrderedDict):
    """An OrderedDict with a ``__dict__`` (as torch's state dicts are), pickled under OrderedDict's name."""

    def __reduce_ex__(self, protocol: int) -> Any:
        return (OrderedDict, (), dict(vars(self)), None, iter(self.items()))


def _storages(obj: Any) -> list[Storage]:
    found: list[Storage] = []

    def walk(o: Any) -> None:
        if isinstance(o, Tensor):
            if all(o.storage is not s for s in found):
                found.append(o.storage)
        elif isinstance(o, dict):
            for v in o.values():
                walk(v)
        elif isinstance(o, (list, tuple)):
            for v in o:
                walk(v)

    walk(obj)
    for i, storage in enumerate(found):
        storage.key = str(i)
    return found


def torch_zip_bytes(obj: Any, root: str = "archive", big_endian: bool = False, byteorder_record: bool = True) -> bytes:
    """What ``torch.save(obj, f)`` writes (zip format, protocol 2), numpy arrays standing for tensors.

    A top-level OrderedDict gets the ``_metadata`` attribute ``state_dict()`` attaches (pickled
    in the OrderedDict's ``__dict__``, restored by BUILD)."""
    obj = _tensors(obj)
    if type(obj) is OrderedDict:
        obj = _StateDict(obj)
        prefixes = sorted({k.rsplit(".", 1)[0] for k in obj if "." in k})
        obj._metadata = OrderedDict([("", {"version": 1})] + [(p, {"version": 1}) for p in prefixes])
    storages = _storages(obj)

    def persistent(o: Any) -> Any:
        if isinstance(o, Storage):
            return ("storage", _STORAGE_TYPES[o.array.dtype], o.key, "cpu", o.array.size)
        return None

    data_pkl = dumps(obj, 2, persistent=persistent)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{root}/data.pkl", data_pkl)
        if byteorder_record:
            archive.writestr(f"{root}/byteorder", "big" if big_endian else "little")
        for storage in storages:
            array = storage.array.astype(storage.array.dtype.newbyteorder(">" if big_endian else "<"))
            archive.writestr(f"{root}/data/{storage.key}", array.tobytes())
        archive.writestr(f"{root}/version", "3\n")
        archive.writestr(f"{root}/.data/serialization_id", "0123456789")
    return buf.getvalue()


def torch_legacy_bytes(obj: Any) -> bytes:
    """What ``torch.save(obj, f, _use_new_zipfile_serialization=False)`` writes."""
    obj = _tensors(obj)
    storages = _storages(obj)

    def persistent(o: Any) -> Any:
        if isinstance(o, Storage):
            return ("storage", _STORAGE_TYPES[o.array.dtype], o.key, "cpu", o.array.size, None)
        return None

    out = io.BytesIO()
    for header in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True,
                                                   "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        out.write(pickle.dumps(header, protocol=2))
    out.write(dumps(obj, 2, persistent=persistent))
    out.write(pickle.dumps([s.key for s in storages], protocol=2))
    for storage in storages:
        out.write(struct.pack("<q", storage.array.size))
        out.write(storage.array.astype(storage.array.dtype.newbyteorder("<")).tobytes())
    return out.getvalue()


# ------------------------------------------------------------------ Stable-Baselines3 .zip

RELU = fake_global("torch.nn.modules.activation.ReLU")
TANH = fake_global("torch.nn.modules.activation.Tanh")
ELU = fake_global("torch.nn.modules.activation.ELU")
ADAM = fake_global("torch.optim.adam.Adam")
ACTOR_CRITIC_POLICY = fake_global("stable_baselines3.common.policies.ActorCriticPolicy")
SAC_POLICY = fake_global("stable_baselines3.sac.policies.SACPolicy")
TQC_POLICY = fake_global("sb3_contrib.tqc.policies.TQCPolicy")
ARS_POLICY = fake_global("sb3_contrib.ars.policies.ARSPolicy")
ARS_LINEAR_POLICY = fake_global("sb3_contrib.ars.policies.ARSLinearPolicy")


def data_to_json(data: dict[str, Any], blob: Any = None) -> str:
    """SB3's ``data`` member: JSON-serializable items as they are, others as a cloudpickle-like blob
    (protocol 5) plus their first-level items (as themselves, or ``str`` of them).

    ``blob`` maps a key to raw bytes to store as its ``:serialized:`` instead of pickling it."""
    blob = blob or {}
    out: dict[str, Any] = {}
    for key, item in data.items():
        try:
            json.dumps(item)
            out[key] = item
            continue
        except TypeError:
            pass
        raw = blob.get(key) if key in blob else dumps(item, protocol=5)
        entry = {":type:": str(type(item)), ":serialized:": base64.b64encode(raw).decode()}
        if hasattr(item, "__dict__") or isinstance(item, dict):
            items = item.items() if isinstance(item, dict) else vars(item).items()
            for name, value in items:
                try:
                    json.dumps(value)
                    entry[name] = value
                except TypeError:
                    entry[name] = str(value)
        out[key] = entry
    return json.dumps(out, indent=4)


def sb3_zip_bytes(data: dict[str, Any], state_dict: dict[str, np.ndarray], version: str = "2.3.2",
                  blob: Any = None, policy_pth: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("data", data_to_json(data, blob))
        archive.writestr("pytorch_variables.pth", torch_zip_bytes({}))
        archive.writestr("policy.pth", policy_pth if policy_pth is not None
                         else torch_zip_bytes(OrderedDict(state_dict)))
        archive.writestr("_stable_baselines3_version", version)
        archive.writestr("system_info.txt", "- OS: test\n")
    return buf.getvalue()


# ------------------------------------------------------------------ VecNormalize.save


class VecNormalize:
    """Stands for SB3's VecNormalize: its pickle holds ``__getstate__``'s dict (no venv)."""


class RunningMeanStd:
    def __init__(self, mean: np.ndarray, var: np.ndarray, count: float) -> None:
        self.mean, self.var, self.count = mean, var, count


VECNORM_NAMES = {VecNormalize: "stable_baselines3.common.vec_env.vec_normalize.VecNormalize",
                 RunningMeanStd: "stable_baselines3.common.running_mean_std.RunningMeanStd"}


def vecnormalize_bytes(mean: np.ndarray, var: np.ndarray, count: float, clip_obs: float = 10.0,
                       epsilon: float = 1e-8, protocol: int = 4, extra: dict[str, Any] | None = None) -> bytes:
    from gymnasium import spaces

    obs_space = spaces.Box(-np.inf, np.inf, shape=mean.shape, dtype=np.float32)
    act_space = spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)
    act_space.seed(3)  # a seeded space pickles its numpy Generator
    act_space.sample()
    wrapper = VecNormalize()
    wrapper.__dict__.update({
        "num_envs": 1, "observation_space": obs_space, "action_space": act_space, "reset_infos": [{}],
        "_seeds": [None], "_options": [{}], "render_mode": None, "metadata": {"render_modes": []},
        "norm_obs": True, "norm_obs_keys": None, "obs_rms": RunningMeanStd(mean, var, count),
        "ret_rms": RunningMeanStd(np.zeros(()), np.ones(()), 1e-4), "clip_obs": clip_obs, "clip_reward": 10.0,
        "gamma": 0.99, "epsilon": epsilon, "training": True, "norm_reward": True, "old_obs": mean.astype(np.float32),
        "old_reward": np.array([0.5]),
    })
    wrapper.__dict__.update(extra or {})
    return dumps(wrapper, protocol, rename=VECNORM_NAMES)


# ------------------------------------------------------------------ flax.serialization.to_bytes (msgpack)


def msgpack_bytes(obj: Any) -> bytes:
    """A small msgpack encoder of what flax writes (maps with str keys, arrays as ext type 1)."""
    if obj is None:
        return b"\xc0"
    if obj is True or obj is False:
        return b"\xc3" if obj else b"\xc2"
    if isinstance(obj, int):
        if 0 <= obj <= 0x7F:
            return bytes([obj])
        if -32 <= obj < 0:
            return struct.pack(">b", obj)
        return b"\xd3" + struct.pack(">q", obj)
    if isinstance(obj, float):
        return b"\xcb" + struct.pack(">d", obj)
    if isinstance(obj, str):
        raw = obj.encode()
        return (bytes([0xA0 | len(raw)]) if len(raw) < 32 else b"\xd9" + bytes([len(raw)])) + raw
    if isinstance(obj, bytes):
        return b"\xc6" + struct.pack(">I", len(obj)) + obj
    if isinstance(obj, (list, tuple)):
        head = bytes([0x90 | len(obj)]) if len(obj) < 16 else b"\xdc" + struct.pack(">H", len(obj))
        return head + b"".join(msgpack_bytes(v) for v in obj)
    if isinstance(obj, dict):
        head = bytes([0x80 | len(obj)]) if len(obj) < 16 else b"\xde" + struct.pack(">H", len(obj))
        return head + b"".join(msgpack_bytes(k) + msgpack_bytes(v) for k, v in obj.items())
    if isinstance(obj, np.ndarray):
        payload = msgpack_bytes([list(obj.shape), obj.dtype.name, np.ascontiguousarray(obj).astype(
            obj.dtype.newbyteorder("<")).tobytes()])
        return b"\xc9" + struct.pack(">I", len(payload)) + struct.pack(">b", 1) + payload
    raise TypeError(type(obj))
