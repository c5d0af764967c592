"""One update away: the summary against direct numpy/scipy computations, the gridworld's update distribution
against exact computations (issue 14, item 5), resumption, the command and its refusals."""

import math

import numpy as np
import pytest
from scipy import stats

from policyscape.errors import InputError
from policyscape.files import SavedRun
from policyscape.landscape.update import analyse, check_update, cvar_lower
from policyscape.objectives.registry import Sampling, make_objective
from policyscape.runs.beyond import run_update_distribution
from policyscape.runs.landscape import Point

GRID = "policyscape/SymmetricGridworld-v0"


def _gridworld():
    exact, sampled = make_objective(GRID), make_objective(GRID, sampling=Sampling(episodes=1))
    return exact, sampled, exact.policy.initial_params(seed=3, num_seeds=1, scale=1.0)[0]


def test_analyse_against_direct_computations():
    rng = np.random.default_rng(0)
    values = 1.0 + rng.normal(0.2, 1.0, size=57)
    values[[3, 10]] = [np.nan, np.inf]  # counted, never averaged
    s = analyse(values, 1.0, cvar_level=0.1)
    d = values[np.isfinite(values)] - 1.0
    assert s["samples"] == 57 and s["nonfinite"] == 2 and s["finite"] == 55
    assert s["decreases"] == int(np.sum(d < 0))
    assert s["probability_of_decrease"]["estimate"] == pytest.approx(np.mean(d < 0))
    # Wilson score interval, written out: (p + z²/2n ± z√(p(1−p)/n + z²/4n²)) / (1 + z²/n)
    p, n, z = np.mean(d < 0), d.size, stats.norm.ppf(0.975)
    centre, half = (p + z * z / (2 * n)) / (1 + z * z / n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert s["probability_of_decrease"]["lo"] == pytest.approx(centre - half)
    assert s["probability_of_decrease"]["hi"] == pytest.approx(centre + half)
    t = stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n)
    assert s["mean_improvement"]["lo"] == pytest.approx(d.mean() - t) and s["mean_improvement"]["hi"] == pytest.approx(d.mean() + t)
    assert s["cvar_improvement"] == pytest.approx(np.sort(d)[:6].mean())  # ⌈0.1 · 55⌉ = 6 worst
    assert cvar_lower(np.array([3.0, 1.0, 2.0]), 0.5) == 1.5 and cvar_lower(np.array([3.0, 1.0]), 0.01) == 1.0
    assert analyse(np.array([np.nan, np.nan]), 0.0)["mean_improvement"] is None
    for bad in [dict(lr=0.0), dict(lr=-1.0), dict(lr=float("nan")), dict(batch_episodes=1), dict(samples=1)]:
        with pytest.raises(InputError):
            check_update(**{"lr": 0.1, "batch_episodes": 4, "samples": 4, **bad})


def test_gridworld_update_distribution_agrees_with_exact_computations(tmp_path):
    """Cross-check (issue 14, item 5) on the gridworld at a random θ0, 200 updates of lr 0.005 from 16 episodes each,
    the unbiased weighting (E[ĝ] = ∇O exactly, up to the 1e-6 truncation of the episodes):

    1. each θ_s's saved value is the exact objective at θ0 + lr·ĝ_s (from gradients.npy), to 1e-12;
    2. each improvement Δ_s matches the second-order Taylor expansion lr∇O·ĝ_s + (lr²/2)ĝ_sᵀHĝ_s (autodiff gradient
       and Hessian) within 1% of max|Δ| (the remainder is third order: measured ~0.2%);
    3. the mean first-order term lr∇O·ĝ_s estimates lr‖∇O‖² (unbiased ĝ): within 4 standard errors of the samples;
    4. the mean improvement agrees with the exact-gradient step O(θ0 + lr∇O) − O(θ0) within 4 of its standard
       errors plus the second-order allowance (lr²/2)·‖H‖₂·mean‖ĝ_s‖² (E[Δ] and the exact step differ by
       (lr²/2)(E[ĝᵀHĝ] − ∇OᵀH∇O) at second order).
    """
    exact, sampled, theta0 = _gridworld()
    lr, S = 0.005, 200
    s = run_update_distribution(exact, Point(theta0, "init"), tmp_path / "u", GRID, {}, lr, 16, S, estimator=sampled,
                                weighting="unbiased", seed=1, show_progress=False)
    G = np.load(tmp_path / "u" / "gradients.npy")
    table = SavedRun(tmp_path / "u").read_csv("updates.csv")
    value0 = float(exact.evaluate(theta0[None])["value"][0])
    assert s["value_at_theta0"] == pytest.approx(value0, abs=1e-12)
    np.testing.assert_allclose(table["value"], exact.evaluate(theta0[None] + lr * G)["value"], rtol=0, atol=1e-12)
    g, H = exact.grad(theta0), exact.hessian(theta0)
    first, second = lr * G @ g, 0.5 * lr**2 * np.einsum("si,ij,sj->s", G, H, G)
    delta = table["improvement"]
    assert np.abs(delta - first - second).max() < 0.01 * np.abs(delta).max()
    np.testing.assert_allclose(table["first_order"], first, rtol=1e-12, atol=1e-15)
    se_first = first.std(ddof=1) / math.sqrt(S)
    assert abs(first.mean() - lr * g @ g) < 4 * se_first
    step = s["exact_gradient"]["step_improvement"]
    assert step == pytest.approx(float(exact.evaluate((theta0 + lr * g)[None])["value"][0]) - value0, abs=1e-12)
    allowance = 0.5 * lr**2 * np.linalg.norm(H, 2) * np.mean(np.sum(G**2, axis=1))
    se_mean = delta.std(ddof=1) / math.sqrt(S)
    assert abs(s["mean_improvement"]["estimate"] - step) < 4 * se_mean + allowance
    assert 4 * se_mean + allowance < 0.6 * step  # the check has teeth: the tolerance is below the effect itself


