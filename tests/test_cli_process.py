"""The command-line process: JAX's persistent compilation cache and a collector that skips start-up; library callers are left alone."""

import os
import subprocess
import sys
from pathlib import Path

import jax

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
