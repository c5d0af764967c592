"""The figure process of ``train --exact``: the same figures as ``policyscape plot``, drawn in another process."""

import shutil
import subprocess
import sys

import pytest

from policyscape.errors import InputError
from policyscape.optimize.exact_pg import ExactTrainConfig
from policyscape.plots.process import FigureProcess
from policyscape.runs.training import run_exact_training

ENV = "policyscape/SymmetricGridworld-v0"
FIGURES = ["learning_curves.png", "final_returns.png"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("figures") / "run"
    run_exact_training(ENV, ExactTrainConfig(seeds=3, updates=30), path, show_progress=False)
    return path


def _figure_bytes(path):
    return {name: (path / name).read_bytes() for name in FIGURES}


def test_figure_process_draws_what_plot_draws(run_dir, tmp_path):
    """Byte-identical PNGs from FigureProcess (a child, figures side by side in forks) and from
    plots.training.plot_training_run in this process."""
    from policyscape.plots.training import plot_training_run

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    with FigureProcess() as figures:
        paths = figures.draw(copy)
    assert [p.name for p in paths] == FIGURES and paths[0].parent == copy.resolve()
    drawn = _figure_bytes(copy)
    assert plot_training_run(copy) == [copy / name for name in FIGURES]
    assert _figure_bytes(copy) == drawn
    assert all(data[:8] == b"\x89PNG\r\n\x1a\n" for data in drawn.values())


def test_figures_drawn_side_by_side_equal_one_after_the_other(run_dir, tmp_path):
    """draw_training_figures forks, so it runs in a process without threads (as in the figure process),
    not in this one (JAX's threads)."""
    from policyscape.plots.training import plot_training_run

    forked, plain = tmp_path / "forked", tmp_path / "plain"
    shutil.copytree(run_dir, forked)
    shutil.copytree(run_dir, plain)
    code = "import sys; from policyscape.plots.process import draw_training_figures as d; print(*d(sys.argv[1]))"
    proc = subprocess.run([sys.executable, "-c", code, str(forked)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(forked / name) for name in FIGURES]
    plot_training_run(plain)
    assert _figure_bytes(forked) == _figure_bytes(plain)


def test_closed_without_drawing_draws_nothing(tmp_path):
    figures = FigureProcess()
    figures.close()
    assert figures._child.returncode == 0
    assert not list(tmp_path.iterdir())


def test_a_failed_drawing_says_how_to_redraw(tmp_path):
    (tmp_path / "empty").mkdir()
    with FigureProcess() as figures, pytest.raises(InputError, match="policyscape plot"):
        figures.draw(tmp_path / "empty")


def test_child_exits_when_its_parent_goes_away():
    """End of file on stdin (the parent died) ends the child without drawing."""
    proc = subprocess.run([sys.executable, "-m", "policyscape.plots.process"], input="", capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout == ""
