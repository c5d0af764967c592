"""Disk full while writing the final tables: the same clean exit 2 as a chunk append, and the run resumes."""

import errno
import os

import pytest

from policyscape.runs import rundir


@pytest.mark.parametrize("table", ["perturbations.csv", "curves.csv"])
def test_disk_full_on_a_final_table_exits_2_then_resumes(tmp_path, cli, monkeypatch, table):
    out = tmp_path / "R"
    if table == "perturbations.csv":
        argv = ["perturb", "--env", "toy/saddle", "--at", "0.1,0.2", "--directions", 8, "--out", out, "--no-progress"]
    else:
        argv = ["train", "--env", "policyscape/SymmetricGridworld-v0", "--exact", "--seeds", 2, "--updates", 3,
                "--out", out, "--no-progress"]
    real = rundir.atomic_write_bytes

    def full(path, data):
        if os.path.basename(path) == table:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, data)

    monkeypatch.setattr(rundir, "atomic_write_bytes", full)
    code, _, err = cli(*argv)
    assert code == 2, err
    assert "the disk is full" in err and "run the same command again to resume" in err and "Traceback" not in err
    assert not (out / table).exists()
    monkeypatch.setattr(rundir, "atomic_write_bytes", real)
    code, _, err = cli(*argv)
    assert code == 0, err
    assert (out / table).exists()
