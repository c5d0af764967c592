"""One execution layer: the same values in this process, a local process pool and Ray; failures that are survived."""

import dataclasses
import errno
import os
import signal
import sys

import numpy as np
import pytest

from policyscape import cli
from policyscape.errors import InputError
from policyscape.landscape.perturb import PerturbConfig, num_points
from policyscape.objectives.registry import ObjectiveSpec, Sampling, make_objective
from policyscape.runs import rundir, store
from policyscape.runs.executor import (
    LocalExecutor,
    RayExecutor,
    SerialExecutor,
    chunk_evaluator,
    estimate_wall_seconds,
    make_executor,
    spec_of,
    work_split,
    worker_counts,
)
from policyscape.runs.landscape import Point, run_perturb
from policyscape.runs.store import PointStore, evaluate_points

GRIDWORLD = "policyscape/SymmetricGridworld-v0"


@pytest.fixture(scope="module")
def ray_session():
    """One small local Ray instance for the module (RayExecutor uses it and leaves it running)."""
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, object_store_memory=100 * 1024**2,
             ignore_reinit_error=True, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def _perturb(objective, theta0, out, executor, chunk_size):
    config = PerturbConfig(alphas=(0.1, 0.5), directions=24, seed=3, chunk_size=chunk_size, noise_evaluations=0)
    run_perturb(objective, Point(theta0, "theta0"), config, out, objective.spec.env_id, {}, show_progress=False,
                executor=executor)
    return (out / "points" / "perturb.csv").read_text(), (out / "perturbations.csv").read_text()


@pytest.mark.parametrize("env_id", ["CartPole-v1", GRIDWORLD])
def test_every_backend_gives_identical_values(tmp_path, ray_session, env_id):
    sampling = Sampling(sigma=0.1, episodes=3, seed=7) if env_id == "CartPole-v1" else None
    objective = make_objective(env_id, sampling=sampling)
    theta0 = 0.3 * np.random.default_rng(0).standard_normal(objective.num_params)
    reference = _perturb(objective, theta0, tmp_path / "serial", None, chunk_size=10)
    executors = {"local2": LocalExecutor(2), "ray1": RayExecutor(1), "ray2": RayExecutor(2)}
    for name, executor in executors.items():
        with executor:
            assert _perturb(objective, theta0, tmp_path / name, executor, chunk_size=10) == reference, name
    n_points = num_points(24, 2)
    values = {name: PointStore(tmp_path / name / "points" / "perturb.csv", list(objective.fields), n_points, 10).load()
              for name in ["serial", *executors]}
    for name in executors:
        for field in objective.fields:
            assert np.array_equal(values[name][field], values["serial"][field], equal_nan=True), (name, field)


