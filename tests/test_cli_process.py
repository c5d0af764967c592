"""The command-line process: JAX's persistent compilation cache and a collector that skips start-up; library callers are left alone."""

import os
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np

from policyscape import cli

TRAIN = ["train", "--env", "policyscape/SymmetricGridworld-v0", "--exact", "--seeds", "2", "--updates", "20",
         "--no-progress"]


def _train(out: Path, cache: str | None, tmp_path: Path, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAX_COMPILATION_CACHE")}
    env.update(extra)
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    env.pop(cli.CACHE_ENV, None)
    if cache is not None:
        env[cli.CACHE_ENV] = cache
    proc = subprocess.run([sys.executable, "-m", "policyscape.cli", *TRAIN, "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_command_line_fills_the_cache_and_a_second_run_reads_it(tmp_path):
    cache = tmp_path / "cache"
    _train(tmp_path / "a", str(cache), tmp_path)
    entries = sorted(p.name for p in cache.iterdir())
    assert any("segment" in name for name in entries), entries  # the compiled training loop
    _train(tmp_path / "b", str(cache), tmp_path)
    assert (tmp_path / "a" / "curves.csv").read_bytes() == (tmp_path / "b" / "curves.csv").read_bytes()
    assert not (tmp_path / "xdg" / "policyscape").exists()  # the variable overrides the default place


def test_default_place_is_under_xdg_cache_home_and_off_disables(tmp_path):
    _train(tmp_path / "a", None, tmp_path)
    assert any((tmp_path / "xdg" / "policyscape" / "jax").iterdir())
    _train(tmp_path / "b", "off", tmp_path / "other")
    assert not (tmp_path / "other" / "xdg" / "policyscape").exists()


def test_users_own_jax_cache_setting_wins(tmp_path):
    _train(tmp_path / "a", None, tmp_path, JAX_COMPILATION_CACHE_DIR=str(tmp_path / "theirs"))
    assert not (tmp_path / "xdg" / "policyscape").exists()


def test_cache_dir_from_environment():
    assert cli.compilation_cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/policyscape/jax")
    assert cli.compilation_cache_dir({cli.CACHE_ENV: "/y/z"}) == Path("/y/z")
    for off in ("off", "", "0", "none"):
        assert cli.compilation_cache_dir({cli.CACHE_ENV: off}) is None


def test_main_called_from_python_leaves_jax_config_alone(tmp_path):
    before = jax.config.jax_compilation_cache_dir, os.environ.get("JAX_COMPILATION_CACHE_DIR")
    assert cli.main([*TRAIN, "--out", str(tmp_path / "run")]) == 0
    assert (jax.config.jax_compilation_cache_dir, os.environ.get("JAX_COMPILATION_CACHE_DIR")) == before


def test_command_line_collects_garbage_after_startup():
    """The CLI process skips collections during start-up and turns the collector back on after it."""
    code = ("import gc, time, sys; from policyscape import cli; "
            "cli.collect_garbage_after_startup(0.2); a = gc.isenabled(); time.sleep(1.0); "
            "print(a, gc.isenabled(), gc.get_freeze_count() > 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "True", "True"]


def test_main_called_from_python_leaves_the_collector_alone(tmp_path):
    import gc

    assert gc.isenabled()
    assert cli.main(["envs"]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_cpu_devices_for_divides_the_seeds_evenly():
    assert [cli.cpu_devices_for(k, c) for k, c in [(64, 2), (5, 2), (30, 16), (1, 8), (64, 1), (7, 7), (12, 5)]] == \
        [2, 1, 15, 1, 1, 7, 4]


def test_main_called_from_python_leaves_the_device_count_alone(monkeypatch):
    monkeypatch.delenv("JAX_NUM_CPU_DEVICES", raising=False)
    assert cli.use_cpu_cores(64) == 1  # not the command-line process (and JAX is imported here anyway)
    assert "JAX_NUM_CPU_DEVICES" not in os.environ


def test_command_line_trains_on_every_core_with_the_numbers_of_one_device(tmp_path):
    """On a machine with several cores the command splits the seeds over CPU devices; its curves are
    those of one device to rounding (the seeds are independent; only XLA's vectorization differs)."""
    if len(os.sched_getaffinity(0)) < 2:
        import pytest

        pytest.skip("one core: the command keeps one device")
    code = ("import os, sys; from policyscape import cli; cli._COMMAND_LINE_PROCESS = True; "
            "n = cli.use_cpu_cores(4); import jax; print(n, len(jax.devices()))")
    env = {k: v for k, v in os.environ.items() if k != "JAX_NUM_CPU_DEVICES"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    asked, devices = map(int, proc.stdout.split())
    assert asked == devices == cli.cpu_devices_for(4, len(os.sched_getaffinity(0))) > 1
    _train(tmp_path / "split", "off", tmp_path)
    _train(tmp_path / "one", "off", tmp_path, JAX_NUM_CPU_DEVICES="1")
    from policyscape.files import SavedRun

    a, b = SavedRun(tmp_path / "split").read_csv("curves.csv"), SavedRun(tmp_path / "one").read_csv("curves.csv")
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-12, atol=1e-14)
    for figure in ("learning_curves.png", "final_returns.png"):
        assert (tmp_path / "split" / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_command_line_stops_on_sigint_even_when_started_with_it_blocked(tmp_path):
    """A parent that starts the command with SIGINT blocked in its mask (inherited through exec) must not make
    Ctrl-C a no-op: main() unblocks it, so a perturb stops after its last finished chunk with exit 130."""
    import signal
    import time

    cmd = [sys.executable, "-m", "policyscape.cli", "perturb", "--env", "toy/goodfellow", "--at", "0.3,-0.2",
           "--directions", "2000", "--chunk-size", "1", "--out", str(tmp_path / "run"), "--no-progress"]
    starter = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "  # (not ignored: cmd & …)
               "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}); "
               "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])")
    proc = subprocess.Popen([sys.executable, "-c", starter, *cmd[1:]], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    points = tmp_path / "run" / "points" / "perturb.csv"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and not (points.exists() and points.read_text().count("\n") > 5):
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "Run the same command again to resume" in err
