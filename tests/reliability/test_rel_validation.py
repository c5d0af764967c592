"""Nothing written before validation: a refused command leaves no run directory behind."""

import numpy as np
import pytest


def test_train_refused_policy_kind_leaves_nothing_and_the_fix_runs(tmp_path, cli):
    out = tmp_path / "deep" / "D"
    base = ["train", "--env", "CartPole-v1", "--updates", 1, "--seeds", 1, "--batch-episodes", 2, "--eval-every", 1,
            "--eval-episodes", 1, "--out", out, "--no-progress"]
    code, _, err = cli(*base, "--policy-kind", "linear_gaussian")
    assert code == 2 and "linear_softmax" in err
    assert not (tmp_path / "deep").exists()
    code, _, err = cli(*base, "--policy-kind", "linear_softmax")
    assert code == 0, err


@pytest.mark.parametrize("flag", [["--directions", "0"], ["--dense-limit", "-1"]])
def test_hessian_bad_arguments_refused_before_any_work(tmp_path, cli, flag):
    out = tmp_path / "H"
    code, _, err = cli("hessian", "--env", "toy/saddle", "--at", "0.1,0.2", *flag, "--out", out)
    assert code == 2 and flag[0] in err, err
    assert not out.exists()


def test_refusal_keeps_an_existing_run(tmp_path, cli):
    out = tmp_path / "P"
    argv = ["perturb", "--env", "toy/saddle", "--at", "0.1,0.2", "--directions", 4, "--out", out, "--no-progress"]
    assert cli(*argv)[0] == 0
    code, _, err = cli(*argv[:-3], "--seed", 1, "--out", out, "--no-progress")
    assert code == 2 and "different run" in err
    assert (out / "summary.json").exists() and (out / "config.json").exists()


def test_theta_input_identified_by_content_not_path_spelling(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    np.save(tmp_path / "a" / "b.npy", np.array([0.1, 0.2]))
    base = ["perturb", "--env", "toy/saddle", "--directions", 4, "--out", "P", "--no-progress"]
    assert cli(*base, "--at", "a/b.npy")[0] == 0
    code, _, err = cli(*base, "--at", str(tmp_path / "a" / "b.npy"))
    assert code == 0, err
    np.save(tmp_path / "a" / "b.npy", np.array([0.3, 0.2]))  # other bytes under the same name: another run
    code, _, err = cli(*base, "--at", "a/b.npy")
    assert code == 2 and "different run" in err and "sha256" in err
