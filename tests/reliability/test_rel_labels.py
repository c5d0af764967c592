"""On a tabular id the same word means the same quantity: discounted_return in both the exact and the sampled
objective's output, and every output says what its value is."""

import json

import pytest

GRID = "policyscape/SymmetricGridworld-v0"


def test_exact_and_sampled_evaluate_name_the_discounted_return_alike(cli):
    at = ",".join(["0"] * 108)
    code, exact, err = cli("evaluate", "--env", GRID, "--at", at, "--json")
    assert code == 0, err
    code, sampled, err = cli("evaluate", "--env", GRID, "--at", at, "--episodes", 400, "--json")
    assert code == 0, err
    exact, sampled = json.loads(exact), json.loads(sampled)
    assert exact["discounted_return"] == exact["return"]
    assert "discounted" in exact["value_meaning"] and "UNDISCOUNTED" in sampled["value_meaning"]
    # the same word, the same quantity: the sampled discounted return estimates the exact one
    assert sampled["discounted_return"] == pytest.approx(exact["discounted_return"], abs=0.5)


def test_landscape_summaries_say_what_value_is(tmp_path, cli):
    out = tmp_path / "P"
    code, _, err = cli("perturb", "--env", GRID, "--at", ",".join(["0"] * 108), "--directions", 4, "--out", out,
                       "--no-progress")
    assert code == 0, err
    assert "discounted" in json.loads((out / "summary.json").read_text())["value_meaning"]
