"""The landscape commands on sampled objectives: layouts, noise, σ variants, dry runs, errors."""

import json

import numpy as np
import pytest

from policyscape.api import evaluate
from policyscape.cli import main
from policyscape.objectives.registry import Sampling, make_objective

GRID = "policyscape/SymmetricGridworld-v0"
HOPPER_ZERO = ",".join(["0"] * 36)  # Hopper-v5: 11 observations × 3 actions + 3 biases


def test_tabular_checkpoint_exact_and_sampled_agree():
    """The same θ (exact objective's layout) sampled: discounted return within 3 SE of the exact return."""
    exact = make_objective(GRID)
    logits = np.full((26, 4), -1.0)
    logits[:, 1] = 1.0  # mostly right, some down
    theta = exact.policy.from_logits(logits)
    sampled = evaluate(theta, env=GRID, sampling=Sampling(episodes=300, seed=3))
    exact_return = exact.evaluate(theta)["return"][0]
    assert abs(sampled["discounted_return"] - exact_return) < 3 * sampled["discounted_stderr"]
    assert sampled["env_steps"] > 300


def test_perturb_on_a_sampled_objective_measures_noise(tmp_path, capsys):
    out = tmp_path / "p"
    argv = ["perturb", "--env", "Hopper-v5", "--at", HOPPER_ZERO, "--directions", "6", "--alpha", "0.3",
            "--episodes", "3", "--max-steps", "40", "--noise-evaluations", "4", "--out", str(out), "--no-progress"]
    assert main([*argv, "--dry-run"]) == 0
    assert "dry run: 17 points" in capsys.readouterr().out and not out.exists()
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["noise"]["evaluations"] == 4 and summary["noise"]["std"] > 0
    assert summary["significance_tolerance"] == pytest.approx(2 * summary["noise"]["std"])
    again = make_objective("Hopper-v5", sampling=Sampling(episodes=3, max_steps=40, seed=0))
    values = [again.evaluate(np.zeros((1, 36)), seed=(0, 1 + r))["value"][0] for r in range(4)]
    assert summary["noise"]["values"] == pytest.approx(values, rel=1e-12)


def test_interpolate_under_several_sigmas(tmp_path):
    out = tmp_path / "i"
    assert main(["interpolate", "--env", "Hopper-v5", "--at", HOPPER_ZERO, "--to", ",".join(["0.05"] * 36),
                 "--alphas", "0:1:3", "--sigma", "0,0.5", "--episodes", "2", "--max-steps", "30",
                 "--out", str(out), "--no-progress"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["variants"]) == {"σ=0", "σ=0.5"}
    sigma0 = make_objective("Hopper-v5", sampling=Sampling(sigma=0.0, episodes=2, max_steps=30))
    assert summary["variants"]["σ=0"]["value_at_anchors"][0] == pytest.approx(sigma0.evaluate(np.zeros(36))["value"][0])


@pytest.mark.parametrize("argv, message", [
    (["evaluate", "--env", "toy/saddle", "--at", "0,0", "--sigma", "0.5"], "applies to sampled objectives"),
    (["evaluate", "--env", "Hopper-v5", "--at", HOPPER_ZERO, "--sigma=-1"], "sigma must be a finite number >= 0"),
    (["evaluate", "--env", "Hopper-v5", "--at", "1,2"], "must have length 36"),
    (["evaluate", "--env", "Hopper-v5", "--at", HOPPER_ZERO, "--episodes", "0"], "episodes must be an integer >= 1"),
    (["evaluate", "--env", "Hoper-v5", "--at", "1"], "did you mean 'Hopper-v5'"),
])
def test_sampled_bad_input(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_reinforce_train_then_perturb_a_checkpoint(tmp_path, capsys):
    run = tmp_path / "train"
    assert main(["train", "--env", "CartPole-v1", "--lr", "0.1", "--batch-episodes", "8", "--updates", "6",
                 "--seeds", "2", "--eval-every", "3", "--max-steps", "100", "--out", str(run), "--no-progress"]) == 0
    for name in ("config.json", "curves.csv", "final.npz", "summary.json", "learning_curves.png",
                 "checkpoints/update_000003.npz"):
        assert (run / name).is_file(), name
    curves = np.loadtxt(run / "curves.csv", delimiter=",", skiprows=1)
    assert curves.shape == (3 * 2, 8)  # evaluations at updates 0, 3, 6 × 2 seeds
    out = tmp_path / "perturb"
    assert main(["perturb", "--at", f"{run}/checkpoints/update_000003.npz@1", "--directions", "3", "--episodes", "2",
                 "--max-steps", "50", "--noise-evaluations", "2", "--out", str(out), "--no-progress"]) == 0
    assert json.loads((out / "summary.json").read_text())["env_id"] == "CartPole-v1"
    assert main(["train", "--env", GRID, "--out", str(tmp_path / "x")]) == 2
    assert "pass --exact" in capsys.readouterr().err
