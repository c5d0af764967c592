"""Parameter layouts: θ ↔ named groups, filter groups, the tabular ↔ linear softmax map."""

import numpy as np
import pytest

from policyscape.errors import InputError
from policyscape.policies.continuous import LinearGaussian, LinearGaussianLearnedStd, LinearSoftmax, MLPGaussian
from policyscape.policies.layout import Group, Layout
from policyscape.policies.softmax import TabularSoftmaxPolicy

POLICIES = [LinearGaussian(4, 2), LinearGaussianLearnedStd(4, 2), LinearSoftmax(3, 5), LinearSoftmax(6, 2, True),
            MLPGaussian(4, 2, (3, 5)), TabularSoftmaxPolicy(7, 3)]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: type(p).__name__)
def test_layout_size_round_trip_and_partition(policy):
    layout = policy.layout
    assert layout.size == policy.num_params
    thetas = np.random.default_rng(0).normal(size=(3, 2, layout.size))
    parts = layout.unravel(thetas)
    assert [p.shape for p in parts.values()] == [(3, 2, *g.shape) for g in layout.groups]
    np.testing.assert_array_equal(layout.ravel(parts), thetas)
    groups = layout.filter_groups()
    np.testing.assert_array_equal(np.sort(np.concatenate(groups)), np.arange(layout.size))


def test_filter_groups_by_hand():
    # LinearGaussian(D=3, K=2): θ[i·K + j] = W[i, j]; filter j = {j, 2 + j, 4 + j}; bias {6, 7}
    assert [g.tolist() for g in LinearGaussian(3, 2).layout.filter_groups()] == [[0, 2, 4], [1, 3, 5], [6, 7]]
    assert [g.tolist() for g in LinearGaussianLearnedStd(3, 2).layout.filter_groups()] == [
        [0, 2, 4], [1, 3, 5], [6, 7], [8, 9]]
    # tabular softmax (S=3, A=2): θ[a·S + s] = W[a, s]: one filter per action = one row, then the bias
    assert [g.tolist() for g in TabularSoftmaxPolicy(3, 2).layout.filter_groups()] == [[0, 1, 2], [3, 4, 5], [6, 7]]
    # MLP (2 → 2 → 1): W0 [2, 2] at 0..3, b0 at 4..5, W1 [2, 1] at 6..7, b1 at 8
    assert [g.tolist() for g in MLPGaussian(2, 1, (2,)).layout.filter_groups()] == [[0, 2], [1, 3], [4, 5], [6, 7], [8]]


def test_layout_matches_the_documented_unflatten():
    r = np.random.default_rng(1)
    mlp = MLPGaussian(3, 2, (4,))
    theta = r.normal(size=mlp.num_params)
    p = mlp.layout.unravel(theta)
    assert p["weight_0"][1, 2] == theta[1 * 4 + 2] and p["bias_0"][3] == theta[12 + 3]
    assert p["weight_1"][3, 1] == theta[16 + 3 * 2 + 1] and p["bias_1"][1] == theta[16 + 8 + 1]
    tab = TabularSoftmaxPolicy(5, 3)
    theta = r.normal(size=tab.num_params)
    assert tab.layout.unravel(theta)["weight"][2, 4] == theta[2 * 5 + 4]


def test_tabular_and_linear_softmax_are_the_same_policy_through_the_layouts():
    S, A = 6, 3
    tab = TabularSoftmaxPolicy(S, A)
    lin = tab.linear_softmax()
    assert lin == LinearSoftmax(S, A, one_hot=True)
    thetas = np.random.default_rng(2).normal(size=(4, tab.num_params))
    mapped = tab.to_linear_softmax(thetas)
    np.testing.assert_array_equal(tab.from_linear_softmax(mapped), thetas)
    states = np.tile(np.arange(S), (4, 1))  # every state, for every θ
    np.testing.assert_allclose(lin.logits(mapped, states), np.asarray(tab.logits(thetas)), rtol=1e-14)
    # by hand: logits[s, a] = W[a, s] + b[a] with θ[a·S + s] = W[a, s]
    assert lin.logits(mapped, states)[0, 4, 2] == pytest.approx(thetas[0, 2 * S + 4] + thetas[0, A * S + 2])


def test_parameter_groups_of_objectives_ask_the_layout():
    from policyscape.objectives.registry import Sampling, make_objective
    from policyscape.runs.landscape import parameter_groups

    exact = make_objective("policyscape/SymmetricGridworld-v0")
    S, A = 26, 4
    expected = [np.arange(a * S, (a + 1) * S) for a in range(A)] + [np.arange(A * S, A * S + A)]  # as before
    assert [g.tolist() for g in parameter_groups(exact)] == [g.tolist() for g in expected]
    sampled_tabular = make_objective("policyscape/SymmetricGridworld-v0", sampling=Sampling(episodes=2))
    assert [g.tolist() for g in parameter_groups(sampled_tabular)] == [g.tolist() for g in expected]
    hopper = make_objective("Hopper-v5", sampling=Sampling(episodes=2, max_steps=5))
    groups = parameter_groups(hopper)
    assert len(groups) == 3 + 1 and groups[0].tolist() == list(range(0, 33, 3))
    toy = make_objective("toy/saddle")
    assert [g.tolist() for g in parameter_groups(toy)] == [[0, 1]]


def test_layout_errors():
    layout = Layout((Group("weight", (2, 3), filter_axis=1), Group("bias", (3,))))
    with pytest.raises(InputError, match="expected 9"):
        layout.unravel(np.zeros(8))
    with pytest.raises(InputError, match="missing"):
        layout.ravel({"weight": np.zeros((2, 3))})
    with pytest.raises(InputError, match="trailing shape"):
        layout.ravel({"weight": np.zeros((3, 2)), "bias": np.zeros(3)})
    with pytest.raises(InputError, match="no parameter group"):
        layout.indices("log_std")
