"""Read files written by ``torch.save`` into numpy arrays, without torch and without running them.

Two layouts are read (torch/serialization.py, ``_save`` / ``_legacy_save``):

* **zip** (torch >= 1.6, what Stable-Baselines3's ``policy.pth`` and CleanRL's
  ``.cleanrl_model`` are): one top-level folder (``archive/`` for a file object, the file's stem
  otherwise) holding ``data.pkl``, one raw buffer per storage at ``data/<key>``, and optionally
  ``byteorder`` (``little``/``big``; absent means little-endian) and ``version``.
* **legacy** (torch < 1.6): pickles back to back (magic number, protocol 1001, system info, the
  object, the list of storage keys), then for each key an int64 element count and the raw bytes.

In ``data.pkl`` a tensor is ``torch._utils._rebuild_tensor_v2(storage, storage_offset, size,
stride, requires_grad, backward_hooks)`` and a storage is a persistent id ``('storage',
torch.FloatStorage, key, location, numel)``. The unpickler here allows exactly those globals
(the storage types, the tensor and parameter rebuild functions, ``collections.OrderedDict``),
maps them to numpy stand-ins, and refuses anything else by name: a file is data, never code.
"""

from __future__ import annotations

import io
import math
import struct
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from policyscape.agents._safe_pickle import plain_globals, safe_unpickle
from policyscape.errors import InputError

__all__ = ["STORAGE_DTYPES", "read_state_dict", "read_torch", "read_torch_bytes"]

#: torch storage class name -> numpy dtype (little-endian as torch writes it); bfloat16 is widened to float32.
STORAGE_DTYPES: dict[str, str] = {
    "FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2", "BFloat16Storage": "<u2",
    "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2", "CharStorage": "i1",
    "ByteStorage": "u1", "BoolStorage": "?", "ComplexFloatStorage": "<c8", "ComplexDoubleStorage": "<c16",
}

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001


class _StorageType:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __setstate__(self, state: Any) -> None:  # a BUILD on it is not data
        raise TypeError("a storage type takes no state")


class _Storage:
    """One storage: its element dtype and, once read, its elements as a 1-D array."""

    __slots__ = ("key", "kind", "array")

    def __init__(self, key: str, kind: _StorageType) -> None:
        self.key, self.kind = key, kind
        self.array: np.ndarray | None = None

    def __setstate__(self, state: Any) -> None:
        raise TypeError("a storage takes no state")


class _Tensor:
    """A tensor to be cut out of its storage once every storage has been read."""

    __slots__ = ("storage", "offset", "size", "stride")

    def __init__(self, storage: _Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...]) -> None:
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __setstate__(self, state: Any) -> None:
        raise TypeError("a tensor takes no state here")


def _int_tuple(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, (tuple, list)) and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                                                for v in value):
        return tuple(value)
    return None


def _make_globals(what: str) -> dict[tuple[str, str], Any]:
    def rebuild_tensor(storage: Any, storage_offset: Any, size: Any, stride: Any, *rest: Any) -> _Tensor:
        size_t, stride_t = _int_tuple(size), _int_tuple(stride)
        if not isinstance(storage, _Storage) or size_t is None or stride_t is None or len(size_t) != len(stride_t) \
                or not isinstance(storage_offset, int) or storage_offset < 0:
            raise InputError(f"{what}: a tensor record is malformed (storage {storage!r}, offset {storage_offset!r}, "
                             f"size {size!r}, stride {stride!r})")
        hooks = rest[1] if len(rest) >= 2 else None
        if hooks:  # torch itself refuses to load tensors with backward hooks
            raise InputError(f"{what}: refused a tensor with backward hooks; a state dict has none")
        return _Tensor(storage, storage_offset, size_t, stride_t)

    def rebuild_parameter(data: Any, requires_grad: Any = False, backward_hooks: Any = None, *state: Any) -> Any:
        if not isinstance(data, _Tensor) or backward_hooks:
            raise InputError(f"{what}: a parameter record is malformed or has backward hooks")
        return data

    table: dict[tuple[str, str], Any] = {("torch", name): _StorageType(name) for name in STORAGE_DTYPES}
    table[("torch._utils", "_rebuild_tensor_v2")] = rebuild_tensor
    table[("torch._utils", "_rebuild_tensor")] = rebuild_tensor
    table[("torch._utils", "_rebuild_parameter")] = rebuild_parameter
    table[("torch._utils", "_rebuild_parameter_with_state")] = rebuild_parameter
    table[("collections", "OrderedDict")] = OrderedDict
    table.update(plain_globals(lambda detail: InputError(f"{what}: refused {detail}; nothing in the file was run")))
    return table


