"""The ``beyond`` recipe at the tiny budget, its numbers against references recomputed from the saved files, and
its verdict functions on synthetic numbers on both sides of their thresholds."""

import numpy as np
import pytest

from policyscape.files import SavedRun
from policyscape.recipes import beyond
from policyscape.recipes import verdicts as v
from policyscape.recipes.base import Claim, Figure
from policyscape.recipes.reproduce import RECIPE_MODULES, run_recipe


def test_tiny_budget_numbers_match_the_saved_tables(tmp_path):
    out = tmp_path / "beyond"
    run_recipe(beyond.RECIPE, "tiny", out, progress=False)
    items = beyond.RECIPE.assess(out)
    claims = {i.key: i for i in items if isinstance(i, Claim)}
    assert set(claims) == set(beyond.RECIPE.claims) and "beyond" in RECIPE_MODULES
    for f in (i for i in items if isinstance(i, Figure)):
        assert (out / f.path).read_bytes()[:4] == b"\x89PNG", f.path
    solutions = SavedRun(out).read_json("solutions.json")
    # the sub-optimal seed really is sub-optimal under τ = 0 and was compared with the same seed trained with entropy
    train0 = SavedRun(out / "train" / "tau0").read_json("summary.json")
    k = solutions["sub_optimal_seed"]
    assert k is not None and train0["final_returns"][k] < train0["optimal_value"] - train0["optimal_tolerance"]
    # P(decrease) and the claim's counts, recomputed from the saved tables
    counts = {}
    for name in ("sub-tau0", "sub-tau"):
        table = SavedRun(out / "update" / name).read_csv("updates.csv")
        s = SavedRun(out / "update" / name).read_json("summary.json")
        d = table["value"] - s["value_at_theta0"]
        counts[name] = (int(np.sum(d < 0)), d.size)
        assert s["cvar_improvement"] == pytest.approx(np.sort(d)[: int(np.ceil(0.1 * d.size))].mean())
    evidence = claims["entropy-fewer-decreases"].evidence
    assert tuple(evidence["without"]) == counts["sub-tau0"] and tuple(evidence["with_entropy"]) == counts["sub-tau"]
    d = v.difference_interval(counts["sub-tau0"], counts["sub-tau"])
    assert claims["entropy-fewer-decreases"].verdict == v.positive(d)
    # O(θ0) of the update distributions is the exact return of the training run's final θ of that seed
    s0 = SavedRun(out / "update" / "sub-tau0").read_json("summary.json")
    assert s0["value_at_theta0"] == pytest.approx(train0["final_returns"][k], rel=1e-9)
    # the trajectory plane's share: an independent SVD of the checkpoints centred on the last
    from policyscape.runs.beyond import trajectory_from_run

    thetas = np.stack([p.theta for p in trajectory_from_run(out / "train" / "tau0", k)])
    sv = np.linalg.svd(thetas - thetas[-1], compute_uv=False) ** 2
    share = claims["trajectory-plane"].evidence["two_axis_share"]["trajectory/sub-tau0"]
    assert share == pytest.approx(sv[:2].sum() / sv.sum(), rel=1e-9)
    # Hopper: the mean improvement recomputed from its table
    hs = SavedRun(out / "hopper" / "update").read_json("summary.json")
    ht = SavedRun(out / "hopper" / "update").read_csv("updates.csv")
    assert hs["mean_improvement"]["estimate"] == pytest.approx(np.mean(ht["value"]) - hs["value_at_theta0"])
    assert claims["hopper-one-update"].verdict in (v.HOLDS, v.PARTLY, v.FAILS)


def _update(decreases, n, mean=0.0, cvar=-1.0):
    return {"decreases": decreases, "finite": n, "samples": n, "nonfinite": 0, "value_at_theta0": 1.0,
            "cvar_level": 0.1, "cvar_improvement": cvar,
            "mean_improvement": {"estimate": mean, "lo": mean - 0.1, "hi": mean + 0.1},
            "probability_of_decrease": {"estimate": decreases / n, "lo": 0.0, "hi": 1.0}}


@pytest.mark.parametrize("without,with_entropy,expected", [
    ((40, 100), (10, 100), v.HOLDS),    # 40% vs 10%: entropy lowers it beyond the interval
    ((10, 100), (40, 100), v.FAILS),    # the other way round
    ((20, 100), (18, 100), v.PARTLY),   # within the interval
])
def test_decrease_claim_thresholds(without, with_entropy, expected):
    assert beyond.decrease_claim(_update(*without), _update(*with_entropy))[0] == expected


def test_cliff_claim_and_plane_claim_thresholds():
    cliff = {"step_before": 3.0, "step_after": 4.0, "drop": 1.0}
    line = {"cliffs": [cliff], "best_step": 3.0, "best_improvement": 0.5, "overshoot_step": 4.0}
    assert beyond.cliff_claim(line, 10.0)[0] == v.HOLDS
    assert beyond.cliff_claim(line, 3.5)[0] == v.FAILS  # the cliff ends beyond the step asked about
    assert beyond.cliff_claim({**line, "cliffs": []}, 10.0)[0] == v.FAILS
    assert beyond.plane_claim({"a": ([0.8, 0.15, 0.05], 10)})[0] == v.HOLDS
    assert beyond.plane_claim({"a": ([0.6, 0.2, 0.2], 10)})[0] == v.FAILS
    assert beyond.plane_claim({"a": ([0.8, 0.15], 10), "b": ([0.5, 0.1], 10)})[0] == v.PARTLY
    only_three = beyond.plane_claim({"a": ([0.5, 0.5], 3)})
    assert only_three[0] == v.NOT_RUN and only_three[2]["left_out"] == ["a"]  # in a plane by construction


@pytest.mark.parametrize("mean,expected", [(0.5, v.HOLDS), (-0.5, v.FAILS), (0.05, v.PARTLY)])
def test_improvement_claim_thresholds(mean, expected):
    assert beyond.improvement_claim(_update(1, 10, mean=mean))[0] == expected
