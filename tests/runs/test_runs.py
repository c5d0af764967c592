"""Run directories, checkpoints and the CLI: outputs, refusals, exit codes, no partial output."""

import json
import subprocess
import sys

import numpy as np
import pytest

from policyscape.cli import main
from policyscape.errors import InputError
from policyscape.runs.checkpoint import load_params, save_checkpoint
from policyscape.runs.rundir import RunDir


def test_checkpoint_round_trip_and_at_formats(tmp_path):
    theta = np.arange(6.0).reshape(2, 3)
    path = save_checkpoint(tmp_path / "c.npz", theta, env_id="policyscape/X-v0", policy="p", num_states=1, num_actions=1)
    p = load_params(f"{path}@1")
    np.testing.assert_array_equal(p.theta, [3.0, 4.0, 5.0])
    assert p.env_id == "policyscape/X-v0"
    with pytest.raises(InputError, match="holds 2 parameter vectors"):
        load_params(str(path))
    with pytest.raises(InputError, match="seed 7 is not in"):
        load_params(f"{path}@7")
    np.save(tmp_path / "flat.npy", np.array([1.0, 2.0]))
    np.testing.assert_array_equal(load_params(str(tmp_path / "flat.npy")).theta, [1.0, 2.0])
    np.testing.assert_array_equal(load_params("0.5,-1,2e-3").theta, [0.5, -1.0, 2e-3])
    with pytest.raises(InputError, match="does not exist"):
        load_params(str(tmp_path / "missing.npz"))
    with pytest.raises(InputError, match="comma-separated list of numbers"):
        load_params("1,abc")


def test_rundir_refuses_other_config(tmp_path):
    run = RunDir(tmp_path / "r").create({"a": 1, "b": {"c": 2}})
    RunDir(run.path).create({"a": 1, "b": {"c": 2}})  # same configuration: fine
    with pytest.raises(InputError, match=r"b.c: 2 \(recorded\) vs 3 \(now\)"):
        RunDir(run.path).create({"a": 1, "b": {"c": 3}})
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.txt").write_text("hi")
    with pytest.raises(InputError, match="not empty and holds no config.json"):
        RunDir(tmp_path / "other").create({})


def test_rundir_left_by_a_process_killed_while_creating_it_is_taken_as_new(tmp_path):
    """A worker killed between mkdir and config.json (a sweep's pool breaking) leaves the lock, the write probe
    or an atomic write's temporary file: the run starts there, not refused as another run's directory."""
    run = tmp_path / "r"
    run.mkdir()
    for name in (".lock", ".write-probe.k2j3", ".config.json.a8f3.tmp"):
        (run / name).write_text("")
    RunDir(run).create({"a": 1})
    assert RunDir(run).read_config() == {"a": 1}
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "tmp").write_text("")  # not one of ours
    with pytest.raises(InputError, match="not empty and holds no config.json"):
        RunDir(tmp_path / "s").create({})


def test_cli_train_evaluate_plot(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--exact", "--seeds", "4", "--updates", "60", "--lr", "0.5", "--checkpoint-every", "30",
                 "--out", str(out), "--no-progress"]) == 0
    for name in ["config.json", "curves.csv", "final.csv", "final.npz", "summary.json", "learning_curves.png",
                 "final_returns.png", "checkpoints/update_000000.npz", "checkpoints/update_000030.npz",
                 "checkpoints/update_000060.npz"]:
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    final = np.array(summary["final_returns"])
    assert summary["frac_optimal"] == np.mean(np.abs(final - summary["optimal_value"]) <= 1e-2)
    assert summary["optimal_value"] == pytest.approx(5 * 0.99**4)
    curves = RunDir(out).read_csv("curves.csv")
    assert len(curves["update"]) == 4 * 61
    capsys.readouterr()

    assert main(["evaluate", "--at", f"{out}/final.npz@2", "--json", "--entropy", "0.01"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["return"] == pytest.approx(final[2], rel=1e-12)
    assert result["value"] == pytest.approx(result["return"] + 0.01 * result["entropy"], rel=1e-12)

    (out / "learning_curves.png").unlink()
    assert main(["plot", str(out)]) == 0
    assert (out / "learning_curves.png").is_file()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["evaluate", "--at", "1,2,3"], "must have length 108"),
        (["evaluate", "--at", "0," * 107 + "nan"], "must be finite, got nan at index 107"),
        (["evaluate", "--env", "policyscape/Nope-v0", "--at", "1"], "unknown environment id 'policyscape/Nope-v0'"),
        (["train", "--exact", "--updates", "0"], "updates must be an integer >= 1, got 0"),
        (["train", "--exact", "--entropy", "-1"], "entropy must be a finite number >= 0, got -1.0"),
        (["train", "--env", "policyscape/Gridworld-v0", "--exact"], "did you mean"),
    ],
)
def test_cli_bad_input_exit_2_no_output(tmp_path, argv, message):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "policyscape.cli", *argv, *(["--out", str(out)] if argv[0] == "train" else [])],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_cli_refuses_different_run_in_same_dir(tmp_path):
    out = tmp_path / "run"
    args = ["train", "--exact", "--seeds", "2", "--updates", "5", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    before = (out / "summary.json").read_text()
    assert main([*args, "--lr", "0.2"]) == 2
    assert (out / "summary.json").read_text() == before


def test_greedy_returns_of_deterministic_corners():
    from policyscape.envs.gridworlds import symmetric_gridworld
    from policyscape.policies.softmax import TabularSoftmaxPolicy
    from policyscape.runs.training import greedy_returns

    mdp = symmetric_gridworld()
    policy = TabularSoftmaxPolicy(mdp.num_states, mdp.num_actions)
    thetas = []
    for action in (1, 3):  # always right → 5γ⁴, always down → 4.5γ⁴, even when only slightly preferred
        logits = np.zeros((mdp.num_states, 4))
        logits[:, action] = 0.01
        thetas.append(policy.from_logits(logits))
    np.testing.assert_allclose(greedy_returns(mdp, np.stack(thetas)), [5 * 0.99**4, 4.5 * 0.99**4], rtol=1e-12)


def test_exact_training_curves_can_be_thinned(tmp_path):
    """curve_every=k keeps updates 0, k, 2k, … and the last, with the same values as the full curves."""
    from policyscape.optimize.exact_pg import ExactTrainConfig
    from policyscape.runs.training import run_exact_training

    config = ExactTrainConfig(seeds=3, updates=25, lr=0.5)
    env = "policyscape/SymmetricGridworld-v0"
    run_exact_training(env, config, tmp_path / "full", show_progress=False)
    run_exact_training(env, config, tmp_path / "thin", show_progress=False, curve_every=10)
    full, thin = RunDir(tmp_path / "full").read_csv("curves.csv"), RunDir(tmp_path / "thin").read_csv("curves.csv")
    assert sorted(set(thin["update"])) == [0, 10, 20, 25]
    keep = np.isin(full["update"], [0, 10, 20, 25])
    for key in full:
        np.testing.assert_array_equal(thin[key], full[key][keep])
    assert (tmp_path / "thin/final.npz").read_bytes() == (tmp_path / "full/final.npz").read_bytes()
    with pytest.raises(InputError, match="curve_every must be an integer >= 1"):
        run_exact_training(env, config, tmp_path / "bad", show_progress=False, curve_every=0)
