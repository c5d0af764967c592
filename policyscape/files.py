"""Saved files in the formats every run writes, and reading them back: the bottom layer that both
the run machinery (``runs/``) and the figures (``plots/``) use.

Every file is written to a temporary name in its directory, fsync'd and renamed into place
(``os.replace`` is atomic), so a crash leaves either the old file or the new one. JSON is written
by :func:`to_json` (numpy values as plain numbers, non-finite floats as ``null`` / ``"inf"``), CSV
tables by :func:`csv_text` (floats by ``repr``, so they read back bit for bit) and read back
column-wise by :meth:`SavedRun.read_csv`; ``runs.rundir.RunDir`` writes them. Plots read results
through :class:`SavedRun` and never import ``runs/``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from policyscape.errors import InputError

CONFIG_FILE = "config.json"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float) and not np.isfinite(obj):
        return None if np.isnan(obj) else ("inf" if obj > 0 else "-inf")
    return obj


#: Suffix of :func:`atomic_write_bytes`'s temporary files (``.NAME.XXXX.tmp``).
PARTIAL_WRITE_SUFFIX = ".tmp"


def is_partial_write(name: str) -> bool:
    """Whether a file name is one of :func:`atomic_write_bytes`'s temporary files (a process killed mid-write
    leaves it behind)."""
    return name.startswith(".") and name.endswith(PARTIAL_WRITE_SUFFIX)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory and a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=PARTIAL_WRITE_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def to_json(obj: Any) -> str:
    return json.dumps(_jsonable(obj), indent=2, sort_keys=False, allow_nan=False) + "\n"


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV table: the header, then one line per row; floats as ``repr`` (exact round trip)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([repr(float(v)) if isinstance(v, (float, np.floating)) else v for v in row])
    return buf.getvalue()


def csv_columns_text(columns: dict[str, np.ndarray], header: bool = True) -> str:
    """CSV text of numeric ``columns``: a header line (unless ``header`` is false), then one line per row.

    Floats are written as ``repr`` (the shortest text that reads back to the same float64),
    integers and booleans as ``str``: the same bytes as :func:`csv_text`, but each column is
    converted by one ``map`` over a Python list instead of per value and row.
    """
    arrays = [np.asarray(c) for c in columns.values()]
    if any(a.ndim != 1 or a.shape != arrays[0].shape for a in arrays):
        raise ValueError(f"expected 1-D columns of one length, got shapes {[a.shape for a in arrays]}")
    text = []
    for a in arrays:
        if a.dtype.kind == "f":
            text.append(list(map(repr, a.tolist())))
        elif a.dtype.kind in "iub":
            text.append(list(map(str, a.tolist())))
        else:
            raise ValueError(f"expected numeric columns, got dtype {a.dtype}")
    head = ",".join(columns) + "\n" if header else ""
    if not arrays or arrays[0].size == 0:
        return head
    return head + "\n".join(map(",".join, zip(*text))) + "\n"


def _check_columns(name: str, header: list[str], columns: Sequence[str] | None) -> None:
    missing = [c for c in columns or () if c not in header]
    if missing:
        raise InputError(f"{name} has no column(s) {', '.join(missing)}; its columns are {', '.join(header)}")


def _read_numeric_csv(path: Path, columns: Sequence[str] | None = None) -> dict[str, np.ndarray] | None:
    """The columns (all, or ``columns``) of a CSV whose fields are numbers, as float64 arrays; else None."""
    with open(path, newline="") as f:
        header = next(csv.reader([f.readline()]), None)
        if header is None or not f.readline().strip():  # no header, or no data rows: the general reader
            return None
        _check_columns(path.name, header, columns)
        wanted = list(header) if columns is None else [c for c in header if c in columns]
        f.seek(0)
        f.readline()
        try:
            table = np.loadtxt(f, delimiter=",", comments=None, dtype=np.float64, ndmin=2, quotechar=None,
                               usecols=[header.index(c) for c in wanted])
        except (ValueError, IndexError):
            return None
    return {key: table[:, j] for j, key in enumerate(wanted)}


class SavedRun:
    """A run directory's saved results, read only: its configuration, JSON files and CSV tables."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def file(self, name: str) -> Path:
        return self.path / name

    def read_config(self) -> dict | None:
        """The recorded configuration, None if there is none; an unreadable one is an InputError."""
        f = self.file(CONFIG_FILE)
        if not f.exists():
            return None
        config = self.read_json(CONFIG_FILE)
        if not isinstance(config, dict):
            raise InputError(f"{str(f)!r} holds {type(config).__name__}, not a configuration object; expected the "
                             "config.json a policyscape command wrote: restore it, or choose another --out")
        return config

    def read_json(self, name: str) -> Any:
        """A JSON file of the run; a missing, empty or corrupt one is an InputError naming it."""
        f = self.file(name)
        try:
            return json.loads(f.read_text())
        except FileNotFoundError:
            raise InputError(f"{str(f)!r} does not exist: is the run in {str(self.path)!r} unfinished? Run its "
                             "command again to finish it") from None
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise InputError(f"{str(f)!r} is empty or corrupt ({type(e).__name__}: {e}); expected the JSON file a "
                             "policyscape command wrote: restore or delete it and run the command again") from None

    def read_csv(self, name: str, columns: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Columns of a CSV written by :func:`csv_text` (only ``columns``, if given): numeric columns
        as float arrays. A missing, empty or ragged file is an InputError naming it.

        An all-numeric table (curves of training runs: 100k rows) is parsed by ``numpy.loadtxt``
        in C; any other table goes through the ``csv`` module, a column at a time.
        """
        f_path = self.file(name)
        try:
            numeric = _read_numeric_csv(f_path, columns)
        except FileNotFoundError:
            raise InputError(f"{str(f_path)!r} does not exist: is the run in {str(self.path)!r} unfinished? Run its "
                             "command again to finish it") from None
        except (OSError, UnicodeDecodeError, csv.Error):
            numeric = None  # the general reader below says what is wrong
        if numeric is not None:
            return numeric
        try:
            with open(f_path, newline="") as f:
                rows = list(csv.reader(f))
        except (OSError, UnicodeDecodeError, csv.Error) as e:
            raise InputError(f"cannot read {str(f_path)!r}: {e}") from None
        if not rows or not rows[0]:
            raise InputError(f"{str(f_path)!r} is empty; expected a table with a header: run the command again")
        bad = next((i for i, r in enumerate(rows) if len(r) != len(rows[0])), None)
        if bad is not None:
            raise InputError(f"{str(f_path)!r} is corrupt: line {bad + 1} has {len(rows[bad])} cells, the header "
                             f"{len(rows[0])}; delete it and run the command again")
        header, body = rows[0], rows[1:]
        _check_columns(name, header, columns)
        columns_read = {}
        for j, key in enumerate(header):
            if columns is not None and key not in columns:
                continue
            values = [r[j] for r in body]
            try:
                columns_read[key] = np.array([float(v) for v in values])
            except ValueError:
                columns_read[key] = np.array(values)
        return columns_read
