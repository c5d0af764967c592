"""A resumable, append-only store of evaluated points.

Long analyses evaluate many points (θ's) in fixed chunks. Each finished chunk is appended to
a CSV file as one write followed by ``fsync``; every row carries its chunk id and point
index. On open, rows of chunks that are not complete (a crash, even SIGKILL, in the middle
of a write) are dropped and the file is rewritten atomically, so a resumed run recomputes
exactly the missing chunks. Chunks are fixed by point index (chunk ``c`` holds points
``c·C … c·C + C − 1``), and every chunk is evaluated as a batch of the same size (the last
one padded), so a value never depends on when or how often the run was interrupted.
Floats are written with ``repr`` and read back bit-for-bit.
"""

from __future__ import annotations

import errno
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from policyscape.errors import InputError
from policyscape.runs.rundir import atomic_write_bytes

Evaluate = Callable[[np.ndarray], dict[str, np.ndarray]]


class PointStore:
    """Rows ``chunk,point,<fields…>`` for points ``0 … num_points − 1`` (module docstring)."""

    def __init__(self, path: Path | str, fields: Sequence[str], num_points: int, chunk_size: int) -> None:
        if num_points < 1 or chunk_size < 1:
            raise InputError(f"a point store needs num_points >= 1 and chunk_size >= 1, got {num_points}, {chunk_size}")
        self.path = Path(path)
        self.fields = list(fields)
        self.num_points = num_points
        self.chunk_size = chunk_size
        self.header = ",".join(["chunk", "point", *self.fields])
        self._rows: dict[int, list[str]] = {}  # chunk → its lines
        self._run, self._name = _run_of(self.path)
        self._file_order: list[int] = []  # chunks in the order of their rows in the file
        self._recover()

    @property
    def num_chunks(self) -> int:
        return math.ceil(self.num_points / self.chunk_size)

    def chunk_points(self, chunk: int) -> np.ndarray:
        return np.arange(chunk * self.chunk_size, min((chunk + 1) * self.chunk_size, self.num_points))

    def _recover(self) -> None:
        if not self.path.exists():
            return
        try:
            lines = self.path.read_text().split("\n")
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"cannot read the points file {str(self.path)!r} ({e}); delete it to recompute its points") from None
        if len(lines) == 1:  # killed while writing the header: nothing stored yet
            self.path.unlink()
            return
        if lines[0] != self.header:
            raise InputError(
                f"{str(self.path)!r} holds other columns ({lines[0]!r}); expected {self.header!r}: "
                "is this directory from another analysis?"
            )
        body = lines[1:-1]  # the last piece is "" after a finished write, else a torn line: dropped
        by_chunk: dict[int, list[str]] = {}
        for number, line in enumerate(body, start=2):
            parts = line.split(",")
            if len(parts) != 2 + len(self.fields):
                continue
            try:
                chunk, point = int(parts[0]), int(parts[1])
                [float(x) for x in parts[2:]]
            except ValueError:
                raise InputError(
                    f"{str(self.path)!r} line {number} holds a value that is not a number ({line[:80]!r}); this file "
                    "is only written by policyscape: restore it, or delete it to recompute its points") from None
            if not (0 <= chunk < self.num_chunks and point in self.chunk_points(chunk)):
                raise InputError(f"{str(self.path)!r} line {number} names point {point} of chunk {chunk}, which this "
                                 f"run does not have; delete the file to recompute its points")
            by_chunk.setdefault(chunk, []).append(line)
        self._rows = {c: rows for c, rows in by_chunk.items() if len(rows) == len(self.chunk_points(c))}
        if self._run is not None:  # chunks changed since they were written are refused (run manifest)
            recorded = self._run.recorded_chunks(self._name)
            for c in sorted(self._rows):
                if c in recorded and _chunk_digest(self._rows[c]) != recorded[c]:
                    raise InputError(
                        f"{str(self.path)!r}: chunk {c} (points {self.chunk_points(c)[0]}…{self.chunk_points(c)[-1]}) "
                        "was changed after it was computed (its checksum does not match manifest.json); restore the "
                        "file, or delete it to recompute its points")
        self._file_order = sorted(self._rows)
        clean = "\n".join([self.header, *[r for c in sorted(self._rows) for r in self._rows[c]]]) + "\n"
        if clean != "\n".join(lines):
            atomic_write_bytes(self.path, clean.encode())

    def done_chunks(self) -> set[int]:
        return set(self._rows)

    def append(self, chunk: int, values: dict[str, np.ndarray]) -> None:
        """Append one complete chunk (``values[field]`` is ``[points in chunk]``)."""
        points = self.chunk_points(chunk)
        lines = []
        for j, point in enumerate(points):
            cells = [repr(float(values[f][j])) for f in self.fields]
            lines.append(",".join([str(chunk), str(point), *cells]))
        header = self.header + "\n" if not self.path.exists() or self.path.stat().st_size == 0 else ""
        data = (header + "\n".join(lines) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size_before = os.fstat(fd).st_size
            try:
                _write_all(fd, data)
                os.fsync(fd)
            except OSError as e:
                _drop_torn_write(fd, size_before)
                reason = "the disk is full" if e.errno == errno.ENOSPC else e.strerror or str(e)
                raise InputError(
                    f"could not write chunk {chunk} to {str(self.path)!r}: {reason}. The {len(self._rows)} chunks "
                    "written before are kept (a partly written chunk is dropped); fix this and run the same "
                    "command again to resume") from e
        finally:
            os.close(fd)
        self._rows[chunk] = lines
        self._file_order.append(chunk)
        if self._run is not None:
            try:
                self._run.record_chunk(self._name, chunk, _chunk_digest(lines))
            except OSError:
                pass  # the chunk is safe; without its checksum it is accepted unchecked, as an older run's

    def sort_file(self) -> None:
        """Rewrite the file (atomically) with its chunks in order, if they were appended out of order.

        Chunks evaluated in parallel arrive in completion order; sorted, the file of a finished run is
        the same whatever the executor.
        """
        if self._file_order != sorted(self._file_order):
            clean = "\n".join([self.header, *[r for c in sorted(self._rows) for r in self._rows[c]]]) + "\n"
            atomic_write_bytes(self.path, clean.encode())
            self._file_order = sorted(self._rows)

    def load(self) -> dict[str, np.ndarray]:
        """All fields as ``[num_points]`` arrays ordered by point (every chunk must be done)."""
        missing = sorted(set(range(self.num_chunks)) - set(self._rows))
        if missing:
            raise RuntimeError(f"{self.path} is missing chunks {missing[:5]}")
        rows = [r.split(",") for c in range(self.num_chunks) for r in self._rows[c]]
        return {f: np.array([float(r[2 + i]) for r in rows]) for i, f in enumerate(self.fields)}


def verify_points_file(run, name: str) -> None:
    """Refuse (InputError) a points file of ``run`` whose recorded chunks no longer match their checksums."""
    recorded = run.recorded_chunks(name)
    try:
        lines = run.file(name).read_text().split("\n")[1:]
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read the points file {str(run.file(name))!r} ({e})") from None
    by_chunk: dict[int, list[str]] = {}
    for line in lines:
        head = line.split(",", 1)[0]
        if head.isdigit():
            by_chunk.setdefault(int(head), []).append(line)
    for c, digest in recorded.items():
        if c in by_chunk and _chunk_digest(by_chunk[c]) != digest:
            raise InputError(f"{str(run.file(name))!r}: chunk {c} was changed after it was computed (its checksum "
                             "does not match manifest.json); restore the file, or delete it to recompute its points")


def _run_of(path: Path):
    """(the RunDir, "points/NAME") of a store under a run directory's ``points/``, else (None, None): its chunks'
    checksums go to the run's manifest."""
    from policyscape.runs.rundir import CONFIG_FILE, RunDir

    if path.parent.name == "points" and (path.parent.parent / CONFIG_FILE).exists():
        return RunDir(path.parent.parent), f"points/{path.name}"
    return None, None


def _chunk_digest(lines: list[str]) -> str:
    import hashlib

    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _write_all(fd: int, data: bytes) -> None:
    """``os.write`` until every byte of ``data`` is written (a write may be partial)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _drop_torn_write(fd: int, size: int) -> None:
    """Best effort: cut the file back to ``size`` bytes after a failed write (truncating needs no space)."""
    try:
        os.ftruncate(fd, size)
    except OSError:
        pass  # PointStore._recover drops the torn chunk when the store is opened again


def evaluate_points(
    store: PointStore,
    make_thetas: Callable[[np.ndarray], np.ndarray],
    evaluate: Evaluate,
    desc: str = "evaluate",
    show_progress: bool = True,
    pad: bool = True,
    executor=None,
) -> dict[str, np.ndarray]:
    """Evaluate every point not yet in ``store`` chunk by chunk, then return all fields.

    ``make_thetas(points [k]) → θ [k, n]`` builds the parameter vectors of the given point
    indices; ``evaluate(θ [C, n]) → {field: [C]}`` is the objective. With ``pad``, every chunk is
    padded to ``store.chunk_size`` rows (repeating its last θ) so that it is evaluated as the same
    batch shape whatever happened before; objectives whose values do not depend on the batch
    (sampled ones: each θ's episodes are seeded by the run seed alone) need no padding.

    ``executor`` (``runs.executor``; None: this process) evaluates the chunks, possibly in other
    processes and out of order; each finished chunk is appended as it arrives (``evaluate`` must
    then be an ``ObjectiveSpec``, see ``executor.chunk_evaluator``). A single remaining chunk is
    evaluated in this process. A failed write (disk full) stops the run with the chunks written
    so far kept; a torn last write is dropped when the store is opened again.
    """
    from policyscape.runs.executor import SerialExecutor

    todo = [c for c in range(store.num_chunks) if c not in store.done_chunks()]
    if executor is None or len(todo) <= 1:
        executor = SerialExecutor()

    def tasks():
        for chunk in todo:
            points = store.chunk_points(chunk)
            thetas = make_thetas(points)
            missing = store.chunk_size - len(points)
            if pad and missing:
                thetas = np.concatenate([thetas, np.repeat(thetas[-1:], missing, axis=0)])
            yield chunk, thetas

    with tqdm(total=store.num_points, initial=store.num_points - sum(len(store.chunk_points(c)) for c in todo),
              desc=desc, unit="pt", disable=not show_progress, leave=False) as bar:
        for chunk, out in executor.map_chunks(evaluate, tasks()):
            n = len(store.chunk_points(chunk))
            store.append(chunk, {f: np.asarray(out[f])[:n] for f in store.fields})
            bar.update(n)
    store.sort_file()
    return store.load()
