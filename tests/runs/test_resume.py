"""Runs that survive: a killed analysis resumes to exactly the rows of an uninterrupted one."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from policyscape.errors import InputError
from policyscape.runs.store import PointStore, evaluate_points


def _square(thetas):
    return {"value": -np.sum(thetas**2, axis=1), "other": thetas[:, 0]}


def test_store_recovers_from_torn_write(tmp_path):
    path = tmp_path / "points.csv"
    make = lambda p: np.stack([p * 0.1, p * 0.2], axis=1).astype(float)  # noqa: E731
    full = evaluate_points(PointStore(path, ["value", "other"], 23, 5), make, _square, show_progress=False)
    reference = path.read_text()
    lines = reference.split("\n")
    # a crash mid-append: chunk 2 half written, the last line torn
    path.write_text("\n".join(lines[:1 + 10 + 3]) + "\n" + lines[14][:7])
    store = PointStore(path, ["value", "other"], 23, 5)
    assert store.done_chunks() == {0, 1}
    resumed = evaluate_points(store, make, _square, show_progress=False)
    assert path.read_text() == reference
    for k in full:
        np.testing.assert_array_equal(resumed[k], full[k])


def test_store_refuses_other_columns(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("chunk,point,value\n")
    with pytest.raises(InputError, match="holds other columns"):
        PointStore(path, ["value", "return"], 10, 2)


def _perturb_cmd(out):
    return [sys.executable, "-m", "policyscape.cli", "perturb", "--env", "toy/goodfellow", "--at", "0.3,-0.2",
            "--alpha", "0.1", "--alpha", "0.5", "--directions", "600", "--chunk-size", "1", "--seed", "4",
            "--out", str(out), "--no-progress"]


def test_sigkill_then_resume_equals_uninterrupted(tmp_path):
    killed_out, clean_out = tmp_path / "killed", tmp_path / "clean"
    kills = 0
    for _ in range(3):  # kill it several times in a row, at different moments
        proc = subprocess.Popen(_perturb_cmd(killed_out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        points = killed_out / "points" / "perturb.csv"
        deadline = time.time() + 60
        before = points.read_text().count("\n") if points.exists() else 0
        while time.time() < deadline and proc.poll() is None:
            if points.exists() and points.read_text().count("\n") > before + 150:
                os.kill(proc.pid, signal.SIGKILL)
                kills += 1
                break
            time.sleep(0.02)
        proc.wait()
    assert kills >= 1, "the run finished before it could be killed"
    assert subprocess.run(_perturb_cmd(killed_out), capture_output=True).returncode == 0
    assert subprocess.run(_perturb_cmd(clean_out), capture_output=True).returncode == 0
    for name in ("perturbations.csv", "summary.json"):
        assert (killed_out / name).read_text() == (clean_out / name).read_text()
    np.testing.assert_array_equal(np.load(killed_out / "directions.npy"), np.load(clean_out / "directions.npy"))
    rows = (killed_out / "points" / "perturb.csv").read_text().strip().split("\n")[1:]
    assert len(rows) == 1 + 2 * 2 * 600 == len({r.split(",")[1] for r in rows})  # nothing lost, nothing duplicated


def test_second_process_on_the_same_run_dir_is_refused(tmp_path):
    from policyscape.runs.rundir import RunDir

    run = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from policyscape.runs.rundir import RunDir; "
        f"RunDir({str(run)!r}).create({{'a': 1}}); print('ready', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(InputError, match=rf"in use by another process \(pid {holder.pid}\)"):
            RunDir(run).create({"a": 1})
    finally:
        holder.kill()
        holder.communicate()
    RunDir(run).create({"a": 1})  # the lock died with its process


def _rows(points) -> int:
    return points.read_text().count("\n") - 1 if points.exists() else 0


#: Runs ``argv[1:]`` with SIGINT's default action: a test runner started in the background of a non-interactive
#: shell (``cmd &``) has SIGINT ignored, and an ignored signal stays ignored through fork and exec.
DEFAULT_SIGINT = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"


def with_default_sigint(cmd: list[str]) -> list[str]:
    """``cmd`` (an executable and its arguments) started with SIGINT's default action, whatever this process has."""
    return [sys.executable, "-c", DEFAULT_SIGINT, *cmd]


def _signal_state(pid: int) -> dict[str, str]:
    """SigBlk/SigIgn/SigCgt of a process (Linux ``/proc``; empty elsewhere), for failure messages."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return {line.split(":")[0]: line.split()[1] for line in lines if line.startswith(("SigBlk", "SigIgn", "SigCgt"))}


def test_sigint_stops_cleanly_and_resumes(tmp_path):
    """SIGINT once the first chunks are on disk: the run stops with 130 and resumes to the clean rows.

    The run has 2401 one-point chunks and is interrupted after its first few (about 1 ms each), so
    it cannot finish first; a run that does, or never starts writing, fails the test.
    """
    out, clean = tmp_path / "interrupted", tmp_path / "clean"
    proc = subprocess.Popen(with_default_sigint(_perturb_cmd(out)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    points = out / "points" / "perturb.csv"
    deadline = time.time() + 300
    interrupted_at = None
    while time.time() < deadline and proc.poll() is None:
        if _rows(points) >= 5:
            interrupted_at = _rows(points)
            signals = _signal_state(proc.pid)
            proc.send_signal(signal.SIGINT)
            break
        time.sleep(0.005)
    if interrupted_at is None:
        proc.kill()
        _, err = proc.communicate(timeout=60)
        pytest.fail(f"could not interrupt the run: it exited with {proc.returncode} after writing {_rows(points)} "
                    f"rows (expected it still running once 5 of 2401 rows were written); stderr: {err[-2000:]}")
    out_text, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (f"interrupted after {interrupted_at} of 2401 rows, exit code "
                                    f"{proc.returncode}, {_rows(points)} rows at exit; stderr: {err[-2000:]}; "
                                    f"stdout: {out_text[-500:]}; the run's signal state when signalled: {signals}")
    assert "Run the same command again to resume" in err
    assert 0 < _rows(points) < 2401
    assert subprocess.run(_perturb_cmd(out), capture_output=True).returncode == 0
    assert subprocess.run(_perturb_cmd(clean), capture_output=True).returncode == 0
    assert (out / "perturbations.csv").read_text() == (clean / "perturbations.csv").read_text()
