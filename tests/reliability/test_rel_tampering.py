"""Tampering and drift: checksums of what a run relies on; a resume or plot whose files changed is refused."""

import json

import numpy as np
import pytest

PERTURB = ["perturb", "--env", "toy/saddle", "--at", "0.1,0.2", "--directions", 6, "--chunk-size", 4, "--no-progress"]


@pytest.fixture
def finished(tmp_path, cli):
    out = tmp_path / "P"
    code, _, err = cli(*PERTURB, "--out", out)
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"config.json", "directions.npy", "perturbations.csv", "summary.json"} <= set(manifest["files"])
    sums = (out / "points" / "perturb.csv.sha256").read_text().split()
    assert sorted(int(line.split(",")[0]) for line in sums) == [0, 1, 2, 3]  # 13 points in chunks of 4
    return out


def test_hand_changed_point_value_is_refused(finished, cli):
    points = finished / "points" / "perturb.csv"
    lines = points.read_text().split("\n")
    cells = lines[5].split(",")
    cells[2] = repr(float(cells[2]) + 1.0)
    lines[5] = ",".join(cells)
    points.write_text("\n".join(lines))
    for argv in [(*PERTURB, "--out", finished), ("plot", finished)]:
        code, _, err = cli(*argv)
        assert code == 2 and "perturb.csv" in err and "chunk 1" in err and "changed" in err, err


def test_swapped_directions_are_refused(finished, cli):
    np.save(finished / "directions.npy", np.load(finished / "directions.npy")[::-1])
    for argv in [(*PERTURB, "--out", finished), ("plot", finished)]:
        code, _, err = cli(*argv)
        assert code == 2 and "directions.npy" in err and "changed" in err, err


def test_edited_seed_does_not_relabel_old_points(finished, cli):
    config = json.loads((finished / "config.json").read_text())
    config["perturb"]["seed"] = 7
    config["directions"]["seed"] = 7
    (finished / "config.json").write_text(json.dumps(config))
    code, _, err = cli(*PERTURB[:-1], "--seed", 7, "--no-progress", "--out", finished)
    assert code == 2 and "config.json" in err and "changed" in err, err


def test_an_old_run_without_manifest_still_resumes_and_plots(finished, cli):
    (finished / "manifest.json").unlink()
    (finished / "summary.json").unlink()
    assert cli(*PERTURB, "--out", finished)[0] == 0
    assert cli("plot", finished)[0] == 0