@dataclasses.dataclass(frozen=True)
class KillOnceSpec(ObjectiveSpec):
    """Evaluates like its objective, but the first worker to evaluate chunk 2 SIGKILLs itself (once: a marker file)."""

    marker: str = ""

    def __call__(self, thetas):
        if thetas[0, 0] == 2.0 and not os.path.exists(self.marker):
            with open(self.marker, "w") as f:
                f.write(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return super().__call__(thetas)


def _toy_points(tmp_path, name, evaluate, executor=None):
    make = lambda p: np.stack([p // 5 + 0.0, 0.01 * p], axis=1)  # θ[0] = chunk index
    points = PointStore(tmp_path / f"{name}.csv", ["value"], 30, 5)
    return evaluate_points(points, make, evaluate, show_progress=False, executor=executor)


def test_ray_retries_a_chunk_whose_worker_was_killed(tmp_path, ray_session):
    ray_session.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the test module is not importable there
    spec = KillOnceSpec("toy/goodfellow", marker=str(tmp_path / "killed"))
    reference = _toy_points(tmp_path, "serial", make_objective("toy/goodfellow").evaluate)
    with RayExecutor(2) as executor:
        values = _toy_points(tmp_path, "ray", spec, executor)
    assert (tmp_path / "killed").exists()  # a worker did die in chunk 2
    assert np.array_equal(values["value"], reference["value"])
    assert (tmp_path / "ray.csv").read_text() == (tmp_path / "serial.csv").read_text()


def test_local_worker_killed_stops_with_a_resume_hint_then_resumes_exactly(tmp_path):
    spec = KillOnceSpec("toy/goodfellow", marker=str(tmp_path / "killed"))
    reference = _toy_points(tmp_path, "serial", make_objective("toy/goodfellow").evaluate)
    with pytest.raises(RuntimeError, match="worker process of the local backend died.*resume"), \
            LocalExecutor(2) as executor:
        _toy_points(tmp_path, "local", spec, executor)
    with LocalExecutor(2) as executor:
        values = _toy_points(tmp_path, "local", spec, executor)
    assert np.array_equal(values["value"], reference["value"])
    assert (tmp_path / "local.csv").read_text() == (tmp_path / "serial.csv").read_text()


def test_make_executor_and_its_validation(monkeypatch):
    assert isinstance(make_executor("local", 1), SerialExecutor)
    assert isinstance(make_executor("local", 3), LocalExecutor) and make_executor("local", 3).workers == 3
    assert isinstance(make_executor("ray", 2), RayExecutor)  # nothing started yet
    assert make_executor("local").workers == len(os.sched_getaffinity(0))
    for bad, message in [({"backend": "dask"}, "backend must be one of local, ray, got 'dask'"),
                         ({"workers": 0}, "workers must be an integer >= 1, got 0"),
                         ({"workers": True}, "workers must be an integer >= 1"),
                         ({"workers": 2.5}, "workers must be an integer >= 1"),
                         ({"backend": "local", "address": "auto"}, "--address applies to the ray backend")]:
        with pytest.raises(InputError, match=message):
            make_executor(**bad)
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(InputError, match=r"pip install -e '\.\[ray\]'"):
        make_executor("ray", 2)


def test_objectives_carry_a_spec_and_specs_rebuild_them():
    sampling = Sampling(sigma=0.2, episodes=2)
    objective = make_objective("CartPole-v1", sampling=sampling)
    assert spec_of(objective) == ObjectiveSpec("CartPole-v1", 0.0, 0.0, sampling)
    thetas = np.random.default_rng(1).standard_normal((3, objective.num_params))
    rebuilt = spec_of(objective)(thetas)
    for k, v in objective.evaluate(thetas).items():
        assert np.array_equal(rebuilt[k], v, equal_nan=True)
    assert spec_of(make_objective("toy/saddle")) == ObjectiveSpec("toy/saddle")

    class Bare:  # an objective not made by make_objective
        name = "bare"
        evaluate = staticmethod(lambda thetas: {"value": thetas[:, 0]})

    assert chunk_evaluator(Bare(), None) is Bare.evaluate
    with pytest.raises(InputError, match="no ObjectiveSpec.*--workers 1"):
        chunk_evaluator(Bare(), LocalExecutor(2))


def test_work_split_and_wall_time_model():
    assert work_split(1000, 64, 4) == {"points": 1000, "chunk_size": 64, "chunks": 16, "workers": 4,
                                       "chunks_per_worker": 4}
    assert worker_counts(1) == [1] and worker_counts(8) == [1, 2, 4, 8] and worker_counts(6) == [1, 2, 4, 6]
    assert estimate_wall_seconds(16, 2.0, 1, "local") == 32.0  # one local worker: in-process, no start-up
    assert estimate_wall_seconds(16, 2.0, 4, "local") == 8.0 + 3.0
    assert estimate_wall_seconds(17, 2.0, 4, "ray") == 10.0 + 8.0


# ------------------------------------------------------------------ disks that are full or not writable


@dataclasses.dataclass
class _Usage:
    free: int


def test_run_dir_refuses_too_little_free_space(tmp_path, monkeypatch):
    free = rundir.MIN_FREE_BYTES - 1
    monkeypatch.setattr(rundir.shutil, "disk_usage", lambda path: _Usage(free))
    with pytest.raises(InputError, match=r"has only 10\.0 MB free; expected at least 10 MB"):
        rundir.RunDir(tmp_path / "a" / "run").create({"command": "test"})
    assert not (tmp_path / "a").exists()


def test_run_dir_refuses_an_unwritable_directory_simulated(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(rundir.tempfile, "mkstemp", refuse)
    with pytest.raises(InputError, match="is not writable \\(Permission denied\\)"):
        rundir.RunDir(tmp_path / "run").create({"command": "test"})


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a chmod 0o500 directory anyway (simulated above)")
def test_run_dir_refuses_an_unwritable_directory(tmp_path):
    (tmp_path / "run").mkdir()
    os.chmod(tmp_path / "run", 0o500)
    try:
        with pytest.raises(InputError, match="is not writable"):
            rundir.RunDir(tmp_path / "run").create({"command": "test"})
    finally:
        os.chmod(tmp_path / "run", 0o700)


def test_cli_full_disk_exits_2_before_writing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(rundir.shutil, "disk_usage", lambda path: _Usage(1024**2))
    code = cli.main(["perturb", "--env", "toy/goodfellow", "--at", "0.3,-0.2", "--directions", "10", "--workers", "1",
                     "--out", str(tmp_path / "run"), "--no-progress"])
    assert code == 2 and "has only 1.0 MB free" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()  # nothing written, not even the directory


@pytest.mark.parametrize("truncate_works", [True, False])
def test_disk_full_mid_run_then_resume_equals_uninterrupted(tmp_path, monkeypatch, truncate_works):
    evaluate = make_objective("toy/goodfellow").evaluate
    reference = _toy_points(tmp_path, "clean", evaluate)
    real_write, calls = store._write_all, []

    def write_until_full(fd, data):
        calls.append(len(data))
        if len(calls) == 3:  # the third chunk: half of it reaches the disk, then ENOSPC
            os.write(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(fd, data)

    monkeypatch.setattr(store, "_write_all", write_until_full)
    if not truncate_works:
        monkeypatch.setattr(store, "_drop_torn_write", lambda fd, size: None)
    with pytest.raises(InputError, match="could not write chunk 2 .*the disk is full.*2 chunks written before are kept"):
        _toy_points(tmp_path, "full", evaluate)
    torn = (tmp_path / "full.csv").read_text()
    assert (torn == "\n".join((tmp_path / "clean.csv").read_text().split("\n")[:11]) + "\n") is truncate_works
    monkeypatch.setattr(store, "_write_all", real_write)
    resumed = _toy_points(tmp_path, "full", evaluate)
    assert (tmp_path / "full.csv").read_text() == (tmp_path / "clean.csv").read_text()
    assert np.array_equal(resumed["value"], reference["value"])


# ------------------------------------------------------------------ the command line


def _cli_perturb(out, *flags):
    at = out.parent / "theta0.npy"
    np.save(at, np.full(108, 0.1))
    return cli.main(["perturb", "--env", GRIDWORLD, "--at", str(at), "--alpha", "0.1",
                     "--directions", "40", "--chunk-size", "16", "--out", str(out), "--no-progress", *flags])


def test_cli_ray_backend_and_dry_run_split(tmp_path, ray_session, capsys):
    assert _cli_perturb(tmp_path / "serial", "--workers", "1") == 0
    assert _cli_perturb(tmp_path / "ray", "--backend", "ray", "--workers", "2") == 0
    assert (tmp_path / "ray" / "perturbations.csv").read_text() == (tmp_path / "serial" / "perturbations.csv").read_text()
    capsys.readouterr()
    assert _cli_perturb(tmp_path / "dry", "--backend", "ray", "--workers", "4", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "split: 6 chunks of 16 points; 2 chunks per worker on 4 ray worker(s)" in out
    assert all(f"{w:>4} worker(s): ≈" in out for w in (1, 2, 4))
    assert not (tmp_path / "dry").exists()
    with pytest.raises(SystemExit) as bad:  # tyro rejects a backend outside the choices, naming them
        _cli_perturb(tmp_path / "bad", "--backend", "spark")
    assert bad.value.code == 2 and "local" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
