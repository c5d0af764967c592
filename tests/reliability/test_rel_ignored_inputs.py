"""Inputs accepted but ignored: each is refused (exit 2, nothing written) or gets a stated behaviour and a warning."""

import numpy as np
import pytest

TOY = ["--env", "toy/saddle", "--at", "0.1,0.2"]


@pytest.mark.parametrize("argv, message", [
    (["perturb", *TOY, "--chunk-size", "0"], "--chunk-size must be >= 1"),
    (["perturb", *TOY, "--alpha", "0.1", "--alpha", "0.1"], "must be distinct"),
    (["perturb", *TOY, "--alpha", "1e308"], "too large"),
    (["interpolate", *TOY, "--to", "1,1", "--alphas", "0,0.5,0.5,1"], "must be distinct"),
    (["plane", *TOY, "--to", "1,1", "--to", "1,1"], "lie on one line"),
    (["plane", *TOY, "--to", "1,1", "--to", "1.9,1.8"], "lie on one line"),
    (["plane", *TOY, "--to", "0.1,0.2", "--to", "1,1"], "is θ0 itself"),
    (["perturb", "--env", "toy/saddle", "--at", "goodfellow-start"], "belongs to toy/goodfellow"),
    (["perturb", "--env", "CartPole-v1", "--at", ",".join(["0"] * 10), "--sigma", "0.5", "--episodes", "2",
      "--directions", "2", "--workers", "1"], "discrete actions"),
    (["perturb", "--env", "policyscape/FrozenLake-v0", "--at", ",".join(["0"] * 68), "--sigma", "0.5",
      "--episodes", "2", "--directions", "2"], "discrete actions"),
])
def test_refused_with_exit_2_and_nothing_written(tmp_path, cli, argv, message):
    out = tmp_path / "out"
    code, _, err = cli(*argv, "--out", out, "--no-progress")
    assert code == 2 and message in err, err
    assert not out.exists()


def test_evaluate_sigma_on_discrete_actions_is_refused(cli):
    code, _, err = cli("evaluate", "--env", "CartPole-v1", "--at", ",".join(["0"] * 10), "--sigma", "0.5",
                       "--episodes", "2")
    assert code == 2 and "discrete actions" in err


def test_train_sigma_on_discrete_actions_is_refused(tmp_path, cli):
    out = tmp_path / "T"
    code, _, err = cli("train", "--env", "CartPole-v1", "--policy-kind", "linear_softmax", "--sigma", 0.3,
                       "--updates", 1, "--seeds", 1, "--batch-episodes", 2, "--out", out, "--no-progress")
    assert code == 2 and "discrete actions" in err and not out.exists()


def test_directions_count_contradicting_the_file_is_refused(tmp_path, cli):
    d = np.eye(2)
    np.save(tmp_path / "d.npy", d)
    out = tmp_path / "P"
    code, _, err = cli("perturb", *TOY, "--directions-file", tmp_path / "d.npy", "--directions", 10, "--out", out,
                       "--no-progress")
    assert code == 2 and "contradicts --directions-file" in err and not out.exists()
    code, _, err = cli("perturb", *TOY, "--directions-file", tmp_path / "d.npy", "--directions", 2, "--out", out,
                       "--no-progress")
    assert code == 0, err


def test_non_unit_direction_rows_are_used_as_given_with_a_warning(tmp_path, cli):
    np.save(tmp_path / "d.npy", np.array([[3.0, 0.0], [0.0, 0.5]]))
    out = tmp_path / "P"
    code, _, err = cli("perturb", *TOY, "--directions-file", tmp_path / "d.npy", "--out", out, "--no-progress")
    assert code == 0 and "not unit vectors" in err and "used as given" in err
    np.testing.assert_array_equal(np.load(out / "directions.npy"), [[3.0, 0.0], [0.0, 0.5]])
