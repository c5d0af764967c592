"""The gridworld recipe end to end at the tiny budget; its verdict rules on synthetic numbers on both sides of
each threshold; its numbers against the numpy reference objective and the saved per-seed files."""

import json

import numpy as np
import pytest

from policyscape.recipes import gridworld as g
from policyscape.recipes import verdicts as v
from policyscape.recipes.base import Claim, Figure
from policyscape.recipes.reproduce import run_recipe

GAMMA = 0.99


@pytest.fixture(scope="module")
def grid_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce") / "gridworld"
    run_recipe(g.RECIPE, "tiny", out, progress=False)
    return out


def test_tiny_budget_produces_every_figure_and_claim(grid_dir):
    items = g.RECIPE.assess(grid_dir)
    figures = [i for i in items if isinstance(i, Figure)]
    claims = {i.key: i for i in items if isinstance(i, Claim)}
    assert set(claims) == set(g.RECIPE.claims)
    expected = {g.FIG_STRIP, g.FIG_FRACTION, g.FIG_PERTURB, g.FIG_SUB_OPT, g.FIG_CORNERS, g.FIG_DIP, g.FIG_START}
    assert {f.path for f in figures} == expected
    for f in figures:
        assert (grid_dir / f.path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f.path
    for c in claims.values():
        assert c.verdict in v.VERDICTS and c.measured
        assert all((grid_dir / f).exists() for f in c.figures)
    # exact values: the deterministic-policy path is decided even at the tiny budget
    assert claims["entropy-smooths"].verdict == v.HOLDS
    # τ = 0 solutions: a valley between the sub-optimal and the optimal one
    assert claims["interp-valley"].evidence["tau0_valley"]


def test_rerun_reuses_finished_sub_runs(grid_dir):
    """A second run with the same configuration trains nothing again (summaries are read back)."""
    before = {p: p.stat().st_mtime_ns for p in grid_dir.glob("sweep/*/summary.json")}
    g.run(g.RECIPE.config("tiny"), grid_dir, progress=False)
    assert before and all(p.stat().st_mtime_ns == t for p, t in before.items())


def test_sweep_counts_match_the_saved_final_returns(grid_dir):
    """sweep.json's counts are the seeds of final.csv within the tolerance of the optimum."""
    from policyscape.runs.rundir import RunDir

    sweep = json.loads((grid_dir / "sweep.json").read_text())
    for row in sweep["rows"]:
        final = RunDir(grid_dir / row["dir"]).read_csv("final.csv")
        summary = json.loads((grid_dir / row["dir"] / "summary.json").read_text())
        at_optimum = np.abs(final["return"] - summary["optimal_value"]) <= summary["optimal_tolerance"]
        assert row["optimal"] == int(at_optimum.sum()) and row["seeds"] == final["return"].size


def test_chosen_suboptimal_solution_goes_to_the_4_5_corner(grid_dir):
    solution = json.loads((grid_dir / "solution.json").read_text())
    sub, opt = solution["suboptimal"], solution["optimal"]
    assert sub["greedy_return"] == pytest.approx(4.5 * GAMMA**4, abs=1e-9)
    assert opt["return"] == pytest.approx(5 * GAMMA**4, abs=1e-2)


def test_deterministic_path_matches_the_numpy_reference(grid_dir):
    """Values along "all down" → "all right" against ``objectives.reference.value`` (numpy, closed form)."""
    from policyscape.envs.registry import DEFAULT_ENV_ID, make_tabular
    from policyscape.objectives import reference
    from policyscape.policies.softmax import TabularSoftmaxPolicy
    from policyscape.runs.rundir import RunDir

    mdp = make_tabular(DEFAULT_ENV_ID)
    policy = TabularSoftmaxPolicy(mdp.num_states, mdp.num_actions)
    down, right = g.deterministic_theta(policy, g.DOWN), g.deterministic_theta(policy, g.RIGHT)
    table = RunDir(grid_dir / "interp-down-right").read_csv("interpolation.csv")
    for tau in (0.0, 0.01, 0.5):
        rows = np.flatnonzero(table["variant"] == f"τ = {tau:g}")
        for j in rows[:: max(1, rows.size // 5)]:
            a = table["alpha"][j]
            expected = reference.value(mdp, (1 - a) * down + a * right, tau=tau)
            assert table["value"][j] == pytest.approx(expected, rel=1e-9, abs=1e-9)
    # the ends are the two corners (entropy of a logit-gap-20 policy is ~1e-7)
    assert reference.value(mdp, down) == pytest.approx(4.5 * GAMMA**4, abs=1e-6)
    assert reference.value(mdp, right) == pytest.approx(5 * GAMMA**4, abs=1e-6)


@pytest.mark.parametrize("sub,n,expected", [(40, 256, v.HOLDS), (9, 64, v.PARTLY), (0, 64, v.PARTLY), (0, 200, v.FAILS)])
def test_without_entropy_thresholds(sub, n, expected):
    """Lower end ≥ 10% holds (40/256: [11.8%, 20.5%]); 9/64 = [7.6%, 24.6%] straddles; 0/200 is below 3%."""
    verdict, text, evidence = g.verdict_without_entropy(sub, n)
    assert verdict == expected and f"of {n} seeds" in text
    assert evidence["paper_quarter_in_ci"] == (evidence["ci95"][0] <= 0.25 <= evidence["ci95"][1])


def test_without_entropy_interval_is_the_known_one():
    """The known quick-budget result: 9 of 64 seeds away from the optimum, Wilson [7.6%, 24.6%]."""
    _, _, evidence = g.verdict_without_entropy(9, 64)
    assert evidence["ci95"] == pytest.approx([0.0758, 0.2465], abs=5e-4)


@pytest.mark.parametrize("tau0,entropy,expected", [((20, 64), (0, 64), v.HOLDS), ((9, 64), (18, 64), v.PARTLY),
                                                    ((0, 64), (30, 64), v.FAILS)])
def test_entropy_helps_is_a_positive_reduction(tau0, entropy, expected):
    verdict, _, evidence = g.verdict_entropy_helps(tau0, entropy)
    assert verdict == expected
    assert evidence["reduction"] == pytest.approx(tau0[0] / tau0[1] - entropy[0] / entropy[1])


@pytest.mark.parametrize("optimal,n,expected", [(64, 64, v.HOLDS), (60, 64, v.PARTLY), (40, 64, v.FAILS)])
def test_best_schedule_thresholds(optimal, n, expected):
    """64/64: lower end 94.3% ≥ 90%; 60/64: [85%, 97.5%] straddles 90%; 40/64: upper end below 90%."""
    assert g.verdict_best_schedule(optimal, n)[0] == expected


def test_best_entropy_row_ignores_tau0_and_takes_the_first_maximum():
    rows = [{"entropy": 0.0, "optimal": 64, "seeds": 64}, {"entropy": 1.0, "optimal": 30, "seeds": 64},
            {"entropy": 0.1, "optimal": 50, "seeds": 64}, {"entropy": 0.5, "optimal": 50, "seeds": 64}]
    assert g.best_entropy_row(rows) is rows[2]


def perturb_counts(flat, ent, mix, n=500, alpha=0.1):
    return {"alpha": alpha, "directions": n, "flat_tau0": flat, "improving_entropy": ent, "improving_mix": mix}


@pytest.mark.parametrize("parts,expected", [
    ([perturb_counts(500, 400, 500), perturb_counts(480, 300, 500, alpha=1.0)], v.HOLDS),
    ([perturb_counts(500, 53, 499)], v.PARTLY),       # improving with τ = 0.01: [8.2%, 13.6%] straddles 5%–25%
    ([perturb_counts(400, 400, 500)], v.PARTLY),      # 80% flat: below 90%, above 50%
    ([perturb_counts(100, 5, 5)], v.FAILS),           # neither flat at τ = 0 nor improving elsewhere
])
def test_perturb_flat_combines_every_part(parts, expected):
    verdict, text, evidence = g.verdict_perturb_flat(parts)
    assert verdict == expected
    assert len(evidence["per_alpha"]) == len(parts) and "α = " in text


@pytest.mark.parametrize("start,minimum,monotone,expected", [(4.32, 2.8, True, v.HOLDS), (4.32, 2.8, False, v.PARTLY),
                                                             (4.32, 4.32, True, v.PARTLY), (4.32, 4.32, False, v.FAILS)])
def test_interp_valley_rule(start, minimum, monotone, expected):
    assert g.verdict_interp_valley(start, minimum, monotone)[0] == expected


def test_dip_depth_definition():
    alphas = np.linspace(0, 1, 5)
    assert g.dip_depth(alphas, np.array([4.0, 3.0, 1.0, 3.0, 5.0])) == pytest.approx(3.0)  # min(ends) − min
    assert g.dip_depth(alphas, np.array([4.0, 6.0, 9.0, 6.0, 5.0])) == 0.0  # a hump is no dip
    # points outside [0, 1] do not count
    assert g.dip_depth(np.array([-0.5, 0, 1, 1.5]), np.array([-9.0, 4.0, 5.0, -9.0])) == 0.0


@pytest.mark.parametrize("depths,expected", [
    ({0.0: 3.7, 0.01: 3.1, 0.1: 0.4, 0.5: 0.0}, v.HOLDS),
    ({0.0: 3.7, 0.01: 3.9, 0.1: 0.4, 0.5: 0.0}, v.FAILS),   # grows somewhere
    ({0.0: 3.7, 0.01: 3.1, 0.1: 0.4, 0.5: 0.2}, v.FAILS),   # a dip is left at the largest τ
])
def test_entropy_smooths_rule(depths, expected):
    verdict, text, evidence = g.verdict_entropy_smooths(depths)
    assert verdict == expected and evidence["taus"] == sorted(depths) and text.startswith("dip depth")
