"""Training that survives: a REINFORCE run and an exact run SIGKILLed mid-way resume from their last
checkpoint to exactly (bit for bit) the θ and curves of an uninterrupted run."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from policyscape.runs.checkpoint import load_params

# The child trains into argv[1]; with argv[2] = "slow" it sleeps after every saved resume state, so
# that the parent's SIGKILL lands between two checkpoints (sleeping changes no number).
CHILD = """
import sys, time
import policyscape.runs.training as t
from policyscape.optimize.exact_pg import ExactTrainConfig
from policyscape.optimize.reinforce import ReinforceConfig
out, mode, kind = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == "slow":
    original = t.resume_saver
    def slow(run, cfg):
        save = original(run, cfg)
        def saved(state):
            save(state)
            time.sleep(30)
        return saved
    t.resume_saver = slow
if kind == "reinforce":
    t.run_reinforce_training(ReinforceConfig(**REINFORCE), out, show_progress=False)
else:
    t.run_exact_training(ENV, ExactTrainConfig(**EXACT), out, show_progress=False)
"""
REINFORCE = dict(env="CartPole-v1", sigma=0.5, lr=0.05, lr_decay=0.9, optimizer="rmsprop", batch_episodes=4, updates=9,
                 seeds=2, seed=3, eval_every=3,
                 eval_episodes=2, max_steps=40)
EXACT = dict(seeds=3, updates=60, lr=0.5, entropy=0.1, entropy_decay=0.99, checkpoint_every=20, optimizer="adam")
ENV = "policyscape/SymmetricGridworld-v0"


def _child(out, mode, kind):
    code = f"REINFORCE = {REINFORCE!r}\nEXACT = {EXACT!r}\nENV = {ENV!r}\n" + CHILD
    return subprocess.Popen([sys.executable, "-c", code, str(out), mode, kind], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _uninterrupted(kind, out):
    from policyscape.optimize.exact_pg import ExactTrainConfig
    from policyscape.optimize.reinforce import ReinforceConfig
    from policyscape.runs.training import run_exact_training, run_reinforce_training

    if kind == "reinforce":
        run_reinforce_training(ReinforceConfig(**REINFORCE), out, show_progress=False)
    else:
        run_exact_training(ENV, ExactTrainConfig(**EXACT), out, show_progress=False)


@pytest.mark.parametrize("kind", ["reinforce", "exact"])
def test_sigkill_mid_training_resumes_bitwise(tmp_path, kind):
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    proc = _child(killed, "slow", kind)
    deadline = time.time() + 120
    while not (killed / "resume.npz").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.communicate()}"
    assert (killed / "resume.npz").exists(), "no resume state was written in time"
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert not (killed / "summary.json").exists()

    again = _child(killed, "fast", kind)
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    first = 3 if kind == "reinforce" else 20  # the first checkpoint after the start
    total = REINFORCE["updates"] if kind == "reinforce" else EXACT["updates"]
    assert f"from update {first} of {total}" in stdout
    assert not (killed / "resume.npz").exists()  # a finished run keeps no resume state

    _uninterrupted(kind, clean)
    assert (killed / "curves.csv").read_bytes() == (clean / "curves.csv").read_bytes()
    if kind == "exact":
        assert (killed / "final.csv").read_bytes() == (clean / "final.csv").read_bytes()
    for name in sorted(os.listdir(clean / "checkpoints")) + ["../final.npz"]:
        for k in range(REINFORCE["seeds"] if kind == "reinforce" else EXACT["seeds"]):
            a = load_params(f"{killed / 'checkpoints' / name}@{k}").theta
            b = load_params(f"{clean / 'checkpoints' / name}@{k}").theta
            assert a.tobytes() == b.tobytes(), (name, k)
