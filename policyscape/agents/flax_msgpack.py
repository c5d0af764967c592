"""Read ``flax.serialization.to_bytes`` files: the small msgpack subset flax writes, in pure Python.

msgpack (https://github.com/msgpack/msgpack/blob/master/spec.md): nil, booleans, integers,
floats, str, bin, arrays, maps and ext values, all big-endian. flax (flax/serialization.py)
turns a pytree into nested maps with string keys (``to_state_dict``; lists become maps
``{"0": …, "1": …}``) and packs arrays as ext type 1 holding the msgpack of
``(shape, dtype name, C-order bytes)`` (native byte order, i.e. little-endian on every platform
JAX runs on); numpy scalars as ext type 3 with the same payload; complex numbers as ext type 2.
Arrays over 2**30 bytes are split into ``{"__msgpack_chunked_array__": …}`` maps, which are
refused here.

Decoding builds only dicts, lists, numbers, strings, bytes and numpy arrays of plain dtypes.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any

import numpy as np

from policyscape.errors import InputError

__all__ = ["read_flax", "unpackb"]

_EXT_NDARRAY, _EXT_COMPLEX, _EXT_NPSCALAR = 1, 2, 3
_DTYPES = {"float16", "float32", "float64", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
           "uint64", "bool", "complex64", "complex128"}
_MAX_DEPTH = 64


class _Reader:
    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.pos, self.what = data, 0, what

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise InputError(f"{self.what}: the msgpack data is truncated (needs {n} bytes at offset {self.pos})")
        out = self.data[self.pos: self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(">" + fmt, self.take(struct.calcsize(">" + fmt)))[0]

    def value(self, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise InputError(f"{self.what}: the msgpack data is nested more than {_MAX_DEPTH} levels")
        b = self.take(1)[0]
        if b <= 0x7F:
            return b
        if b >= 0xE0:
            return b - 0x100
        if 0x80 <= b <= 0x8F:
            return self.map(b & 0x0F, depth)
        if 0x90 <= b <= 0x9F:
            return [self.value(depth + 1) for _ in range(b & 0x0F)]
        if 0xA0 <= b <= 0xBF:
            return self.text(b & 0x1F)
        simple = {0xC0: None, 0xC2: False, 0xC3: True}
        if b in simple:
            return simple[b]
        sized = {0xC4: "B", 0xC5: "H", 0xC6: "I", 0xD9: "B", 0xDA: "H", 0xDB: "I", 0xDC: "H", 0xDD: "I", 0xDE: "H",
                 0xDF: "I", 0xC7: "B", 0xC8: "H", 0xC9: "I"}
        if b in (0xC4, 0xC5, 0xC6):
            return self.take(self.unpack(sized[b]))
        if b in (0xD9, 0xDA, 0xDB):
            return self.text(self.unpack(sized[b]))
        if b in (0xDC, 0xDD):
            return [self.value(depth + 1) for _ in range(self.unpack(sized[b]))]
        if b in (0xDE, 0xDF):
            return self.map(self.unpack(sized[b]), depth)
        if b in (0xC7, 0xC8, 0xC9):
            n = self.unpack(sized[b])
            return self.ext(self.unpack("b"), self.take(n))
        if 0xD4 <= b <= 0xD8:
            n = 1 << (b - 0xD4)
            return self.ext(self.unpack("b"), self.take(n))
        numbers = {0xCA: "f", 0xCB: "d", 0xCC: "B", 0xCD: "H", 0xCE: "I", 0xCF: "Q", 0xD0: "b", 0xD1: "h", 0xD2: "i",
                   0xD3: "q"}
        if b in numbers:
            return self.unpack(numbers[b])
        raise InputError(f"{self.what}: byte 0x{b:02x} at offset {self.pos - 1} is not msgpack")

    def text(self, n: int) -> str:
        try:
            return self.take(n).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{self.what}: a msgpack string is not UTF-8") from None

    def map(self, n: int, depth: int) -> dict:
        out: dict = {}
        for _ in range(n):
            key = self.value(depth + 1)
            if not isinstance(key, (str, int, bytes)):
                raise InputError(f"{self.what}: a msgpack map key is a {type(key).__name__}")
            out[key] = self.value(depth + 1)
        return out

    def ext(self, code: int, payload: bytes) -> Any:
        if code in (_EXT_NDARRAY, _EXT_NPSCALAR):
            inner = _Reader(payload, self.what)
            tpl = inner.value()
            if not (isinstance(tpl, list) and len(tpl) == 3 and isinstance(tpl[0], list) and isinstance(tpl[1], str)
                    and isinstance(tpl[2], bytes) and all(isinstance(n, int) and n >= 0 for n in tpl[0])):
                raise InputError(f"{self.what}: a flax array record is malformed; expected (shape, dtype, bytes)")
            shape, name, raw = tuple(tpl[0]), tpl[1], tpl[2]
            if name not in _DTYPES:
                raise InputError(f"{self.what}: array dtype {name!r} is not supported")
            dtype = np.dtype("<u2" if name == "bfloat16" else name).newbyteorder("<")
            if len(raw) != math.prod(shape) * dtype.itemsize:
                raise InputError(f"{self.what}: an array of shape {shape} and dtype {name} has {len(raw)} bytes")
            array = np.frombuffer(raw, dtype=dtype)
            array = (array.astype(np.uint32) << 16).view(np.float32) if name == "bfloat16" else \
                array.astype(dtype.newbyteorder("="))
            array = array.reshape(shape)
            return array[()] if code == _EXT_NPSCALAR else array
        if code == _EXT_COMPLEX:
            inner = _Reader(payload, self.what).value()
            if isinstance(inner, list) and len(inner) == 2 and all(isinstance(v, (int, float)) for v in inner):
                return complex(*inner)
        raise InputError(f"{self.what}: msgpack ext type {code} is not one flax writes for arrays")


def unpackb(data: bytes, what: str = "<bytes>") -> Any:
    """Decode one msgpack value (the subset flax writes) that spans all of ``data``."""
    reader = _Reader(data, what)
    value = reader.value()
    if reader.pos != len(data):
        raise InputError(f"{what}: {len(data) - reader.pos} bytes follow the msgpack value")
    return value


def _check_unchunked(obj: Any, what: str) -> None:
    if isinstance(obj, dict):
        if "__msgpack_chunked_array__" in obj:
            raise InputError(f"{what}: chunked arrays (over 1 GiB) are not supported")
        for value in obj.values():
            _check_unchunked(value, what)


def read_flax(path: str | Path) -> Any:
    """The state dict (nested dicts of arrays) a ``flax.serialization.to_bytes`` file holds."""
    what = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{what}: cannot read the file ({exc.strerror or exc})") from None
    state = unpackb(data, what)
    _check_unchunked(state, what)
    return state
