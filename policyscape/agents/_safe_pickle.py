"""Pickles from elsewhere, read as data: an allow-listed unpickler and an opcode reader.

Two tools, both of which never run anything a file names:

* :class:`AllowListUnpickler` resolves a global only through an explicit table of
  ``(module, name) -> stand-in``; the stand-ins are small functions of ours that rebuild plain
  data (numpy arrays, records of attributes). Any other global is refused with an
  :class:`~policyscape.errors.InputError` that names it, before anything is called. Every
  other way a pickle can reach a callable (``INST``/``OBJ``, extension codes) goes through
  ``find_class`` too, so the table is the whole of what a file can call.
* :func:`referenced_globals` lists the globals a pickle names by reading its opcodes with
  :func:`pickletools.genops`, without unpickling it (for cloudpickle blobs whose only use to
  us is the name of the class they reference, such as SB3's ``activation_fn``).
"""

from __future__ import annotations

import io
import pickle
import pickletools
from typing import Any, Callable, Mapping

import numpy as np

from policyscape.errors import InputError

__all__ = ["AllowListUnpickler", "Record", "numpy_globals", "plain_globals", "referenced_globals", "safe_unpickle"]


class Record:
    """An inert stand-in for an allow-listed class: it only keeps the state the pickle gives it.

    ``Record.named("pkg.mod.Class")`` makes a subclass per allowed class, so a reader can ask
    which class a record stands for (``record.__class__.qualified``) and read ``record.state``.
    Nothing of the original class is imported or run.
    """

    qualified = "?"
    args: tuple = ()
    state: Any = None  # NEWOBJ creates records without __init__

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def __repr__(self) -> str:
        return f"Record({self.qualified})"

    @classmethod
    def named(cls, qualified: str) -> type["Record"]:
        return type(qualified.rsplit(".", 1)[-1], (cls,), {"qualified": qualified})


# numpy's own rebuild functions, found from numpy itself so that numpy 1.x (numpy.core) and
# 2.x (numpy._core) both work. They rebuild arrays from bytes; the dtype stand-in below refuses
# object dtypes, so no array can carry further pickled objects.
_NP_RECONSTRUCT = np.zeros(1).__reduce__()[0]
_NP_SCALAR = np.float64(0).__reduce__()[0]
_NP_FROMBUFFER = np.zeros(1).__reduce_ex__(5)[0]