def _storage_array(raw: bytes, kind: _StorageType, big_endian: bool, what: str) -> np.ndarray:
    dtype = np.dtype(STORAGE_DTYPES[kind.name])
    if big_endian and dtype.itemsize > 1:
        dtype = dtype.newbyteorder(">")
    if len(raw) % dtype.itemsize:
        raise InputError(f"{what}: a {kind.name} of {len(raw)} bytes is not a whole number of "
                         f"{dtype.itemsize}-byte elements")
    array = np.frombuffer(raw, dtype=dtype)
    if kind.name == "BFloat16Storage":  # bfloat16 is the top half of a float32
        return (array.astype(np.uint32) << 16).view(np.float32)
    return array.astype(dtype.newbyteorder("="), copy=True)


def _cut(tensor: _Tensor, what: str) -> np.ndarray:
    array = tensor.storage.array
    if array is None:
        raise InputError(f"{what}: storage {tensor.storage.key!r} is referenced but its data is missing")
    numel = math.prod(tensor.size)
    if numel == 0:
        return np.zeros(tensor.size, dtype=array.dtype)
    last = tensor.offset + sum((n - 1) * s for n, s in zip(tensor.size, tensor.stride))
    if last >= array.size:
        raise InputError(f"{what}: a tensor of size {tensor.size}, stride {tensor.stride} at offset {tensor.offset} "
                         f"reaches element {last} of storage {tensor.storage.key!r}, which has {array.size}")
    view = np.lib.stride_tricks.as_strided(array[tensor.offset:], shape=tensor.size,
                                           strides=tuple(s * array.itemsize for s in tensor.stride), writeable=False)
    return np.array(view, order="C")  # a copy; ascontiguousarray would turn a 0-d tensor 1-d


def _resolve(obj: Any, what: str) -> Any:
    """Replace every pending tensor by its array, through dicts, lists and tuples."""
    if isinstance(obj, _Tensor):
        return _cut(obj, what)
    if isinstance(obj, dict):
        out = OrderedDict() if isinstance(obj, OrderedDict) else {}
        for key, value in obj.items():
            out[key] = _resolve(value, what)
        return out
    if isinstance(obj, list):
        return [_resolve(v, what) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_resolve(v, what) for v in obj)
    if isinstance(obj, (_Storage, _StorageType)):
        raise InputError(f"{what}: a bare storage is not a tensor")
    return obj


def _check_pid(pid: Any, what: str, legacy: bool) -> tuple[_StorageType, str]:
    length = 6 if legacy else 5
    if not (isinstance(pid, tuple) and len(pid) == length and pid[0] == "storage"
            and isinstance(pid[1], _StorageType) and isinstance(pid[2], str)):
        raise InputError(f"{what}: refused a persistent id {pid!r}: expected ('storage', <torch storage type>, key, "
                         f"location, numel{', view' if legacy else ''})")
    if legacy and pid[5] is not None:
        raise InputError(f"{what}: storage views of the legacy format are not supported")
    return pid[1], pid[2]


