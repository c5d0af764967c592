"""Orphan workers: SIGKILL of a command on the local process pool leaves no worker (nor resource tracker) alive."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("when", ["starting", "working"])
def test_sigkill_of_the_driver_takes_its_workers_down(tmp_path, when):
    """'starting': killed while the spawned workers are still importing (before their initializer ran: the
    case that used to leave orphans); 'working': killed while chunks are being evaluated."""
    argv = [sys.executable, "-m", "policyscape.cli", "perturb", "--env", "toy/saddle", "--at", "0.1,0.2",
            "--directions", "20000", "--chunk-size", "2", "--workers", "2", "--out", str(tmp_path / "P"),
            "--no-progress"]
    driver = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(seen) < 3 and time.monotonic() < deadline:  # 2 workers and the resource tracker
            seen |= children(driver.pid)
            time.sleep(0.05)
        assert len(seen) >= 2, f"the pool did not start: children {seen}"
        if when == "working":
            while not any((tmp_path / "P" / "points").glob("*.csv")) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert driver.poll() is None, "the run finished before it could be killed; give it more work"
        seen |= children(driver.pid)
        driver.send_signal(signal.SIGKILL)
        driver.wait()
        deadline = time.monotonic() + 30
        while any(alive(p) for p in seen) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [p for p in seen if alive(p)]
        assert not left, f"processes outlived their driver: {left}"
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
        for p in seen:  # only the processes this test started, by pid
            if alive(p):
                os.kill(p, signal.SIGKILL)
