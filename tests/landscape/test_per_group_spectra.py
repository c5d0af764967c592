"""Per-group Hessian spectra (hessian on policies with several parameter groups): each block's eigenvalues,
computed from masked Hessian-vector products, equal numpy's eigvalsh of the dense autodiff Hessian's diagonal
block, on a two-layer MLP policy of a small random MDP (exact value by a linear solve) and on the gridworld."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from policyscape.errors import InputError
from policyscape.files import SavedRun
from policyscape.objectives.base import JaxObjective, PolicyObjective
from policyscape.objectives.registry import make_objective
from policyscape.policies.layout import Group, Layout
from policyscape.runs.landscape import Point, layout_groups, run_hessian

GRID = "policyscape/SymmetricGridworld-v0"


class MLPPolicy:
    """One-hot state → tanh hidden layer → action logits; θ laid out as weight_0, bias_0, weight_1, bias_1."""

    def __init__(self, num_states: int, num_actions: int, hidden: int) -> None:
        self.layout = Layout((Group("weight_0", (num_states, hidden), filter_axis=1), Group("bias_0", (hidden,)),
                              Group("weight_1", (hidden, num_actions), filter_axis=1), Group("bias_1", (num_actions,))))

    def log_probs(self, theta):
        p = self.layout.unravel(theta)
        h = jnp.tanh(p["weight_0"] + p["bias_0"])  # one-hot states: row s of weight_0 is state s's input
        return jax.nn.log_softmax(h @ p["weight_1"] + p["bias_1"], axis=-1)  # [S, A]


class TabularMLPObjective(JaxObjective, PolicyObjective):
    """J(θ) = p0ᵀ (I − γ P_π)⁻¹ r_π of a random MDP under the MLP policy (exact, differentiable)."""

    name = "test-mlp-mdp"

    def __init__(self, S: int = 5, A: int = 3, hidden: int = 4, gamma: float = 0.9, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.P = rng.dirichlet(np.ones(S), size=(S, A))  # [S, A, S]
        self.R = rng.standard_normal((S, A))
        self.p0 = rng.dirichlet(np.ones(S))
        self.gamma = gamma
        self.policy = MLPPolicy(S, A, hidden)

    @property
    def num_params(self) -> int:
        return self.policy.layout.size

    def value_fn(self, theta):
        pi = jnp.exp(self.policy.log_probs(theta))
        P_pi = jnp.einsum("sa,sat->st", pi, jnp.asarray(self.P))
        r_pi = jnp.sum(pi * jnp.asarray(self.R), axis=1)
        v = jnp.linalg.solve(jnp.eye(P_pi.shape[0]) - self.gamma * P_pi, r_pi)
        return jnp.asarray(self.p0) @ v


@pytest.fixture(scope="module")
def mlp():
    objective = TabularMLPObjective()
    theta = 1.5 * np.random.default_rng(1).standard_normal(objective.num_params)
    return objective, theta, objective.hessian(theta)


def dense_blocks(objective, H):
    layout = objective.policy.layout
    return {g.name: np.linalg.eigvalsh(H[np.ix_(idx, idx)])
            for g in layout.groups for idx in [layout.indices(g.name).ravel()]}


def test_layout_groups():
    objective = TabularMLPObjective()
    groups = layout_groups(objective)
    assert list(groups) == ["weight_0", "bias_0", "weight_1", "bias_1"]
    assert np.array_equal(np.sort(np.concatenate(list(groups.values()))), np.arange(objective.num_params))
    assert list(layout_groups(make_objective(GRID))) == ["weight", "bias"]
    assert layout_groups(make_objective("toy/saddle")) is None


@pytest.mark.parametrize("dense_limit", [2000, 0], ids=["dense-blocks", "lanczos-blocks"])
def test_mlp_block_spectra_equal_eigvalsh_of_the_dense_hessian_blocks(tmp_path, mlp, dense_limit):
    objective, theta, H = mlp
    s = run_hessian(objective, Point(theta, "θ"), tmp_path / "h", "test", {}, directions=20,
                    dense_limit=dense_limit)
    expected = dense_blocks(objective, H)
    scale = np.abs(np.linalg.eigvalsh(H)).max()
    groups = {g["group"]: g for g in s["per_group"]["groups"]}
    assert list(groups) == list(expected)
    run = SavedRun(tmp_path / "h")
    table = run.read_csv("per_group_spectrum.csv")
    eig = run.read_csv("per_group_eigenvalues.csv")
    for name, reference in expected.items():
        g = groups[name]
        assert g["size"] == reference.size
        # Lanczos runs min(100, n_g) >= n_g steps here: its extremes are exact too
        assert g["smallest"][0] == pytest.approx(reference[0], abs=1e-10 * scale)
        assert g["largest"][0] == pytest.approx(reference[-1], abs=1e-10 * scale)
        row = list(table["group"]).index(name)
        assert table["lambda_min"][row] == pytest.approx(reference[0], abs=1e-10 * scale)
        assert table["lambda_max"][row] == pytest.approx(reference[-1], abs=1e-10 * scale)
        if dense_limit:
            assert g["method"] == "dense"
            np.testing.assert_allclose(eig["eigenvalue"][eig["group"] == name], reference, atol=1e-10 * scale)
            assert g["trace"] == pytest.approx(np.trace(H[np.ix_(*[objective.policy.layout.indices(name).ravel()] * 2)]),
                                               abs=1e-10 * scale)
        else:
            assert g["method"] == "lanczos" and g["trace"] is None
    assert s["per_group"]["largest_in"] == max(expected, key=lambda k: expected[k][-1])
    assert s["per_group"]["smallest_in"] == min(expected, key=lambda k: expected[k][0])
    # Cauchy interlacing: every block's spectrum lies within [λ_min(H), λ_max(H)]
    for reference in expected.values():
        assert s["smallest"][0] - 1e-10 * scale <= reference[0] and reference[-1] <= s["largest"][0] + 1e-10 * scale
    if dense_limit:
        assert sum(g["trace"] for g in groups.values()) == pytest.approx(np.trace(H), abs=1e-9 * scale)


def test_explicit_groups_and_refusals(tmp_path, mlp):
    objective, theta, H = mlp
    s = run_hessian(objective, Point(theta, "θ"), tmp_path / "h", "test", {}, directions=5,
                    groups={"first": np.arange(3), "rest": np.arange(3, objective.num_params)})
    first = s["per_group"]["groups"][0]
    np.testing.assert_allclose(first["smallest"][:3], np.linalg.eigvalsh(H[:3, :3]), atol=1e-10)
    for bad in ({"g": np.array([0, 0])}, {"g": np.array([objective.num_params])}, {"g": np.zeros(0, int)},
                {"g": np.array([0.5])}, {}):
        with pytest.raises(InputError, match="group"):
            run_hessian(objective, Point(theta, "θ"), tmp_path / "bad", "test", {}, directions=5, groups=bad)
        assert not (tmp_path / "bad").exists()


def test_cli_gridworld_per_group_spectra_and_plot_redraws(tmp_path, capsys):
    from policyscape.cli import main

    objective = make_objective(GRID, entropy=0.01)
    theta = objective.policy.initial_params(seed=4, num_seeds=1, scale=2.0)[0]
    np.save(tmp_path / "theta.npy", theta)
    out = tmp_path / "h"
    assert main(["hessian", "--env", GRID, "--entropy", "0.01", "--at", str(tmp_path / "theta.npy"),
                 "--directions", "50", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "per parameter group" in printed and "bias" in printed
    H = objective.hessian(theta)
    expected = dense_blocks(objective, H)
    table = SavedRun(out).read_csv("per_group_spectrum.csv")
    assert list(table["group"]) == ["weight", "bias"]
    for k, name in enumerate(table["group"]):
        assert table["lambda_min"][k] == pytest.approx(expected[name][0], abs=1e-11)
        assert table["lambda_max"][k] == pytest.approx(expected[name][-1], abs=1e-11)
    for name in ("hessian.png", "per_group_spectrum.png"):
        (out / name).unlink()
    assert main(["plot", str(out)]) == 0
    assert (out / "hessian.png").is_file() and (out / "per_group_spectrum.png").is_file()


def test_objectives_without_groups_have_no_per_group_spectra(tmp_path):
    s = run_hessian(make_objective("toy/saddle"), Point(np.array([0.1, 0.2]), "p"), tmp_path / "h", "toy/saddle", {},
                    directions=5)
    assert s["per_group"] is None
    assert json.loads((tmp_path / "h" / "summary.json").read_text())["per_group"] is None
    assert not (tmp_path / "h" / "per_group_spectrum.csv").exists()
