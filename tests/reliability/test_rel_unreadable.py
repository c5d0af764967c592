"""Every unreadable file is a clear error (exit 2) naming it, never a traceback."""

import json
import shutil

import numpy as np
import pytest

from policyscape.recipes import toy
from policyscape.recipes.reproduce import reproduce, write_report

PERTURB = ["perturb", "--env", "toy/saddle", "--at", "0.1,0.2", "--directions", 6, "--no-progress"]


def _truncated_npz(path):
    np.savez(path, theta=np.arange(2.0))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("name, write, message", [
    ("t.npz", _truncated_npz, "truncated or corrupt"),
    ("s.npy", lambda p: np.save(p, np.array(["a", "b"])), "not numbers"),
    ("c.npy", lambda p: np.save(p, np.array([1 + 2j, 3j])), "complex"),
    ("g.npy", lambda p: p.write_bytes(b"garbage " * 20), "not a .npy file"),
    ("o.npy", lambda p: np.save(p, np.array([1, None], dtype=object), allow_pickle=True), "Python objects"),
    ("tr.npy", lambda p: (np.save(p, np.arange(40.0)), p.write_bytes(p.read_bytes()[:200])), "truncated or corrupt"),
])
def test_bad_parameter_files_exit_2(tmp_path, cli, name, write, message):
    path = tmp_path / name
    write(path)
    code, _, err = cli("evaluate", "--env", "toy/saddle", "--at", path)
    assert code == 2 and message in err and str(path) in err, err
    out = tmp_path / "P"
    code, _, err = cli("perturb", "--env", "toy/saddle", "--at", path, "--out", out, "--no-progress")
    assert code == 2 and message in err and not out.exists()
    if name == "g.npy":
        assert "pickled" not in err


def test_bad_direction_file_exit_2(tmp_path, cli):
    np.save(tmp_path / "d.npy", np.array([[1 + 1j, 0], [0, 1]]))
    code, _, err = cli(*PERTURB, "--directions-file", tmp_path / "d.npy", "--out", tmp_path / "P")
    assert code == 2 and "complex" in err and not (tmp_path / "P").exists()


@pytest.fixture
def finished(tmp_path, cli):
    out = tmp_path / "P"
    code, _, err = cli(*PERTURB, "--out", out)
    assert code == 0, err
    return out


@pytest.mark.parametrize("content", ["", "{not json", "[1, 2]"])
def test_empty_or_invalid_config_exit_2(finished, cli, content):
    (finished / "config.json").write_text(content)
    for argv in [(*PERTURB, "--out", finished), ("plot", finished)]:
        code, _, err = cli(*argv)
        assert code == 2 and "config.json" in err and "Traceback" not in err, err


def test_non_numeric_point_value_exit_2(finished, cli):
    points = finished / "points" / "perturb.csv"
    lines = points.read_text().split("\n")
    lines[3] = ",".join(lines[3].split(",")[:2] + ["oops"])
    points.write_text("\n".join(lines))
    code, _, err = cli(*PERTURB, "--out", finished)
    assert code == 2 and "line 4" in err and "not a number" in err, err


def test_truncated_directions_npy_exit_2(finished, cli):
    d = finished / "directions.npy"
    d.write_bytes(d.read_bytes()[:100])
    code, _, err = cli(*PERTURB, "--out", finished)
    assert code == 2 and "directions.npy" in err and "truncated" in err, err


@pytest.mark.parametrize("victim, content", [("summary.json", "{"), ("perturbations.csv", "a,b\n1\n"),
                                             ("perturbations.csv", None), ("summary.json", None)])
def test_plot_of_corrupt_or_unfinished_run_exit_2(finished, cli, victim, content):
    if content is None:
        (finished / victim).unlink()  # an unfinished run: no tables yet
    else:
        (finished / victim).write_text(content)
    code, _, err = cli("plot", finished)
    assert code == 2 and victim in err, err


def test_plot_of_a_run_in_progress_exit_2(finished, cli):
    import os
    import subprocess
    import sys

    from policyscape.runs import rundir

    os.close(rundir._HELD_LOCKS.pop(str(finished.resolve())))  # this test process made the run; let it go
    holder = subprocess.Popen(  # another process holds the run's lock, as a running command does
        [sys.executable, "-c", "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR); "
         "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)", str(finished / ".lock")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        code, _, err = cli("plot", finished)
        assert code == 2 and "in use by another process" in err, err
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


@pytest.fixture(scope="module")
def toy_reproduction(tmp_path_factory):
    out = tmp_path_factory.mktemp("repro")
    reproduce(["toy"], "tiny", out, progress=False)
    return out


def test_report_with_corrupt_done_json_says_not_run(toy_reproduction, tmp_path, cli):
    out = tmp_path / "r"
    shutil.copytree(toy_reproduction, out)
    (out / "toy" / "done.json").write_text("{broken")
    code, _, err = cli("report", out)
    assert code in (0, 2), err  # no traceback
    if code == 0:
        claims = json.loads((out / "claims.json").read_text())
        assert all(c["verdict"] == "not run" for c in claims if c["recipe"] == "toy")


def test_done_recipe_with_missing_results_is_recomputed_or_not_run(toy_reproduction, tmp_path, cli, capsys):
    out = tmp_path / "r"
    shutil.copytree(toy_reproduction, out)
    shutil.rmtree(out / "toy" / "goodfellow-interpolation")
    result = write_report(out)  # report: not run, no crash
    assert all(c["verdict"] == "not run" for c in result["claims"] if c["recipe"] == "toy")
    result = reproduce(["toy"], "tiny", out, progress=False)  # reproduce: recomputed
    assert "running it again" in capsys.readouterr().out
    assert any(c["verdict"] != "not run" for c in result["claims"] if c["recipe"] == "toy")
    assert set(c["key"] for c in result["claims"] if c["recipe"] == "toy") == set(toy.RECIPE.claims)
