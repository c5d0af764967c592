"""Property tests: bad input to the landscape commands → exit code 2, a clear message, nothing written."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyscape.cli import main

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def run_cli(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as e:  # argument parsing errors exit directly
        code = e.code
    return code, capsys.readouterr().err


def assert_refused(tmp_path, argv, capsys, *messages):
    out = tmp_path / "out"
    progress = ["--no-progress"] if argv[0] != "hessian" else []
    code, err = run_cli([*argv, "--out", str(out), *progress], capsys)
    assert code == 2, err
    for m in messages:
        assert m in err, err
    assert not out.exists()


@SETTINGS
@given(length=st.integers(1, 12).filter(lambda n: n != 2))
def test_wrong_theta_length(tmp_path_factory, capsys, length):
    tmp = tmp_path_factory.mktemp("len")
    at = ",".join(["0.5"] * length)
    assert_refused(tmp, ["perturb", "--env", "toy/saddle", "--at", at], capsys, "must have length 2", f"({length},)")
    assert_refused(tmp, ["interpolate", "--env", "toy/saddle", "--at", "0,0", "--to", at], capsys, "must have length 2")


@SETTINGS
@given(bad=st.sampled_from(["nan", "inf", "-inf"]), index=st.integers(0, 1))
def test_non_finite_theta(tmp_path_factory, capsys, bad, index):
    tmp = tmp_path_factory.mktemp("nan")
    at = ["0.1", "0.2"]
    at[index] = bad
    assert_refused(tmp, ["perturb", "--env", "toy/strict-max", f"--at={','.join(at)}"], capsys,
                   "must be finite", f"index {index}")
    assert_refused(tmp, ["plane", "--env", "toy/strict-max", f"--at={','.join(at)}"], capsys, "must be finite")


@SETTINGS
@given(alpha=st.one_of(st.floats(max_value=0.0, allow_nan=False), st.just(math.nan), st.just(math.inf)))
def test_non_positive_alpha(tmp_path_factory, capsys, alpha):
    tmp = tmp_path_factory.mktemp("alpha")
    assert_refused(tmp, ["perturb", "--env", "toy/saddle", "--at", "0,0", f"--alpha={alpha!r}"], capsys,
                   "step size α must be a finite number > 0")


@SETTINGS
@given(start=st.floats(-5, 5), stop=st.floats(-5, 5), num=st.integers(-3, 0))
def test_empty_alpha_range(tmp_path_factory, capsys, start, stop, num):
    tmp = tmp_path_factory.mktemp("range")
    assert_refused(tmp, ["interpolate", "--env", "toy/saddle", "--at", "0,0", "--to", "1,1",
                         f"--alphas={start}:{stop}:{num}"], capsys, "is empty")


@SETTINGS
@given(n=st.integers(-5, 0))
def test_zero_directions(tmp_path_factory, capsys, n):
    tmp = tmp_path_factory.mktemp("dirs")
    assert_refused(tmp, ["perturb", "--env", "toy/saddle", "--at", "0,0", f"--directions={n}"], capsys,
                   "number of directions must be >= 1")


@SETTINGS
@given(width=st.integers(1, 6).filter(lambda w: w != 2), rows=st.integers(1, 4))
def test_direction_file_of_wrong_width(tmp_path_factory, capsys, width, rows):
    tmp = tmp_path_factory.mktemp("file")
    path = tmp / "d.npy"
    np.save(path, np.ones((rows, width)))
    assert_refused(tmp, ["perturb", "--env", "toy/saddle", "--at", "0,0", "--directions-file", str(path)], capsys,
                   "the direction file must have shape [N, 2]", f"({rows}, {width})")


def test_gridworld_theta_length_and_unknown_id(tmp_path, capsys):
    assert_refused(tmp_path, ["perturb", "--at", "1,2,3"], capsys, "must have length 108")
    assert_refused(tmp_path, ["hessian", "--env", "toy/sadle", "--at", "0,0"], capsys, "did you mean 'toy/saddle'")
    assert_refused(tmp_path, ["perturb", "--env", "toy/saddle", "--at", "0,0", "--entropy", "0.1"], capsys,
                   "do not apply to 'toy/saddle'")


@pytest.mark.parametrize("cmd", ["perturb", "interpolate", "plane", "hessian", "train", "evaluate", "plot"])
def test_every_subcommand_has_help(cmd, capsys):
    code, _ = run_cli([cmd, "--help"], capsys)
    assert code == 0
