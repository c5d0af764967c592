"""``import policyscape`` registers every policyscape/ id with Gymnasium, without importing JAX.

Each check runs in a fresh interpreter: in the test process other tests have imported
``policyscape.envs`` (which registers too) and JAX already.
"""

import json
import subprocess
import sys

import pytest

from policyscape.envs.registry import TABULAR_ENVS

_CHECK = """
import json, sys
{setup}
import gymnasium
out = {{"jax_after_import": "jax" in sys.modules}}
env = gymnasium.make({make_id!r})
obs, _ = env.reset(seed=0)
out["obs"] = int(obs)
out["num_states"] = int(env.observation_space.n)
out["registered"] = sorted(k for k in gymnasium.registry if k.startswith("policyscape/"))
out["jax_after_make"] = "jax" in sys.modules
env.close()
print(json.dumps(out))
"""


def _run(setup: str, make_id: str) -> dict:
    code = _CHECK.format(setup=setup, make_id=make_id)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "setup, make_id",
    [
        ("import policyscape", "policyscape/SymmetricGridworld-v0"),  # the README's form
        ("", "policyscape:policyscape/SymmetricGridworld-v0"),  # Gymnasium imports the module before the colon
    ],
    ids=["import-then-make", "module-colon-id"],
)
def test_import_policyscape_registers_every_id_without_jax(setup, make_id):
    out = _run(setup, make_id)
    assert out["registered"] == sorted(TABULAR_ENVS)
    assert out["num_states"] == 26 and out["obs"] == 0  # the 5×5 gridworld (+ terminal) starts top-left
    assert not out["jax_after_import"]
    assert not out["jax_after_make"]


def test_plain_import_needs_no_gymnasium_call_first():
    """``import policyscape`` alone, before Gymnasium is imported by the user, is enough."""
    proc = subprocess.run(
        [sys.executable, "-c", "import sys, policyscape; import gymnasium; "
         "print('policyscape/Taxi-v0' in gymnasium.registry, 'jax' in sys.modules)"],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "False"]