def _read_zip(data: bytes, what: str) -> Any:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError(f"{what}: not a readable torch zip file ({exc})") from None
    roots = [n[: -len("data.pkl")] for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
    if len(roots) != 1:
        raise InputError(f"{what}: expected one <folder>/data.pkl in the torch zip file, found {len(roots)}")
    root = roots[0]

    def member(name: str) -> bytes:
        try:
            return archive.read(name)
        except KeyError:
            raise InputError(f"{what}: the torch zip file has no {name}") from None
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, zipfile.LargeZipFile) as exc:
            raise InputError(f"{what}: {name} cannot be read from the zip file ({exc})") from None

    big_endian = False
    if f"{root}byteorder" in names:
        order = member(f"{root}byteorder").decode("ascii", "replace").strip()
        if order not in ("little", "big"):
            raise InputError(f"{what}: byteorder is {order!r}; expected 'little' or 'big'")
        big_endian = order == "big"
    storages: dict[str, _Storage] = {}

    def persistent_load(pid: Any) -> _Storage:
        kind, key = _check_pid(pid, what, legacy=False)
        if key not in storages:
            storage = _Storage(key, kind)
            storage.array = _storage_array(member(f"{root}data/{key}"), kind, big_endian, f"{what} (storage {key})")
            storages[key] = storage
        return storages[key]

    obj = safe_unpickle(member(f"{root}data.pkl"), what, _make_globals(what), persistent_load)
    return _resolve(obj, what)


def _read_legacy(data: bytes, what: str) -> Any:
    stream = io.BytesIO(data)
    plain: dict[tuple[str, str], Any] = {}
    header = [safe_unpickle(stream, what, plain) for _ in range(3)]
    if header[0] != _LEGACY_MAGIC or header[1] != _LEGACY_PROTOCOL or not isinstance(header[2], dict):
        raise InputError(f"{what}: not a torch file (no torch zip archive, and no legacy magic number)")
    if not header[2].get("little_endian", True):
        raise InputError(f"{what}: big-endian legacy torch files are not supported")
    storages: dict[str, _Storage] = {}

    def persistent_load(pid: Any) -> _Storage:
        kind, key = _check_pid(pid, what, legacy=True)
        return storages.setdefault(key, _Storage(key, kind))

    obj = safe_unpickle(stream, what, _make_globals(what), persistent_load)
    keys = safe_unpickle(stream, what, plain)
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise InputError(f"{what}: the legacy storage key list is malformed")
    for key in keys:
        head = stream.read(8)
        if len(head) != 8 or key not in storages:
            raise InputError(f"{what}: storage {key!r} is truncated or unreferenced")
        (count,) = struct.unpack("<q", head)
        storage = storages[key]
        itemsize = np.dtype(STORAGE_DTYPES[storage.kind.name]).itemsize
        raw = stream.read(count * itemsize)
        if count < 0 or len(raw) != count * itemsize:
            raise InputError(f"{what}: storage {key!r} is truncated")
        storage.array = _storage_array(raw, storage.kind, False, f"{what} (storage {key})")
    return _resolve(obj, what)


def read_torch_bytes(data: bytes, what: str) -> Any:
    """The object ``torch.save`` wrote, with every tensor as a numpy array."""
    try:
        if data[:4] == b"PK\x03\x04":
            return _read_zip(data, what)
        if data[:1] == b"\x80":
            return _read_legacy(data, what)
    except RecursionError:
        raise InputError(f"{what}: the object is nested too deeply to be a set of weights") from None
    raise InputError(f"{what}: not a torch file (neither a zip archive nor a pickle stream)")


def read_torch(path: str | Path) -> Any:
    """Read the file ``torch.save`` wrote at ``path`` (see :func:`read_torch_bytes`)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    return read_torch_bytes(data, str(path))


def read_state_dict(data: bytes | str | Path, what: str | None = None) -> dict[str, np.ndarray]:
    """A ``state_dict`` saved by torch: an ordered mapping from parameter name to array."""
    if isinstance(data, (str, Path)):
        what = what or str(data)
        obj = read_torch(data)
    else:
        what = what or "<bytes>"
        obj = read_torch_bytes(data, what)
    if not isinstance(obj, dict) or not all(isinstance(k, str) and isinstance(v, np.ndarray) for k, v in obj.items()):
        kind = type(obj).__name__
        raise InputError(f"{what}: expected a state dict (names -> tensors), found a {kind}")
    return dict(obj)
