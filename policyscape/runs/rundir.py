"""Run directories: a recorded configuration, and files that are never half-written.

A run directory holds ``config.json`` (what command made it, with which settings) beside
its results. Opening it again with the *same* configuration reuses it (re-running is
deterministic); a *different* configuration is refused with the differing fields named,
so two runs never mix. Every file is written to a temporary name and renamed into place
(``os.replace`` is atomic), so a crash leaves either the old file or the new one. The file
formats and reading them back are ``policyscape.files``'s (:class:`~policyscape.files.SavedRun`,
which the figures use too); this module adds what only a run needs: configuration checks, the
lock, free-space checks and the writers.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from policyscape.errors import InputError
from policyscape.files import (
    CONFIG_FILE,
    SavedRun,
    atomic_write_bytes,
    csv_columns_text,
    csv_text,
    is_partial_write,
    to_json,
)

__all__ = ["CONFIG_FILE", "LOCK_FILE", "MIN_FREE_BYTES", "RunDir", "atomic_write_bytes", "check_writable", "to_json"]

LOCK_FILE = ".lock"
#: Checksums of what a run relies on: every file written through :class:`RunDir` and every chunk of its
#: point stores. A resume or ``plot`` whose files no longer match is refused; a run without one (written
#: by an older policyscape) is accepted as it is, and gets one from then on.
MANIFEST_FILE = "manifest.json"
#: Beside ``points/NAME.csv``: ``points/NAME.csv.sha256``, one ``chunk,sha256`` line per chunk appended.
CHUNK_SUMS_SUFFIX = ".sha256"
#: A run directory with less free space than this is refused before any work starts.
MIN_FREE_BYTES = 10 * 1024**2
_HELD_LOCKS: dict[str, int] = {}  # run directory → file descriptor of its lock, for this process's lifetime
_CREATED: dict[str, list[Path]] = {}  # run directory → the directories this process created for it, leaf first
#: What a run directory holds before any result: nothing in it is worth keeping.
_NO_RESULTS = {CONFIG_FILE, LOCK_FILE, "points", "manifest.json"}  # (points/ must be empty)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _config_differences(old: dict, new: dict, prefix: str = "") -> list[str]:
    """The differing fields of two configurations. An input identified by content (``sha256`` beside its
    ``source``) is the same input whatever its path was spelled like (``a/b.npz`` vs ``/abs/a/b.npz``)."""
    diffs = []
    same_content = "sha256" in old and old.get("sha256") == new.get("sha256")
    for key in sorted(set(old) | set(new)):
        if same_content and key == "source":
            continue
        a, b = old.get(key, "<absent>"), new.get(key, "<absent>")
        if isinstance(a, dict) and isinstance(b, dict):
            diffs += _config_differences(a, b, f"{prefix}{key}.")
        elif a != b:
            diffs.append(f"{prefix}{key}: {a!r} (recorded) vs {b!r} (now)")
    return diffs


#: Prefix of :func:`check_writable`'s probe file.
WRITE_PROBE_PREFIX = ".write-probe."


def _left_by_a_killed_start(name: str) -> bool:
    """Whether a file of a directory without config.json is what a process killed while creating the run
    leaves: the lock, :func:`check_writable`'s probe, or an atomic write's temporary file
    (``files.is_partial_write``). Such a directory is taken as new, not refused as another run's."""
    return name == LOCK_FILE or name.startswith(WRITE_PROBE_PREFIX) or is_partial_write(name)


def check_writable(path: Path, min_free_bytes: int | None = None) -> None:
    """Refuse (InputError) a directory this process cannot write a file into, or with too little free space.

    A probe file is written, fsync'd and removed; the free space (``shutil.disk_usage``) must be at
    least ``min_free_bytes`` (default :data:`MIN_FREE_BYTES`), so that a run does not start on a
    full disk.
    """
    min_free = MIN_FREE_BYTES if min_free_bytes is None else min_free_bytes
    try:
        fd, probe = tempfile.mkstemp(dir=path, prefix=WRITE_PROBE_PREFIX)
        try:
            os.write(fd, b"probe\n")
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as e:
        raise InputError(f"output directory {str(path)!r} is not writable ({e.strerror}); "
                         "expected a directory this user can write to, or choose another --out") from None
    free = shutil.disk_usage(path).free
    if free < min_free:
        raise InputError(f"output directory {str(path)!r} has only {free / 1024**2:.1f} MB free; expected at least "
                         f"{min_free / 1024**2:.0f} MB: free some space or choose another --out")


