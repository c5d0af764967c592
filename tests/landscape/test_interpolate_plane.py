"""Interpolation and planes: endpoints equal evaluate(), α parsing, the Goodfellow barrier."""

import numpy as np
import pytest

from policyscape.errors import InputError
from policyscape.landscape.interpolate import parse_alphas, path_thetas
from policyscape.objectives.registry import make_objective
from policyscape.objectives.toy import TOY_POINTS, make_toy
from policyscape.runs.landscape import Point, run_interpolate, run_plane
from policyscape.runs.rundir import RunDir

GRID = "policyscape/SymmetricGridworld-v0"


def test_parse_alphas():
    np.testing.assert_allclose(parse_alphas("-0.5:1.5:81"), np.linspace(-0.5, 1.5, 81))
    np.testing.assert_allclose(parse_alphas("0,0.5,1"), [0, 0.5, 1])
    for bad, match in [("0:1:0", "empty"), ("", "empty"), ("a:b:c", "expected α"), ("0,inf", "finite")]:
        with pytest.raises(InputError, match=match):
            parse_alphas(bad)


def test_piecewise_path_goes_through_every_anchor():
    anchors = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 2.0]])
    np.testing.assert_allclose(path_thetas(anchors, np.array([-0.5, 0, 1, 1.5, 2, 2.5])),
                               [[-0.5, 0], [0, 0], [1, 0], [1, 1], [1, 2], [1, 3]])


def test_gridworld_interpolation_endpoints_equal_evaluate(tmp_path):
    objective = make_objective(GRID)
    a, b = objective.policy.initial_params(seed=1, num_seeds=2, scale=3.0)
    variants = {f"τ={t}": make_objective(GRID, entropy=t) for t in (0.0, 0.01)} | {"mix": make_objective(GRID, mix=0.2)}
    summary = run_interpolate(variants, [Point(a, "a"), Point(b, "b")], parse_alphas("-0.5:1.5:9"), tmp_path / "i",
                              GRID, show_progress=False)
    table = RunDir(tmp_path / "i").read_csv("interpolation.csv")
    for label, objective in variants.items():
        rows = table["variant"] == label
        at = dict(zip(table["alpha"][rows], table["value"][rows]))
        expected = objective.evaluate(np.stack([a, b]))["value"]
        assert at[0.0] == pytest.approx(expected[0], rel=1e-12)
        assert at[1.0] == pytest.approx(expected[1], rel=1e-12)
        assert summary["variants"][label]["value_at_anchors"] == pytest.approx(list(expected), rel=1e-12)
    distance = table["distance"][table["variant"] == "mix"]
    np.testing.assert_allclose(distance, np.linspace(-0.5, 1.5, 9) * np.linalg.norm(b - a))


def test_goodfellow_interpolation_shows_the_false_barrier(tmp_path):
    start, end = (Point(np.array(TOY_POINTS[k]), k) for k in ("goodfellow-start", "goodfellow-end"))
    summary = run_interpolate({"toy": make_toy("toy/goodfellow")}, [start, end], parse_alphas("0:1:21"), tmp_path / "g",
                              "toy/goodfellow", show_progress=False)
    v = summary["variants"]["toy"]
    assert v["value_at_anchors"] == pytest.approx([0.0, 0.0], abs=1e-12)  # both ends are optima (xy = 1)
    assert v["min_between_first_anchors"] == pytest.approx(-(1 - 1.25**2) ** 2, rel=1e-12)  # at α = 0.5
    assert v["monotone_between_first_anchors"] is False


def test_plane_towards_points_hits_them(tmp_path):
    toy = make_toy("toy/goodfellow")
    c, b1, b2 = np.array([0.0, 0.0]), np.array([1.0, 1.0]), np.array([-2.0, -0.5])
    run_plane(toy, Point(c, "saddle"), tmp_path / "p", "toy/goodfellow", {}, towards=[Point(b1, "B"), Point(b2, "C")],
              grid=5, span=(-1.0, 1.0), show_progress=False)
    table = RunDir(tmp_path / "p").read_csv("plane.csv")
    value = {(u, v): z for u, v, z in zip(table["u"], table["v"], table["value"])}
    expected = toy.evaluate(np.stack([c, b1, b2]))["value"]
    assert value[(0.0, 0.0)] == pytest.approx(expected[0])
    assert value[(1.0, 0.0)] == pytest.approx(expected[1])
    assert value[(0.0, 1.0)] == pytest.approx(expected[2])
    with pytest.raises(InputError, match="exactly two --to"):
        run_plane(toy, Point(c, "c"), tmp_path / "q", "toy/goodfellow", {}, towards=[Point(b1, "B")])


def test_cli_commands_draw_and_redraw_figures(tmp_path, capsys):
    from policyscape.cli import main

    runs = {
        "interp": (["interpolate", "--env", "toy/goodfellow", "--at=goodfellow-start", "--to=goodfellow-end",
                    "--alphas=-0.5:1.5:21", "--no-progress"], "interpolation.png"),
        "plane": (["plane", "--env", "toy/goodfellow", "--at", "goodfellow-saddle", "--grid", "9", "--no-progress"], "plane.png"),
        "hess": (["hessian", "--env", "toy/saddle", "--at", "0,0", "--directions", "100"], "hessian.png"),
    }
    for name, (argv, figure) in runs.items():
        assert main([*argv, "--out", str(tmp_path / name)]) == 0, name
        (tmp_path / name / figure).unlink()
        assert main(["plot", str(tmp_path / name)]) == 0
        assert (tmp_path / name / figure).is_file()
    import json

    hess = json.loads((tmp_path / "hess" / "summary.json").read_text())
    assert hess["eigenvalues"] == pytest.approx([-4.0, 4.0])  # −2x² + 2y²
    assert hess["random_curvature"]["mean"] == pytest.approx(0.0, abs=1e-12)
