"""--dry-run warns when a run would take more than a day or more disk than is free; it writes nothing."""

import dataclasses

from policyscape.runs import landscape


@dataclasses.dataclass
class _Usage:
    free: int


def test_dry_run_warns_of_days_and_of_disk(tmp_path, cli, monkeypatch):
    real = landscape.estimate_cost

    def slow(objective, theta0, num_points, probe=8):
        c = real(objective, theta0, num_points, probe)
        return {**c, "seconds_per_point": 10.0, "seconds": 10.0 * num_points}

    monkeypatch.setattr(landscape, "estimate_cost", slow)
    monkeypatch.setattr("shutil.disk_usage", lambda path: _Usage(1000))
    out = tmp_path / "P"
    code, stdout, err = cli("perturb", "--env", "toy/saddle", "--at", "0.1,0.2", "--directions", 10000, "--dry-run",
                            "--out", out)
    assert code == 0 and "Nothing was written" in stdout
    assert "more than a day" in err and "MB free" in err
    assert not out.exists()


def test_dry_run_of_a_small_run_does_not_warn(tmp_path, cli):
    code, _, err = cli("perturb", "--env", "toy/saddle", "--at", "0.1,0.2", "--directions", 10, "--dry-run",
                       "--out", tmp_path / "P")
    assert code == 0 and "warning" not in err
