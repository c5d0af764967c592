"""REINFORCE sweeps: one command, validated before anything is written, the same files on every backend."""

import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from policyscape.cli import main
from policyscape.runs.executor import LocalExecutor
from policyscape.runs.sweep import TrainRuns, sweep_jobs, train_runs

SMALL = ["--env", "Pendulum-v1", "--seeds", "2", "--updates", "4", "--batch-episodes", "3", "--eval-every", "2",
         "--eval-episodes", "2", "--max-steps", "25", "--no-progress"]


@pytest.mark.parametrize("sigma, lr, message", [
    ("0.1,0.1", "0.01", "twice"),
    ("-0.5,1", "0.01", ">= 0"),
    ("0.5", "0.01,0", "> 0"),
    ("0.5", "0.01,-1", "> 0"),
    ("", "0.01", "at least one"),
    ("0.5", ",", "at least one"),
    ("0.5,x", "0.01", "comma-separated"),
    ("0,1", "0.01", "sigma must be a finite number > 0"),  # σ = 0 cannot be trained (no log-probability)
])
def test_sweep_bad_lists_exit_2_nothing_written(tmp_path, capsys, sigma, lr, message):
    out = tmp_path / "sweep"
    assert main(["train", *SMALL, "--sigma", sigma, "--lr", lr, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("flags, message", [(["--workers", "0"], "workers must be an integer >= 1"),
                                            (["--address", "auto"], "--address applies to the ray backend")])
def test_sweep_bad_execution_flags_exit_2(tmp_path, capsys, flags, message):
    out = tmp_path / "sweep"
    assert main(["train", *SMALL, "--sigma", "0.5,1", "--lr", "0.01", *flags, "--dry-run", "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_dry_run_writes_nothing(tmp_path, capsys):
    out = tmp_path / "sweep"
    assert main(["train", *SMALL, "--sigma", "0.5,1", "--lr", "0.01,0.1", "--dry-run", "--workers", "2",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "4 run(s)" in text and "environment steps" in text and "2 local worker(s)" in text
    assert not out.exists()


def _files(out):
    """Every run's curves.csv and θ files, and the sweep's tables: what must not depend on the backend."""
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("curves.csv"))}
    files["scores.csv"] = (out / "scores.csv").read_bytes()
    for p in sorted(out.rglob("final.npz")):
        with np.load(p) as z:
            files[p.relative_to(out).as_posix()] = z["theta"].tobytes()
    return files


def test_sweep_same_files_on_every_backend(tmp_path, capsys):
    outs = {}
    for name, flags in {"serial": ["--workers", "1"], "local2": ["--workers", "2"],
                        "ray2": ["--backend", "ray", "--workers", "2"]}.items():
        outs[name] = tmp_path / name
        assert main(["train", *SMALL, "--sigma", "0.5,1.0", "--lr", "0.01,0.05", *flags, "--out", str(outs[name])]) == 0
    reference = _files(outs["serial"])
    assert len(reference) == 4 + 1 + 4
    for name in ("local2", "ray2"):
        assert _files(outs[name]) == reference, name
    sweep = json.loads((outs["serial"] / "sweep.json").read_text())
    assert {(r["sigma"], r["lr"]) for r in sweep["runs"]} == {(0.5, 0.01), (0.5, 0.05), (1.0, 0.01), (1.0, 0.05)}
    assert {b["sigma"] for b in sweep["best_lr"]} == {0.5, 1.0}
    for b in sweep["best_lr"]:  # the best lr has the highest mean auc of its σ
        aucs = {r["lr"]: np.mean(r["auc"]) for r in sweep["runs"] if r["sigma"] == b["sigma"]}
        assert aucs[b["best_lr"]] == max(aucs.values())
    figure = outs["serial"] / "learning_curves.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    figure.unlink()
    assert main(["plot", str(outs["serial"])]) == 0 and figure.exists()  # redrawn from the saved files
    # run again: every run is finished, nothing is trained, the same tables come out
    assert main(["train", *SMALL, "--sigma", "0.5,1.0", "--lr", "0.01,0.05", "--out", str(outs["serial"])]) == 0
    assert _files(outs["serial"]) == reference


def test_single_values_stay_a_single_run(tmp_path):
    out = tmp_path / "one"
    assert main(["train", *SMALL, "--sigma", "0.5", "--lr", "0.01", "--out", str(out)]) == 0
    assert (out / "curves.csv").exists() and (out / "final.npz").exists() and not (out / "sweep.json").exists()
    assert json.loads((out / "config.json").read_text())["command"] == "train"


class KillMidRun(TrainRuns):
    """Trains like TrainRuns, but the first worker to train run 1 SIGKILLs itself right after that run's first
    resume state is saved (once: a marker file)."""

    def __init__(self, jobs, marker):
        super().__init__(jobs)
        self.marker = marker

    def __call__(self, payload):
        if int(np.asarray(payload)[0]) == 1 and not os.path.exists(self.marker):
            import policyscape.runs.training as training

            original = training.resume_saver

            def saver(run, config):
                save = original(run, config)

                def save_then_die(state):
                    save(state)
                    with open(self.marker, "w") as f:
                        f.write(str(state.update))
                    os.kill(os.getpid(), signal.SIGKILL)
                return save_then_die

            training.resume_saver = saver
        return super().__call__(payload)


def test_local_pool_resubmits_a_run_whose_worker_died(tmp_path):
    from policyscape.optimize.reinforce import ReinforceConfig

    base = ReinforceConfig(env="Pendulum-v1", seeds=2, updates=4, batch_episodes=3, eval_every=2, eval_episodes=2,
                           max_steps=25)
    serial = sweep_jobs(base, [0.5], [0.01, 0.05, 0.1], tmp_path / "serial")
    pooled = sweep_jobs(base, [0.5], [0.01, 0.05, 0.1], tmp_path / "pooled")
    train_runs(serial)
    with LocalExecutor(2) as executor:
        results = train_runs(pooled, executor)
    assert (tmp_path / "marker").exists() is False  # the plain TrainRuns kills nothing
    marker = tmp_path / "marker"
    killed = sweep_jobs(base, [0.5], [0.01, 0.05, 0.1], tmp_path / "killed")
    with LocalExecutor(2) as executor:
        values = {i: v for i, v in executor.map_chunks(KillMidRun(killed, str(marker)),
                                                      [(i, np.array([i])) for i in range(3)], retries=1)}
    assert marker.read_text() == "2"  # run 1 died after its checkpoint at update 2, and was resumed from there
    for i in range(3):
        assert np.array_equal(values[i]["final_deterministic_return"], results[i]["final_deterministic_return"])
        for run in ("pooled", "killed"):
            a = Path(serial[i].path) / "curves.csv"
            assert (tmp_path / run / Path(a).relative_to(tmp_path / "serial")).read_bytes() == a.read_bytes()


def test_ray_retries_a_run_whose_worker_died(tmp_path):
    import sys

    import ray

    from policyscape.optimize.reinforce import ReinforceConfig
    from policyscape.runs.executor import RayExecutor

    base = ReinforceConfig(env="Pendulum-v1", seeds=2, updates=4, batch_episodes=3, eval_every=2, eval_episodes=2,
                           max_steps=25)
    serial = sweep_jobs(base, [0.5], [0.01, 0.05], tmp_path / "serial")
    train_runs(serial)
    killed = sweep_jobs(base, [0.5], [0.01, 0.05], tmp_path / "killed")
    marker = tmp_path / "marker"
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the test module is not importable there
    try:
        with RayExecutor(2, init_kwargs={"object_store_memory": 100 * 1024**2}) as executor:
            list(executor.map_chunks(KillMidRun(killed, str(marker)), [(i, np.array([i])) for i in range(2)]))
    finally:
        ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert marker.read_text() == "2"  # run 1's worker died after its checkpoint at update 2; Ray retried it
    for s, k in zip(serial, killed):
        assert (Path(k.path) / "curves.csv").read_bytes() == (Path(s.path) / "curves.csv").read_bytes()