class _NdarrayToken:
    """What ``numpy.ndarray`` resolves to: _reconstruct's first argument. Not callable, so a pickle
    cannot build arrays through it other than by ``_reconstruct``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "numpy.ndarray"


_NDARRAY = _NdarrayToken()


def numpy_globals(refuse: Callable[[str], Exception]) -> dict[tuple[str, str], Any]:
    """Allow-list entries that rebuild plain (non-object) numpy arrays, dtypes and scalars."""

    def dtype(spec: Any, align: Any = False, copy: Any = False) -> np.dtype:
        if not isinstance(spec, str):
            raise refuse(f"numpy.dtype({spec!r})")
        dt = np.dtype(spec)
        if dt.hasobject or dt.fields is not None:
            raise refuse(f"numpy.dtype({spec!r}) (object or structured dtypes are not data)")
        return np.dtype(spec, bool(align), bool(copy))

    def reconstruct(subtype: Any, shape: Any, typecode: Any) -> np.ndarray:
        if subtype is not _NDARRAY:
            raise refuse(f"numpy array of type {subtype!r}")
        return _NP_RECONSTRUCT(np.ndarray, shape, typecode)

    def scalar(dt: Any, raw: Any = None) -> Any:
        if not isinstance(dt, np.dtype) or dt.hasobject or not isinstance(raw, (bytes, bytearray)):
            raise refuse("numpy scalar of an object dtype")
        return _NP_SCALAR(dt, raw)

    def frombuffer(buf: Any, dt: Any, shape: Any, order: Any) -> np.ndarray:
        if not isinstance(dt, np.dtype) or dt.hasobject:
            raise refuse("numpy array of an object dtype")
        return np.array(_NP_FROMBUFFER(bytes(buf), dt, shape, order))

    table: dict[tuple[str, str], Any] = {}
    for core in ("numpy.core", "numpy._core"):
        table[(f"{core}.multiarray", "_reconstruct")] = reconstruct
        table[(f"{core}.multiarray", "scalar")] = scalar
        table[(f"{core}.numeric", "_frombuffer")] = frombuffer
    table[("numpy", "ndarray")] = _NDARRAY  # only an argument of _reconstruct, never a class to instantiate
    table[("numpy", "dtype")] = dtype
    return table


def plain_globals(refuse: Callable[[str], Exception]) -> dict[tuple[str, str], Any]:
    """Allow-list entries for plain Python data: ``_codecs.encode(text, "latin1")`` is how pickle
    protocols 0–2 write ``bytes``; nothing else is allowed under that name."""

    def encode(text: Any, encoding: Any = "utf-8") -> bytes:
        if not isinstance(text, str) or encoding != "latin1":
            raise refuse(f"_codecs.encode({type(text).__name__}, {encoding!r}) (only the latin1 bytes of pickle "
                         "protocol 2 are data)")
        return text.encode("latin1")

    return {("_codecs", "encode"): encode}


class AllowListUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` whose globals come only from ``allowed``; everything else is refused.

    ``what`` names the file (and the member of an archive) in every message.
    """

    def __init__(self, data: bytes | io.BytesIO, what: str, allowed: Mapping[tuple[str, str], Any],
                 persistent_load: Callable[[Any], Any] | None = None) -> None:
        super().__init__(data if isinstance(data, io.BytesIO) else io.BytesIO(data))
        self._what = what
        self._allowed = dict(allowed)
        self._persistent = persistent_load

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise InputError(
                f"{self._what}: refused {module}.{name}: the pickle names it, and only plain data "
                f"(arrays, numbers, strings, the expected containers) is allowed; nothing in the file was run"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        if self._persistent is None:
            raise InputError(f"{self._what}: refused a persistent reference {pid!r}: this pickle should have none")
        return self._persistent(pid)


def safe_unpickle(data: bytes | io.BytesIO, what: str, allowed: Mapping[tuple[str, str], Any],
                  persistent_load: Callable[[Any], Any] | None = None) -> Any:
    """Unpickle ``data`` through :class:`AllowListUnpickler`; any failure is an ``InputError``.

    Given a stream, one pickle is read and the stream is left just after its ``STOP``, so
    back-to-back pickles are read by calling this again.
    """
    try:
        return AllowListUnpickler(data, what, allowed, persistent_load).load()
    except InputError:
        raise
    except RecursionError:
        raise InputError(f"{what}: the pickle is nested too deeply to be data") from None
    except Exception as exc:  # malformed or truncated streams raise many types
        raise InputError(f"{what}: not a readable pickle ({type(exc).__name__}: {exc})") from None


_STRING_OPS = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING", "BINSTRING",
               "SHORT_BINSTRING"}


def referenced_globals(data: bytes, what: str) -> list[tuple[str, str]]:
    """The ``(module, name)`` globals a pickle refers to, in order, read from its opcodes only.

    ``GLOBAL`` carries both names; ``STACK_GLOBAL`` takes the two strings pushed before it,
    directly or through the memo. The stream is not unpickled.
    """
    found: list[tuple[str, str]] = []
    pushed: list[Any] = []  # recent pushes, strings kept, anything else as None
    memo: dict[int, Any] = {}
    try:
        for opcode, arg, _pos in pickletools.genops(data):
            name = opcode.name
            if name == "GLOBAL":
                module, _, attr = str(arg).partition(" ")
                found.append((module, attr))
                pushed.append(None)
            elif name == "STACK_GLOBAL":
                if len(pushed) >= 2 and isinstance(pushed[-2], str) and isinstance(pushed[-1], str):
                    found.append((pushed[-2], pushed[-1]))
                pushed.append(None)
            elif name in _STRING_OPS:
                pushed.append(arg if isinstance(arg, str) else (arg.decode("utf-8", "replace")
                                                                if isinstance(arg, bytes) else None))
            elif name == "MEMOIZE":
                memo[len(memo)] = pushed[-1] if pushed else None
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[int(arg)] = pushed[-1] if pushed else None
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                pushed.append(memo.get(int(arg)))
            elif name not in ("FRAME", "PROTO"):
                pushed.append(None)
    except Exception as exc:
        raise InputError(f"{what}: not a readable pickle ({type(exc).__name__}: {exc})") from None
    return found
