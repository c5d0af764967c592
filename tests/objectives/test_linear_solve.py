"""solve_diagonally_dominant against numpy, and its derivatives against jnp.linalg.solve."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from policyscape.objectives.linear_solve import (
    UNROLL_LIMIT,
    elimination_solve_pair,
    lu_solve_pair,
    map_in_chunks,
    solve_diagonally_dominant,
)


@pytest.fixture(autouse=True)
def _x64():
    with jax.enable_x64(True):
        yield


def dominant(rng, S, batch=(), gamma=0.99, concentration=1.0, by="rows"):
    """I − γ P with P row-stochastic (strictly diagonally dominant by rows), or its transpose."""
    P = rng.dirichlet(np.full(S, concentration), size=(*batch, S))
    A = np.eye(S) - gamma * P
    return np.swapaxes(A, -1, -2) if by == "columns" else A


def rel_err(x, ref):
    return np.max(np.abs(np.asarray(x) - np.asarray(ref))) / np.max(np.abs(np.asarray(ref)))


@pytest.mark.parametrize("by", ["rows", "columns"])
@pytest.mark.parametrize("S", [1, 2, 7, 26])
def test_matches_numpy(S, by):
    rng = np.random.default_rng(S)
    for gamma, concentration in [(0.5, 1.0), (0.99, 1.0), (0.999, 0.02)]:  # 0.02: near-deterministic rows
        A = dominant(rng, S, gamma=gamma, concentration=concentration, by=by)
        b = rng.normal(size=S)
        x = jax.jit(solve_diagonally_dominant)(A, b)
        assert x.dtype == jnp.float64 and x.shape == (S,)
        assert rel_err(x, np.linalg.solve(A, b)) < 1e-12


def test_general_dominant_matrix_with_signs():
    rng = np.random.default_rng(0)
    S = 9
    A = rng.normal(size=(S, S))
    np.fill_diagonal(A, 0.0)
    A += np.diag(np.abs(A).sum(1) * rng.uniform(1.01, 2.0, S) * rng.choice([-1.0, 1.0], S))
    b = rng.normal(size=S)
    assert rel_err(jax.jit(solve_diagonally_dominant)(A, b), np.linalg.solve(A, b)) < 1e-13


def test_vmap_matches_numpy():
    rng = np.random.default_rng(1)
    A, b = dominant(rng, 26, batch=(50,)), rng.normal(size=(50, 26))
    x = jax.jit(jax.vmap(solve_diagonally_dominant))(A, b)
    assert rel_err(x, np.linalg.solve(A, b[..., None])[..., 0]) < 1e-12


@pytest.mark.parametrize("batch_size", [1, 16, 50, 64])  # 16 leaves a partial chunk; 64 > B
def test_map_in_chunks_matches_vmap(batch_size):
    rng = np.random.default_rng(2)
    A, b = dominant(rng, 5, batch=(50,)), rng.normal(size=(50, 5))
    x = jax.jit(lambda A, b: map_in_chunks(lambda ab: solve_diagonally_dominant(*ab), (A, b), batch_size))(A, b)
    assert rel_err(x, jax.vmap(solve_diagonally_dominant)(A, b)) < 1e-13


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="expected A"):
        solve_diagonally_dominant(jnp.eye(3), jnp.ones(4))
    with pytest.raises(ValueError, match="expected A"):
        solve_diagonally_dominant(jnp.ones((2, 3)), jnp.ones(2))
    with pytest.raises(ValueError, match="batch_size"):
        map_in_chunks(jnp.sin, jnp.ones(3), 0)


def loss(solve, A, b):
    """A smooth nonlinear function of the solution, so that Hessians are not trivial."""
    x = solve(A, b)
    return jnp.sum(jnp.sin(x)) + 0.5 * jnp.sum(x**2)


@pytest.fixture(params=["rows", "columns"])
def problem(request):
    rng = np.random.default_rng(3)
    return jnp.asarray(dominant(rng, 6, gamma=0.9, by=request.param)), jnp.asarray(rng.normal(size=6))


@pytest.mark.parametrize("argnums", [1, 2, (1, 2)])
def test_grad_matches_linalg_solve(problem, argnums):
    ours = jax.jit(jax.grad(loss, argnums), static_argnums=0)(solve_diagonally_dominant, *problem)
    ref = jax.jit(jax.grad(loss, argnums), static_argnums=0)(jnp.linalg.solve, *problem)
    for g, r in zip(jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(ref), strict=True):
        assert rel_err(g, r) < 1e-12


def test_jvp_matches_linalg_solve(problem):
    A, b = problem
    rng = np.random.default_rng(4)
    tangents = (jnp.asarray(rng.normal(size=A.shape)), jnp.asarray(rng.normal(size=b.shape)))
    ours = jax.jit(lambda p, t: jax.jvp(solve_diagonally_dominant, p, t))((A, b), tangents)
    ref = jax.jvp(jnp.linalg.solve, (A, b), tangents)
    for o, r in zip(ours, ref, strict=True):
        assert rel_err(o, r) < 1e-12


@pytest.mark.parametrize("argnums", [1, 2, (1, 2)])
def test_hessian_matches_linalg_solve(problem, argnums):
    ours = jax.jit(jax.hessian(loss, argnums), static_argnums=0)(solve_diagonally_dominant, *problem)
    ref = jax.jit(jax.hessian(loss, argnums), static_argnums=0)(jnp.linalg.solve, *problem)
    for h, r in zip(jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(ref), strict=True):
        assert rel_err(h, r) < 1e-11


def test_mdp_objective_value_grad_hessian():
    """J(θ) = p0ᵀ (I − γ P_π)⁻¹ r_π of a random softmax policy: value, grad and Hessian in θ."""
    rng = np.random.default_rng(5)
    S, A_, gamma = 5, 3, 0.99
    P = jnp.asarray(rng.dirichlet(np.full(S, 0.3), size=(S, A_)))
    R = jnp.asarray(rng.normal(size=(S, A_)))
    p0 = jnp.asarray(rng.dirichlet(np.ones(S)))

    def J(solve, theta):
        pi = jax.nn.softmax(theta.reshape(S, A_), axis=1)
        A = jnp.eye(S) - gamma * jnp.einsum("sa,sat->st", pi, P)
        return p0 @ solve(A, jnp.sum(pi * R, axis=1))

    thetas = jnp.asarray(rng.uniform(-3, 3, size=(4, S * A_)))
    for fn in (J, jax.grad(J, 1), jax.hessian(J, 1)):
        ours = jax.jit(lambda ts, fn=fn: map_in_chunks(lambda t: fn(solve_diagonally_dominant, t), ts, 2))(thetas)
        ref = jax.jit(jax.vmap(lambda t, fn=fn: fn(jnp.linalg.solve, t)))(thetas)
        assert rel_err(ours, ref) < 1e-11


@pytest.mark.parametrize("S", [1, 7, 26, UNROLL_LIMIT + 3])
def test_elimination_solve_pair_matches_numpy(S):
    """(A⁻¹ b, A⁻ᵀ c) for I − γP; above UNROLL_LIMIT it is LAPACK's LU (lu_solve_pair)."""
    rng = np.random.default_rng(S)
    A = dominant(rng, S, gamma=0.99)
    b, c = rng.normal(size=S), rng.normal(size=S)
    x, y = jax.jit(elimination_solve_pair)(A, b, c)
    assert rel_err(x, np.linalg.solve(A, b)) < 1e-12 and rel_err(y, np.linalg.solve(A.T, c)) < 1e-12


def test_elimination_solve_pair_has_no_lapack_call():
    """What lets the training loop run on several CPU devices: no custom call (LAPACK) in the compiled code,
    unlike lu_solve_pair's."""
    A, b = jnp.eye(26) * 2.0, jnp.ones(26)
    batched = jax.vmap(elimination_solve_pair)
    assert "custom_call" not in jax.jit(batched).lower(A[None], b[None], b[None]).as_text()
    assert "custom_call" in jax.jit(jax.vmap(lu_solve_pair)).lower(A[None], b[None], b[None]).as_text()
