"""The mujoco-learning recipe: end to end at the tiny budget, and each claim's verdict logic on synthetic numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from policyscape.recipes import mujoco_common as mc
from policyscape.recipes import mujoco_learning as ml
from policyscape.recipes.base import Claim, Figure
from policyscape.recipes.verdicts import FAILS, HOLDS, PARTLY, VERDICTS, Interval


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from policyscape.recipes.reproduce import run_recipe

    out = tmp_path_factory.mktemp("recipes") / "mujoco-learning"
    run_recipe(ml.RECIPE, "tiny", out, progress=False)
    return out


def test_tiny_budget_end_to_end(tiny_run):
    items = ml.RECIPE.assess(tiny_run)
    figures = [i for i in items if isinstance(i, Figure)]
    claims = {i.key: i for i in items if isinstance(i, Claim)}
    assert {f.path for f in figures} == {"learning_curves_Hopper.png", "learning_curves_HalfCheetah.png", "lr_sweep.png"}
    for f in figures:
        assert (tiny_run / f.path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(claims) == set(ml.RECIPE.claims)  # tiny covers every claim (larger-sigma on Hopper only)
    for c in claims.values():
        assert c.verdict in VERDICTS and c.measured
        assert all((tiny_run / f).exists() for f in c.figures)


def test_tiny_sweep_layout_and_scores_match_curves(tiny_run):
    config = ml.TINY
    scores = ml.read_scores(tiny_run, "auc")
    assert set(scores) == {(e, s, lr) for e in config.envs for s in config.sigmas for lr in config.lrs}
    # the saved score is the mean of the deterministic returns in the run's own curves.csv (independent read)
    import csv

    path = mc.sub_run_path(tiny_run, "Hopper-v5", 1.0, 0.01)
    with open(path / "curves.csv") as f:
        det = [float(r["deterministic_return"]) for r in csv.DictReader(f)]
    assert len(det) == config.updates + 1  # eval_every = 1, one seed
    assert scores[("Hopper-v5", 1.0, 0.01)][0] == pytest.approx(sum(det) / len(det))


def test_rerun_reuses_finished_subruns(tiny_run):
    path = mc.sub_run_path(tiny_run, "Hopper-v5", 0.1, 0.001)
    before = (path / "summary.json").stat().st_mtime_ns
    ml.run(ml.TINY, tiny_run, progress=False)
    assert (path / "summary.json").stat().st_mtime_ns == before


def test_common_helpers():
    assert mc.log_grid(-3, -1, 2) == (0.001, 0.003162, 0.01, 0.03162, 0.1)
    assert mc.log_grid(-4, -1, 1) == (0.0001, 0.001, 0.01, 0.1)
    R = np.array([[1.0, 2.0], [3.0, 6.0]])  # [E=2 evaluations, K=2 seeds]
    assert mc.curve_scores(R, "auc").tolist() == [2.0, 4.0]
    assert mc.curve_scores(R, "final").tolist() == [3.0, 6.0]
    assert mc.best_lr({0.1: np.array([1.0, 3.0]), 0.01: np.array([2.0, 2.0]), 1.0: np.array([np.nan, 5.0])}) == 0.01
    assert mc.best_lrs({("H", 0.1, 0.1): np.array([1.0]), ("H", 0.1, 0.2): np.array([2.0])}) == {("H", 0.1): 0.2}


def test_larger_sigma_verdicts():
    rng = np.random.default_rng(0)
    small = 100 + rng.normal(0, 5, 8)
    big = {"Hopper-v5": (small + 50, small), "Walker2d-v5": (small + 40, small)}
    assert ml.verdict_larger_sigma(big, 0.1, 1.0)[0] == HOLDS
    worse = {"Hopper-v5": (small - 50, small), "Walker2d-v5": (small - 40, small)}
    assert ml.verdict_larger_sigma(worse, 0.1, 1.0)[0] == FAILS
    mixed = {"Hopper-v5": (small + 50, small), "Walker2d-v5": (small - 40, small)}
    verdict, measured, evidence = ml.verdict_larger_sigma(mixed, 0.1, 1.0)
    assert verdict == PARTLY and "Hopper" in measured and evidence["Walker2d-v5"]["verdict"] == FAILS
    undecided = {"Hopper-v5": (small + rng.normal(0, 20, 8), small)}
    assert ml.verdict_larger_sigma(undecided, 0.1, 1.0)[0] in (PARTLY, HOLDS, FAILS)


def test_halfcheetah_verdicts():
    base = np.array([1000.0, 1010.0, 990.0, 1005.0, 995.0])
    assert ml.verdict_halfcheetah_sigma(base + 20, base, 0.1, 1.0)[0] == HOLDS  # 2% apart
    assert ml.verdict_halfcheetah_sigma(base * 2, base, 0.1, 1.0)[0] == FAILS  # 50% apart
    noisy = np.array([500.0, 1500.0, 800.0, 1200.0, 1000.0])
    assert ml.verdict_halfcheetah_sigma(noisy * 1.15, noisy, 0.1, 1.0)[0] == PARTLY
    _, _, ev = ml.verdict_halfcheetah_sigma(base * 0.9, base, 0.1, 1.0)
    assert ev["relative"]["estimate"] == pytest.approx(-0.1)
    assert ml.absolute_interval(Interval(-0.1, -0.3, 0.2)) == Interval(0.1, 0.0, 0.3)
    assert ml.absolute_interval(Interval(-0.2, -0.3, -0.1)) == Interval(0.2, 0.1, 0.3)


@pytest.mark.parametrize("lr_large, lr_small, expected", [
    (0.01, 0.001, HOLDS), (0.003162, 0.001, HOLDS), (0.002, 0.001, PARTLY), (0.001, 0.001, FAILS), (0.001, 0.01, FAILS),
])
def test_best_lr_ratio_verdicts(lr_large, lr_small, expected):
    grid = mc.log_grid(-4, -1, 2)
    verdict, measured, evidence = ml.verdict_best_lr_ratio(lr_large, lr_small, 0.1, 1.0, grid)
    assert verdict == expected
    assert evidence["ratio"] == pytest.approx(lr_large / lr_small)
    assert "Hopper" in measured
    assert evidence["grid_step"] == pytest.approx(math.sqrt(10), rel=1e-3)


def test_halfcheetah_sweep_range_sets_the_scale_near_zero_returns():
    large, small = np.array([-3.0, -4.0, -5.0]), np.array([-0.5, 0.0, 0.5])
    assert ml.verdict_halfcheetah_sigma(large, small, 0.1, 1.0)[0] != HOLDS  # −4 vs 0: relative to |−4| it is 100%
    verdict, _, evidence = ml.verdict_halfcheetah_sigma(large, small, 0.1, 1.0, sweep_range=200.0)
    assert verdict == HOLDS and evidence["scale"] == 200.0


def test_tiny_sweep_on_a_local_pool_gives_the_same_scores(tiny_run, tmp_path):
    """The recipe trains through the sweep engine on its executor: 2 local workers, the same numbers."""
    from policyscape.recipes.reproduce import run_recipe
    from policyscape.runs.executor import LocalExecutor

    out = tmp_path / "mujoco-learning"
    with LocalExecutor(2) as executor:
        run_recipe(ml.RECIPE, "tiny", out, progress=False, executor=executor)
    assert (out / ml.SCORES_FILE).read_bytes() == (tiny_run / ml.SCORES_FILE).read_bytes()
    path = mc.sub_run_path(out, "Hopper-v5", 1.0, 0.01)
    assert (path / "curves.csv").read_bytes() == (mc.sub_run_path(tiny_run, "Hopper-v5", 1.0, 0.01) / "curves.csv").read_bytes()


def test_seeds_to_decide_by_hand_and_by_simulation():
    # δ = 10, s_a = s_b = 2: n = 2 gives (t.975(2) + t.8(2))·√(8/2) = 10.73 > 10; n = 3: 3.717·√(8/3) = 6.07 ≤ 10
    assert mc.seeds_to_decide([10, 12, 14], [0, 2, 4]) == 3
    assert mc.seeds_to_decide([1, 2, 3], [1, 2, 3]) == 1000  # no difference: never decided
    # equivalence within ±m needs the interval's half-width below m − |δ|
    assert mc.seeds_to_decide([0, 2, 4], [0, 2, 4], margin=1.0) > mc.seeds_to_decide([0, 2, 4], [0, 2, 4], margin=4.0)
    # at the returned n, Welch intervals of data drawn like the pilot exclude 0 with probability ≈ power
    from policyscape.recipes.verdicts import mean_difference_interval

    rng = np.random.default_rng(0)
    n = mc.seeds_to_decide([1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 2.0, 3.0])  # δ = 1, s = 1.29 per arm
    assert 20 <= n <= 40  # normal approximation: (1.96 + 0.84)² · 2 · 1.667 ≈ 26
    hits = [mean_difference_interval(rng.normal(1.0, 1.29, n), rng.normal(0.0, 1.29, n)).lo > 0 for _ in range(2000)]
    assert 0.76 <= np.mean(hits) <= 0.86
    assert mc.directions_to_decide(0.85, 0.05) == 196  # 1.96² · 0.85 · 0.15 / 0.05² = 195.9


def test_decisive_config_from_a_pilot(tmp_path):
    from policyscape.runs.rundir import RunDir

    rows = []
    for k in range(3):  # Hopper: σ = 1 clearly better; HalfCheetah: equal within noise
        rows += [("Hopper-v5", 0.1, 0.01, k, 10.0 + k, 0.0, 1.0), ("Hopper-v5", 1.0, 0.01, k, 20.0 + k, 0.0, 1.0),
                 ("HalfCheetah-v5", 0.1, 0.01, k, 100.0 + 5 * k, 0.0, 1.0),
                 ("HalfCheetah-v5", 1.0, 0.01, k, 101.0 + 5 * k, 0.0, 1.0)]
    RunDir(tmp_path).write_csv(ml.SCORES_FILE, ["env", "sigma", "lr", "seed", "auc", "final", "env_steps"], rows)
    config, needed = ml.decisive_config(tmp_path)
    hopper = needed["larger-sigma Hopper-v5"]
    assert hopper == mc.seeds_to_decide([20.0, 21.0, 22.0], [10.0, 11.0, 12.0]) and hopper <= 5
    cheetah = needed["halfcheetah-sigma HalfCheetah-v5"]
    assert cheetah == mc.seeds_to_decide([101.0, 106.0, 111.0], [100.0, 105.0, 110.0], margin=0.2 * 106.0)
    assert config.seeds == max(ml.FULL.seeds, hopper, cheetah) and config.updates == ml.FULL.updates