def test_command_numbers_from_the_table_resume_and_redraw(tmp_path, capsys):
    from policyscape.cli import main

    exact, _, theta0 = _gridworld()
    np.save(tmp_path / "theta.npy", theta0)
    out = tmp_path / "cmd"
    args = ["update-distribution", "--env", GRID, "--at", str(tmp_path / "theta.npy"), "--lr", "0.5",
            "--batch-episodes", "4", "--samples", "40", "--cvar-level", "0.2", "--no-progress"]
    assert main([*args, "--out", str(out)]) == 0
    assert "P(decrease)" in capsys.readouterr().out
    s = SavedRun(out).read_json("summary.json")
    table = SavedRun(out).read_csv("updates.csv")
    d = table["value"] - s["value_at_theta0"]
    np.testing.assert_allclose(table["improvement"], d, atol=1e-12)
    assert s["decreases"] == int(np.sum(d < 0)) and s["probability_of_decrease"]["estimate"] == pytest.approx(np.mean(d < 0))
    assert s["cvar_improvement"] == pytest.approx(np.sort(d)[:8].mean())  # ⌈0.2 · 40⌉ = 8
    assert s["mean_improvement"]["estimate"] == pytest.approx(d.mean())
    G = np.load(out / "gradients.npy")  # the update is plain SGD: θ_s = θ0 + lr·ĝ_s, evaluated exactly
    np.testing.assert_allclose(table["value"], exact.evaluate(theta0[None] + 0.5 * G)["value"], atol=1e-12)
    # resume: a run cut after its first chunk finishes byte for byte as the uninterrupted one
    part = tmp_path / "part"
    for o in (out, part):
        run_update_distribution(exact, Point(theta0, str(tmp_path / "theta.npy")), tmp_path / f"{o.name}-api", GRID,
                                {}, 0.5, 4, 40, estimator=make_objective(GRID, sampling=Sampling(episodes=1)),
                                chunk_size=8, show_progress=False)
    points = tmp_path / "part-api" / "points" / "updates.csv"
    points.write_text("".join(points.read_text().splitlines(keepends=True)[:1 + 8]))
    (tmp_path / "part-api" / "summary.json").unlink()
    run_update_distribution(exact, Point(theta0, str(tmp_path / "theta.npy")), tmp_path / "part-api", GRID, {}, 0.5,
                            4, 40, estimator=make_objective(GRID, sampling=Sampling(episodes=1)), chunk_size=8,
                            show_progress=False)
    for name in ("summary.json", "updates.csv", "gradients.npy", "points/updates.csv"):
        assert (tmp_path / "part-api" / name).read_bytes() == (tmp_path / "cmd-api" / name).read_bytes(), name
    (out / "update_distribution.png").unlink()
    assert main(["plot", str(out)]) == 0 and (out / "update_distribution.png").exists()
    flags = {"--env": GRID, "--at": str(tmp_path / "theta.npy"), "--lr": "0.5", "--batch-episodes": "4",
             "--samples": "40"}
    for flag, value in (("--lr", "0"), ("--lr", "-0.1"), ("--samples", "1"), ("--batch-episodes", "1")):
        given = sum(([k, v] for k, v in {**flags, flag: value}.items()), [])
        assert main(["update-distribution", *given, "--out", str(tmp_path / "bad"), "--no-progress"]) == 2, flag
        assert not (tmp_path / "bad").exists()


def test_sampled_env_one_update_with_common_random_numbers(tmp_path):
    # CartPole at θ0 = 0 (uniform policy): every θ is evaluated on the same 16 start states and noise (CRN), so
    # O(θ0) is the same number as a separate evaluation; the values match evaluate() at θ0 + lr·ĝ_s.
    objective = make_objective("CartPole-v1", sampling=Sampling(episodes=16, max_steps=100))
    theta0 = np.zeros(objective.num_params)
    s = run_update_distribution(objective, Point(theta0, "zeros"), tmp_path / "c", "CartPole-v1", {}, 0.05, 8, 12,
                                show_progress=False)
    table = SavedRun(tmp_path / "c").read_csv("updates.csv")
    G = np.load(tmp_path / "c" / "gradients.npy")
    np.testing.assert_allclose(table["value"], objective.evaluate(theta0[None] + 0.05 * G)["value"], rtol=1e-12)
    assert s["value_at_theta0"] == pytest.approx(float(objective.evaluate(theta0[None])["value"][0]), rel=1e-12)
    assert s["evaluation"] == "sampled" and "exact_gradient" not in s and s["nonfinite"] == 0
    assert s["mean_improvement"]["estimate"] == pytest.approx(float(np.mean(table["value"]) - s["value_at_theta0"]))
