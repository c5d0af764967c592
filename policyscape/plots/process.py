"""A figure process: matplotlib loads on another core while a command computes, then it draws.

Importing matplotlib and drawing a run's figures take about as long as ``train --exact``'s
whole training (0.4 s + 0.45 s on the reference 2-core machine), and both are Python work
that would wait for the training's process. :class:`FigureProcess` starts a fresh interpreter
(``python -m policyscape.plots.process``, not a fork: the parent may be running JAX's threads)
that imports the figure code at once and then waits on its stdin; :meth:`FigureProcess.draw`
hands it a saved run directory, and it draws exactly what ``policyscape plot DIR`` would, from
the saved files. If the parent goes away first, the child reads end-of-file and exits without
drawing.

    python -m policyscape.plots.process    # reads one run directory per line from stdin
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from pathlib import Path

from policyscape.errors import InputError


class FigureProcess:
    """A child interpreter that has matplotlib loaded and draws one training run's figures on request."""

    def __init__(self) -> None:
        self._child = subprocess.Popen([sys.executable, "-m", "policyscape.plots.process"], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def draw(self, run_dir: Path | str) -> list[Path]:
        """Draw the figures of the training run ``run_dir`` (``plots.training.plot_training_run``) → their paths."""
        out, err = self._child.communicate(f"{Path(run_dir).resolve()}\n")
        if self._child.returncode != 0:
            raise InputError(f"drawing the figures of {str(run_dir)!r} failed (exit {self._child.returncode}): "
                             f"{err.strip() or 'no message'}; redraw them with: policyscape plot {run_dir}")
        return [Path(line) for line in out.splitlines() if line]

    def close(self) -> None:
        """Let the child go without drawing (it reads end-of-file and exits)."""
        if self._child.poll() is None:
            try:
                self._child.communicate("", timeout=10)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait()

    def __enter__(self) -> FigureProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def draw_training_figures(run_dir: Path | str) -> list[Path]:
    """``plots.training.plot_training_run(run_dir)`` with its figures drawn side by side: every figure
    but the first in a forked copy of this process (which has matplotlib loaded and no other threads),
    the first here. Where there is no ``os.fork``, one after the other."""
    from policyscape.files import SavedRun
    from policyscape.plots.training import TRAINING_FIGURES, plot_training_run

    if not hasattr(os, "fork"):
        return plot_training_run(run_dir)
    run = SavedRun(run_dir)
    summary = run.read_json("summary.json")
    first, *others = TRAINING_FIGURES
    children = []
    for plot in others:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child draws one figure, sends its path and leaves without the parent's exit handlers
            os.close(read_end)
            code = 1
            try:
                os.write(write_end, os.fsencode(plot(run, summary)))
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stderr.flush()
                os._exit(code)
        os.close(write_end)
        children.append((pid, read_end, plot))
    paths = [first(run, summary)]
    failed = []
    for pid, read_end, plot in children:
        with os.fdopen(read_end, "rb") as f:
            path = f.read()
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            failed.append(plot.__name__)
        paths.append(Path(os.fsdecode(path)))
    if failed:
        raise RuntimeError(f"{', '.join(failed)} failed (traceback above)")
    return paths


def serve(lines=sys.stdin, out=sys.stdout) -> None:
    """The child's loop: import the figure code, then draw the training run named on each line of ``lines``."""
    import policyscape.plots.training  # noqa: F401  (matplotlib, while the parent computes)

    for line in lines:
        if line.strip():
            for path in draw_training_figures(line.strip()):
                print(path, file=out, flush=True)


def main() -> int:
    """``python -m policyscape.plots.process``: :func:`serve` stdin; a refused run directory (InputError)
    exits 2 with its message alone on stderr, anything else with its traceback."""
    try:
        serve()
    except InputError as e:
        print(e, file=sys.stderr)
        return 2
    return 0


def _exit_now(code: int) -> None:
    """Leave without the interpreter's teardown (0.05–0.1 s of freeing matplotlib, which the parent would
    wait for): the figures are on disk already (written atomically, fsync'd), the pipes flushed here."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    try:
        code = main()
    except BaseException:
        traceback.print_exc()
        code = 1
    _exit_now(code)
