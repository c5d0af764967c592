"""Small dense solves ``A x = b`` for strictly diagonally dominant ``A``, fast under batching.

The exact objective of a tabular MDP needs ``x = (I − γ P_π)⁻¹ r_π`` for every policy in
a batch. ``A = I − γ P_π`` is strictly diagonally dominant by rows: the rows of ``P_π``
are probability distributions and ``γ < 1``, so ``|a_ii| = 1 − γ P_ii > γ Σ_{j≠i} P_ij``.
Every Schur complement of a strictly row diagonally dominant matrix is again strictly row
diagonally dominant, so Gaussian elimination *without pivoting* never meets a zero pivot
and its growth factor is at most 2 (Wilkinson): it is as stable as partial pivoting here,
and dropping the pivot search leaves only branch-free arithmetic.

The elimination is written once, for ``A`` of shape ``[S, S, *batch]`` and ``b`` of shape
``[S, *batch]``, with any batch axes *trailing*:

- :func:`solve_diagonally_dominant` — one instance (``A [S, S]``, ``b [S]``); the caller
  batches it with ``jax.vmap`` (rlax-style);
- :func:`solve_diagonally_dominant_batch_last` — a batch laid out as ``A [S, S, B]``,
  ``b [S, B]``; with the batch as the last, contiguous axis every step of the elimination
  is an elementwise operation over ``B`` contiguous numbers, which XLA vectorises well;
- :func:`map_in_chunks` — evaluates a per-instance function over a large batch in chunks,
  so each chunk's ``[S, S, chunk]`` working set stays in cache.

Both solves go through ``jax.lax.custom_linear_solve`` (with the elimination of ``Aᵀ`` as
``transpose_solve``), so derivatives are taken implicitly — ``dx = A⁻¹ (db − dA x)`` — and
never through the elimination itself; ``jax.grad``, ``jax.jvp`` and ``jax.hessian`` all work.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

__all__ = ["map_in_chunks", "solve_diagonally_dominant", "solve_diagonally_dominant_batch_last"]


def _eliminate(A: jax.Array, b: jax.Array) -> jax.Array:
    """Gaussian elimination without pivoting; ``A [S, S, *batch]``, ``b [S, *batch]`` → ``x [S, *batch]``.

    Works on the augmented matrix ``M = [A | b]``; step ``k`` stores the pivot row divided
    by its pivot and replaces ``M`` by its Schur complement (the Python loop is unrolled,
    so every slice is static and the arrays shrink as the elimination proceeds).
    """
    S = A.shape[0]
    M = jnp.concatenate([A, b[:, None]], axis=1)  # [S, S + 1, *batch]
    rows = []  # rows[k]: [S − k, *batch], U[k, k+1:] followed by the reduced rhs c[k]
    for _ in range(S):
        row = M[0, 1:] / M[0, 0]
        rows.append(row)
        M = M[1:, 1:] - M[1:, :1] * row[None]
    x: list[jax.Array] = []  # x[S−1], x[S−2], … (back substitution, U has a unit diagonal)
    for k in range(S - 1, -1, -1):
        xk = rows[k][-1]
        for j, xj in enumerate(reversed(x)):
            xk = xk - rows[k][j] * xj
        x.append(xk)
    return jnp.stack(x[::-1])


def _solve(A: jax.Array, b: jax.Array, matvec: Callable, A_T: jax.Array) -> jax.Array:
    return jax.lax.custom_linear_solve(
        matvec,
        b,
        solve=lambda _, rhs: _eliminate(A, rhs),
        transpose_solve=lambda _, rhs: _eliminate(A_T, rhs),
    )


def solve_diagonally_dominant(A: jax.Array, b: jax.Array) -> jax.Array:
    """Solve ``A x = b`` for one strictly diagonally dominant ``A [S, S]`` and ``b [S]``.

    Gaussian elimination without pivoting (see the module docstring for why that is
    stable here); batch with ``jax.vmap``. Differentiable in reverse and forward mode
    through ``jax.lax.custom_linear_solve``. Use float64 for exact MDP objectives.
    """
    if A.ndim != 2 or A.shape[0] != A.shape[1] or b.shape != A.shape[:1]:
        raise ValueError(f"expected A [S, S] and b [S], got {A.shape} and {b.shape}")
    return _solve(A, b, lambda v: A @ v, A.T)


def solve_diagonally_dominant_batch_last(A: jax.Array, b: jax.Array) -> jax.Array:
    """Solve ``A[..., n] x[:, n] = b[:, n]`` for a batch laid out last: ``A [S, S, B]``, ``b [S, B]``.

    Same elimination and derivatives as :func:`solve_diagonally_dominant`; the batch is the
    trailing, contiguous axis, so each elimination step vectorises over the batch.
    Returns ``x [S, B]``.
    """
    if A.ndim != 3 or A.shape[0] != A.shape[1] or b.shape != (A.shape[0], A.shape[2]):
        raise ValueError(f"expected A [S, S, B] and b [S, B], got {A.shape} and {b.shape}")
    return _solve(A, b, lambda v: jnp.einsum("ijn,jn->in", A, v), jnp.swapaxes(A, 0, 1))


def map_in_chunks(fn: Callable, xs, batch_size: int):
    """``jax.vmap(fn)(xs)`` evaluated ``batch_size`` instances at a time (``jax.lax.map``).

    ``fn`` is written for one instance; ``xs`` is a pytree with a leading batch axis. Keeping
    chunks small keeps each chunk's working set (``[S, S, batch_size]`` matrices) in cache,
    which for small ``S`` is faster than one vmap over the whole batch.
    """
    return jax.lax.map(fn, xs, batch_size=batch_size)
