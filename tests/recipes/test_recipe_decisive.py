"""The ``decisive`` budget (issue 12): a pilot sizes the seeds of the sweep from its own measured spread.

Checked against an independent reading of the pilot's saved scores: the best learning rate per σ is recomputed
from ``scores.csv`` with the csv module, the seeds with :func:`mujoco_common.seeds_to_decide` (tested by hand and
by simulation in test_recipe_mujoco_learning), and the sweep must then hold exactly that many seeds per run.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict

import numpy as np
import pytest

from policyscape.cli import main
from policyscape.errors import InputError
from policyscape.recipes import mujoco_common as mc
from policyscape.recipes import mujoco_learning as ml
from policyscape.recipes.reproduce import parse_overrides, reproduce

#: a decisive run of seconds: Hopper only, 2 learning rates, 3 updates of 4 short episodes.
SMALL = {"envs": ("Hopper-v5",), "lrs": (0.001, 0.01), "updates": 3, "batch_episodes": 4, "eval_every": 1,
         "eval_episodes": 2, "max_steps": 100}


def _pilot_scores(path):
    """``scores.csv`` → {(σ, lr): {seed: auc}} read with the csv module."""
    out = defaultdict(dict)
    with open(path / "scores.csv", newline="") as f:
        for row in csv.DictReader(f):
            out[(float(row["sigma"]), float(row["lr"]))][int(row["seed"])] = float(row["auc"])
    return out


@pytest.fixture(scope="module")
def decisive_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("decisive")
    reproduce(["mujoco-learning"], "decisive", out, progress=False, configs={"mujoco-learning": SMALL})
    return out


def test_pilot_sizes_the_seeds_of_the_sweep(decisive_run):
    pilot, recipe = decisive_run / "mujoco-learning.pilot", decisive_run / "mujoco-learning"
    pilot_config = json.loads((pilot / "config.json").read_text())["config"]
    assert pilot_config["seed"] != json.loads((recipe / "config.json").read_text())["config"]["seed"]
    assert pilot_config["seeds"] == ml.PILOT.seeds and pilot_config["envs"] == ["Hopper-v5"]  # overrides reach it

    scores = _pilot_scores(pilot)
    arms = {}
    for sigma in (0.1, 1.0):
        means = {lr: np.mean(list(v.values())) for (s, lr), v in scores.items() if s == sigma}
        best = max(means, key=means.get)
        arms[sigma] = [scores[(sigma, best)][k] for k in sorted(scores[(sigma, best)])]
    needed = mc.seeds_to_decide(arms[1.0], arms[0.1], max_seeds=ml.DECISIVE_MAX_SEEDS)
    record = json.loads((recipe / "decisive.json").read_text())
    assert record["seeds_needed"] == {"larger-sigma Hopper-v5": needed}
    assert record["seeds"] == max(ml.DECISIVE.seeds, needed)

    sweep_scores = _pilot_scores(recipe)
    assert all(sorted(v) == list(range(record["seeds"])) for v in sweep_scores.values())
    claims = {c["key"]: c for c in json.loads((decisive_run / "claims.json").read_text())
              if c["recipe"] == "mujoco-learning"}
    assert f"over {record['seeds']} seeds" in claims["larger-sigma"]["measured"]


def test_a_second_run_reuses_pilot_and_sweep(decisive_run, capsys):
    done = [(decisive_run / d / "done.json").read_text() for d in ("mujoco-learning.pilot", "mujoco-learning")]
    reproduce(["mujoco-learning"], "decisive", decisive_run, progress=False, configs={"mujoco-learning": SMALL})
    assert [(decisive_run / d / "done.json").read_text() for d in ("mujoco-learning.pilot", "mujoco-learning")] == done


def test_overrides_are_typed_and_checked():
    got = parse_overrides(["mujoco-learning.envs=Hopper-v5", "mujoco-learning.lrs=0.001, 0.01",
                           "mujoco-learning.updates=7", "mujoco-learning.max_steps=50"], ["mujoco-learning"], "quick")
    assert got == {"mujoco-learning": {"envs": ("Hopper-v5",), "lrs": (0.001, 0.01), "updates": 7, "max_steps": 50}}
    for bad, match in [("mujoco-learning.updates=many", "expected an integer"), ("mujoco-learning.nope=1", "no field"),
                       ("toy.directions=10", "not being run"), ("updates=3", "RECIPE.FIELD=VALUE")]:
        with pytest.raises(InputError, match=match):
            parse_overrides([bad], ["mujoco-learning"], "quick")


@pytest.mark.parametrize("argv, message", [
    (["reproduce", "toy", "--budget", "decisive"], "offered by mujoco-learning"),
    (["reproduce", "mujoco-learning", "--set", "mujoco-learning.seeds=x"], "expected an integer"),
])
def test_cli_refuses_with_exit_2_and_writes_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "out"
    assert main([*argv, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