class RunDir(SavedRun):
    """A directory of one run's results (see the module docstring); reading is :class:`SavedRun`'s."""

    def check_compatible(self, config: dict) -> None:
        """Refuse (InputError) if this directory holds another run; create nothing."""
        if self.path.exists() and not self.path.is_dir():
            raise InputError(f"output path {str(self.path)!r} exists and is not a directory")
        recorded = self.read_config()
        if recorded is None:
            if self.path.exists() and any(not _left_by_a_killed_start(p.name) for p in self.path.iterdir()):
                raise InputError(
                    f"output directory {str(self.path)!r} is not empty and holds no {CONFIG_FILE}; "
                    "expected a new directory or one made by the same policyscape command"
                )
            return
        diffs = _config_differences(recorded, json.loads(to_json(config)))
        if diffs:
            raise InputError(
                f"output directory {str(self.path)!r} holds a different run ({'; '.join(diffs)}); "
                "expected the same configuration to resume it, or choose another --out"
            )

    def create(self, config: dict) -> RunDir:
        """Check compatibility, create the directory, check it is writable with space to spare
        (:func:`check_writable`; a refused new directory is removed again), and record ``config``."""
        self.check_compatible(config)
        new_dirs = [p for p in [self.path, *self.path.parents] if not p.exists()]  # leaf first
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"cannot create output directory {str(self.path)!r}: {e.strerror}") from e
        try:
            check_writable(self.path)
        except InputError:
            for d in new_dirs:
                try:
                    d.rmdir()
                except OSError:
                    break
            raise
        self.lock()
        if new_dirs:
            _CREATED.setdefault(str(self.path.resolve()), new_dirs)
        self.verify()
        if self.read_config() is None:
            self.write_json(CONFIG_FILE, config)
        return self

    # ------------------------------------------------------------------ checksums (tampering and drift)

    def read_manifest(self) -> dict:
        """``{"files": {name: sha256}}``; empty for an old run (chunk checksums: :meth:`recorded_chunks`)."""
        if not self.file(MANIFEST_FILE).exists():
            return {"files": {}}
        manifest = self.read_json(MANIFEST_FILE)
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files", {}), dict):
            raise InputError(f"{str(self.file(MANIFEST_FILE))!r} is corrupt (expected the checksums a policyscape "
                             "command wrote); restore it, or choose another --out")
        return {"files": dict(manifest.get("files", {}))}

    def _write_manifest(self, manifest: dict) -> None:
        manifest = {"format": "policyscape.manifest/1", **manifest}
        self._write_bytes(MANIFEST_FILE, to_json(manifest).encode())

    def record_file(self, name: str, digest: str | None = None) -> None:
        manifest = self.read_manifest()
        manifest["files"][name] = digest or sha256_file(self.file(name))
        self._write_manifest(manifest)

    def record_chunk(self, points_file: str, chunk: int, digest: str) -> None:
        """Append a chunk's checksum to ``points_file + CHUNK_SUMS_SUFFIX`` (one line per chunk, appended like the
        chunk itself: cheap whatever the number of chunks; a torn last line is ignored)."""
        with open(self.file(points_file + CHUNK_SUMS_SUFFIX), "a") as f:
            f.write(f"{chunk},{digest}\n")

    def recorded_chunks(self, points_file: str) -> dict[int, str]:
        """Checksums of the chunks of ``points_file`` (the last recorded per chunk); {} for an older run."""
        f = self.file(points_file + CHUNK_SUMS_SUFFIX)
        if not f.exists():
            return {}
        sums = {}
        for line in f.read_text(errors="replace").split("\n"):
            chunk, _, digest = line.partition(",")
            if chunk.isdigit() and len(digest) == 64:
                sums[int(chunk)] = digest
        return sums

    def points_files_with_sums(self) -> list[str]:
        points = self.file("points")
        if not points.is_dir():
            return []
        return sorted(f"points/{p.name[: -len(CHUNK_SUMS_SUFFIX)]}" for p in points.glob("*" + CHUNK_SUMS_SUFFIX))

    def verify(self) -> None:
        """Refuse (InputError naming the file) a recorded file that was changed since it was written.

        Files absent from the manifest (an older run's, or none recorded yet) are accepted."""
        for name, digest in self.read_manifest()["files"].items():
            f = self.file(name)
            if f.exists() and sha256_file(f) != digest:
                raise InputError(
                    f"{str(f)!r} was changed after the run wrote it (its checksum does not match {MANIFEST_FILE}); "
                    "the results cannot be trusted: restore the file, or delete it (and the results that depend on "
                    "it) to recompute, or choose another --out")

    def lock(self) -> None:
        """Hold an exclusive lock on the run directory until this process exits.

        ``flock`` locks die with their process (SIGKILL included), so a crashed run never leaves
        a stale lock; a second process pointed at the same directory is refused.
        """
        key = str(self.path.resolve())
        if key in _HELD_LOCKS:
            return
        fd = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise InputError(
                f"run directory {str(self.path)!r} is in use by another process (pid {owner}); "
                "wait for it to finish, or choose another --out"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        _HELD_LOCKS[key] = fd

    def write_text(self, name: str, text: str) -> Path:
        return self.write_bytes(name, text.encode())

    def write_json(self, name: str, obj: Any) -> Path:
        return self.write_text(name, to_json(obj))

    def write_columns(self, name: str, columns: dict[str, np.ndarray]) -> Path:
        """Write numeric ``columns`` (equal lengths) as a CSV, byte for byte what :meth:`write_csv`
        writes for the same rows, formatted a column at a time (:func:`~policyscape.files.csv_columns_text`)."""
        return self.write_text(name, csv_columns_text(columns))

    def write_csv(self, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
        return self.write_text(name, csv_text(header, rows))

    def write_npy(self, name: str, array: np.ndarray) -> Path:
        buf = io.BytesIO()
        np.save(buf, np.asarray(array))
        return self.write_bytes(name, buf.getvalue())

    def write_bytes(self, name: str, data: bytes) -> Path:
        self._write_bytes(name, data)
        if name != MANIFEST_FILE:
            self.record_file(name, sha256_bytes(data))
        return self.file(name)

    def _write_bytes(self, name: str, data: bytes) -> Path:
        """Write ``name`` atomically; a failed write (disk full) is an InputError (exit 2) that says how to
        resume: the old file, if any, is untouched, and every finished chunk under ``points/`` is kept."""
        try:
            atomic_write_bytes(self.file(name), data)
        except OSError as e:
            reason = "the disk is full" if e.errno in (errno.ENOSPC, errno.EDQUOT) else e.strerror or str(e)
            raise InputError(
                f"could not write {str(self.file(name))!r}: {reason}. Every finished chunk is kept (points/); "
                "free some space and run the same command again to resume") from e
        return self.file(name)


def discard_unused(path: Path | str) -> bool:
    """Remove a run directory this process created and that holds no result yet; True if removed.

    A command refused (InputError) after its run directory was created (an argument only checkable
    against the environment, say) must leave nothing behind: otherwise the corrected command would be
    refused as "a different run". Only a directory created by this process, locked by it, and holding
    nothing but ``config.json``, the lock, an empty ``points/`` and a manifest is removed, with the
    parent directories created for it; anything else (chunks of a run, another process's directory)
    is kept.
    """
    key = str(Path(path).resolve())
    created = _CREATED.get(key)
    if not created or key not in _HELD_LOCKS:
        return False
    run = Path(path)
    entries = list(run.iterdir())
    if any(p.name not in _NO_RESULTS for p in entries):
        return False
    points = run / "points"
    if points.exists() and (not points.is_dir() or any(points.iterdir())):
        return False
    os.close(_HELD_LOCKS.pop(key))
    for p in entries:
        if p.is_dir():
            p.rmdir()
        else:
            p.unlink()
    for d in created:  # leaf first; stops at the first one not empty
        try:
            d.rmdir()
        except OSError:
            break
    del _CREATED[key]
    return True
