"""Hessian spectra of an objective at one θ: dense eigenvalues, Lanczos extremes, SLQ densities.

Everything here is about the Hessian ``H = ∇²J(θ)`` [n, n] of the *maximized* objective ``J``
(no sign flip: near a strict maximum all eigenvalues are negative). Two routes:

- **dense** (n up to a few thousand): ``H`` from autodiff, all eigenvalues by ``eigvalsh``;
- **matrix-free** (large n): only Hessian-vector products ``v ↦ Hv``. Lanczos with full
  reorthogonalization gives a tridiagonal ``T = VᵀHV`` [m, m] whose extreme Ritz values
  converge to the extreme eigenvalues; stochastic Lanczos quadrature (SLQ; Golub & Meurant
  2010, Ghorbani, Krishnan & Xiao 2019, Papyan 2019) turns the Ritz values θ_i and weights
  τ_i = (first component of T's i-th eigenvector)² of several random start vectors into a
  Gaussian-broadened estimate of the spectral density ``φ(t) = (1/n) Σ_j δ(t − λ_j)``;
  Hutchinson's estimator ``tr(H) = E[zᵀHz]`` (Rademacher z) gives the trace.

Random-direction curvature is not the eigenvalue spectrum
----------------------------------------------------------
The paired-perturbation tool (paper, "Visualization methods") reads the curvature
``dᵀHd`` along random *unit* directions d. For d uniform on the sphere in n dimensions,
with eigenvalues λ_j::

    E[dᵀHd]   = tr(H) / n
    Var[dᵀHd] = 2 (‖H‖_F² − tr(H)²/n) / (n (n + 2))  ≈ 2 ‖H − (tr H / n) I‖_F² / n²  (≤ 2 ‖H‖_F² / n²)

so the curvatures along random directions concentrate in a band of width O(‖H‖_F / n)
around the *mean* eigenvalue — even when the spectrum spans [λ_min, λ_max] with outliers of
either sign. A histogram of random-direction curvatures therefore says little about the
extreme eigenvalues (e.g. a single negative outlier, the escape direction of a saddle, is
invisible); show it side by side with the eigenvalue spectrum (:func:`hessian_spectrum`),
never in place of it. :func:`expected_random_curvature` and :func:`random_curvature_std`
give the band; :func:`random_direction_curvatures` measures it.

All inputs and outputs are numpy float64; random start vectors come from explicit seeds.
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

import numpy as np

from policyscape.errors import InputError
from policyscape.objectives.base import DifferentiableObjective, as_theta_batch

HVP = Callable[[np.ndarray], np.ndarray]
"""A symmetric linear map given by its products: ``v [n] ↦ H v [n]``."""

_DENSITY_CHUNK = 1024  # nodes per block when summing Gaussian kernels (bounds memory to chunk × grid)


class LanczosResult(NamedTuple):
    """Tridiagonal ``T = VᵀHV`` of ``m`` Lanczos steps (unpacks as ``alphas, betas``).

    ``T`` has diagonal ``alphas`` [m] and off-diagonal ``betas`` [m − 1]; a zero ``beta``
    marks a restart after breakdown (``T`` is then block diagonal).
    """

    alphas: np.ndarray
    betas: np.ndarray


class ExtremeEigenvalues(NamedTuple):
    """``smallest`` ascending from λ_min, ``largest`` descending from λ_max (each [k])."""

    smallest: np.ndarray
    largest: np.ndarray


class SpectralDensity(NamedTuple):
    """A spectral density on a grid: ``grid`` [G], ``density`` [G] (∫ density dt ≈ 1)."""

    grid: np.ndarray
    density: np.ndarray


class TraceEstimate(NamedTuple):
    """Hutchinson estimates from the same ``num_samples`` products ``Hz``.

    ``trace``: mean of ``zᵀHz``; ``stderr``: its standard error (sample std / √N);
    ``frobenius_sq``: mean of ``‖Hz‖²``, unbiased for ``‖H‖_F²``.
    """

    trace: float
    stderr: float
    frobenius_sq: float


# ----------------------------------------------------------------------------- checks


def _check_positive_int(value, what: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"{what} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_square(matrix, what: str = "hessian") -> np.ndarray:
    arr = np.asarray(matrix, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise InputError(f"{what} must be a non-empty square matrix [n, n], got shape {np.shape(matrix)}")
    if not np.all(np.isfinite(arr)):
        i, j = np.argwhere(~np.isfinite(arr))[0]
        raise InputError(f"{what} must be finite, got {arr[i, j]} at index ({i}, {j})")
    return arr


def _apply(hvp: HVP, v: np.ndarray, n: int) -> np.ndarray:
    out = np.array(hvp(v), dtype=np.float64)  # a copy: hvp may return a read-only view (JAX arrays)
    if out.shape != (n,):
        raise InputError(f"hvp must map a vector [{n}] to a vector [{n}], got shape {out.shape}")
    if not np.all(np.isfinite(out)):
        raise InputError("hvp returned non-finite values")
    return out


def _child_seed(seed: int, index: int) -> int:
    """An int seed derived from ``(seed, index)`` (``SeedSequence`` spawn key)."""
    return int(np.random.SeedSequence(seed, spawn_key=(index,)).generate_state(1, np.uint64)[0])


# ----------------------------------------------------------------------------- dense


def dense_spectrum(hessian: np.ndarray) -> np.ndarray:
    """All eigenvalues of a dense Hessian [n, n] → [n], ascending.

    The matrix is symmetrized, ``(H + Hᵀ)/2``, before ``numpy.linalg.eigvalsh`` (autodiff
    Hessians are symmetric only up to rounding). Raises :class:`InputError` unless the input
    is a finite non-empty square matrix.
    """
    H = _check_square(hessian)
    return np.linalg.eigvalsh(0.5 * (H + H.T))


# ----------------------------------------------------------------------------- Lanczos


def _orthonormal_random(rng: np.random.Generator, basis: np.ndarray) -> np.ndarray | None:
    """A random unit vector orthogonal to the rows of ``basis`` [j, n]; None if they span Rⁿ."""
    u = rng.standard_normal(basis.shape[1])
    start = np.linalg.norm(u)
    for _ in range(2):
        u -= basis.T @ (basis @ u)
    norm = np.linalg.norm(u)
    return None if norm <= 1e-8 * start else u / norm


def lanczos(
    hvp: HVP,
    n: int,
    num_steps: int,
    seed: int | np.random.SeedSequence,
    *,
    breakdown_tol: float = 1e-10,
    restart: bool = True,
) -> LanczosResult:
    """Lanczos tridiagonalization of a symmetric ``H`` [n, n] from products ``v ↦ Hv``.

    With ``v_1`` a random unit vector (``np.random.default_rng(seed)``) and ``β_0 v_0 = 0``::

        w_j     = H v_j − α_j v_j − β_{j−1} v_{j−1},   α_j = v_jᵀ H v_j
        w_j    ← w_j − V_j (V_jᵀ w_j)   (full reorthogonalization, two Gram–Schmidt passes)
        β_j     = ‖w_j‖,   v_{j+1} = w_j / β_j

    so that ``VᵀHV = T = tridiag(β, α, β)`` with ``V`` [n, m] orthonormal to rounding. Uses
    ``m = min(num_steps, n)`` products and stores ``V`` (m · n floats: 8 MB for n = 10⁴,
    m = 100).

    Breakdown: ``β_j ≤ breakdown_tol · max_i ‖H v_i‖`` means the Krylov space is invariant
    (it has met every distinct eigenvalue whose eigenspace ``v_1`` touches: at most
    rank(H) + 1 of them, and at most n). With ``restart`` the iteration continues from a fresh
    random unit vector orthogonal to all previous ones and records ``β_j = 0`` (``T`` becomes
    block diagonal; later blocks reveal repeated eigenvalues, which one Krylov space cannot);
    without it, ``T`` is truncated to the ``j`` steps done.

    Returns :class:`LanczosResult` ``(alphas [m], betas [m − 1])``; :func:`ritz_pairs` also keeps ``V``.
    """
    alphas, betas, _ = _lanczos(hvp, n, num_steps, seed, breakdown_tol=breakdown_tol, restart=restart)
    return LanczosResult(alphas, betas)


def _lanczos(hvp: HVP, n: int, num_steps: int, seed, *, breakdown_tol: float = 1e-10,
             restart: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`lanczos` → ``(alphas [m], betas [m − 1], V [m, n])``, the rows of ``V`` the orthonormal basis."""
    n = _check_positive_int(n, "n")
    num_steps = _check_positive_int(num_steps, "num_steps")
    if not (np.isfinite(breakdown_tol) and breakdown_tol >= 0):
        raise InputError(f"breakdown_tol must be a finite number >= 0, got {breakdown_tol!r}")
    m = min(num_steps, n)
    rng = np.random.default_rng(seed)
    V = np.empty((m, n))
    alphas = np.zeros(m)
    betas = np.zeros(max(m - 1, 0))
    v = rng.standard_normal(n)
    V[0] = v / np.linalg.norm(v)
    scale = 0.0  # running estimate of ‖H‖ (largest ‖H v_j‖ seen)
    for j in range(m):
        w = _apply(hvp, V[j].copy(), n)
        scale = max(scale, float(np.linalg.norm(w)))
        alphas[j] = V[j] @ w
        w -= alphas[j] * V[j]
        if j > 0:
            w -= betas[j - 1] * V[j - 1]
        basis = V[: j + 1]
        for _ in range(2):
            w -= basis.T @ (basis @ w)
        if j == m - 1:
            break
        beta = float(np.linalg.norm(w))
        if beta > breakdown_tol * scale:
            betas[j] = beta
            V[j + 1] = w / beta
            continue
        fresh = _orthonormal_random(rng, basis) if restart else None
        if fresh is None:
            return alphas[: j + 1].copy(), betas[:j].copy(), V[: j + 1].copy()
        betas[j] = 0.0
        V[j + 1] = fresh
    return alphas, betas, V


def ritz(result: LanczosResult | tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Ritz values (eigenvalues of ``T``) [m], ascending, and weights [m] from ``(alphas, betas)``.

    The weights ``τ_i = (e_1ᵀ y_i)²`` (squared first components of ``T``'s unit eigenvectors)
    sum to 1; ``Σ_i τ_i f(θ_i) ≈ v_1ᵀ f(H) v_1`` is the Gauss quadrature behind SLQ.
    """
    alphas, betas = (np.asarray(x, dtype=np.float64) for x in result)
    m = alphas.shape[0]
    assert betas.shape == (max(m - 1, 0),), (alphas.shape, betas.shape)
    T = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
    values, vectors = np.linalg.eigh(T)
    return values, vectors[0] ** 2


def ritz_pairs(hvp: HVP, n: int, num_steps: int, seed) -> tuple[np.ndarray, np.ndarray]:
    """Ritz values [m] ascending and unit Ritz vectors [m, n] (row i belongs to value i) of ``H`` [n, n].

    :func:`lanczos` (with restarts) for ``min(num_steps, n)`` products, then ``T = Y diag(θ) Yᵀ`` and
    Ritz vectors ``x_i = V y_i``. The values are those of :func:`extreme_eigenvalues` with the same
    arguments; extreme pairs converge first, and ``‖H x_i − θ_i x_i‖`` (one product) says how well.
    With ``num_steps >= n`` they are the eigenpairs of ``H`` to rounding.
    """
    alphas, betas, V = _lanczos(hvp, n, num_steps, seed, restart=True)
    m = alphas.shape[0]
    T = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
    values, Y = np.linalg.eigh(T)
    vectors = Y.T @ V[:m]
    return values, vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def extreme_eigenvalues(
    hvp: HVP, n: int, k: int = 5, num_steps: int = 100, seed: int = 0
) -> ExtremeEigenvalues:
    """The ``k`` smallest and ``k`` largest eigenvalues of ``H`` [n, n] from Lanczos Ritz values.

    Runs :func:`lanczos` (with restarts) for ``min(num_steps, n)`` products and returns the
    extreme Ritz values: ``smallest`` [k] ascending from ``λ_min`` and ``largest`` [k]
    descending from ``λ_max``. By interlacing, Ritz values lie inside [λ_min, λ_max] and the
    extremes converge first (fast when they are separated from the rest of the spectrum);
    take ``num_steps`` several times ``k``. They are exact, multiplicities included, once
    ``num_steps >= n``. Before that, an eigenvalue repeated in the spectrum shows up only once.
    If fewer than ``k`` steps could be taken, both arrays have that length.
    """
    k = _check_positive_int(k, "k")
    values, _ = ritz(lanczos(hvp, n, num_steps, seed, restart=True))
    k = min(k, values.shape[0])
    return ExtremeEigenvalues(values[:k].copy(), values[::-1][:k].copy())


# ----------------------------------------------------------------------------- densities


def density_grid(lo: float, hi: float, *, sigma: float | None = None, grid_size: int = 1000) -> tuple[np.ndarray, float]:
    """A grid [grid_size] over ``[lo − 5σ, hi + 5σ]`` and the Gaussian width σ used for it.

    Default ``σ = 0.01 · (hi − lo)`` (or ``0.01 · max(|lo|, 1)`` when ``hi == lo``): wide enough
    that the grid (~9 points per σ at the default size) integrates the density accurately,
    narrow enough to keep outliers apart. Pass the same ``grid`` and ``sigma`` to
    :func:`spectral_density` and :func:`dense_spectral_density` to compare curves.
    """
    lo, hi = float(lo), float(hi)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi):
        raise InputError(f"density range needs finite lo <= hi, got lo={lo!r}, hi={hi!r}")
    grid_size = _check_positive_int(grid_size, "grid_size", minimum=2)
    if sigma is None:
        span = hi - lo if hi > lo else max(abs(lo), 1.0)
        sigma = 0.01 * span
    sigma = float(sigma)
    if not (np.isfinite(sigma) and sigma > 0):
        raise InputError(f"sigma must be a finite number > 0, got {sigma!r}")
    return np.linspace(lo - 5 * sigma, hi + 5 * sigma, grid_size), sigma


def broadened_density(
    nodes: np.ndarray,
    weights: np.ndarray,
    *,
    grid: np.ndarray | None = None,
    sigma: float | None = None,
    grid_size: int = 1000,
) -> SpectralDensity:
    """``φ(t) = Σ_i w_i 𝒩(t; θ_i, σ²)`` for nodes θ [M] and weights w [M] (Σ w = 1).

    ``grid`` and ``sigma`` default to :func:`density_grid` over the node range.
    """
    nodes = np.asarray(nodes, dtype=np.float64).reshape(-1)
    weights = np.asarray(weights, dtype=np.float64).reshape(-1)
    if nodes.shape != weights.shape or nodes.size == 0:
        raise InputError(f"nodes and weights must be non-empty and of equal length, got {nodes.shape} and {weights.shape}")
    if not (np.all(np.isfinite(nodes)) and np.all(np.isfinite(weights))):
        raise InputError("nodes and weights must be finite")
    if grid is None:
        grid, sigma = density_grid(nodes.min(), nodes.max(), sigma=sigma, grid_size=grid_size)
    else:
        grid = np.asarray(grid, dtype=np.float64).reshape(-1)
        if grid.size < 2 or not np.all(np.isfinite(grid)):
            raise InputError(f"grid must hold at least 2 finite points, got shape {grid.shape}")
        if sigma is None:
            _, sigma = density_grid(nodes.min(), nodes.max())
    sigma = float(sigma)
    if not (np.isfinite(sigma) and sigma > 0):
        raise InputError(f"sigma must be a finite number > 0, got {sigma!r}")
    density = np.zeros_like(grid)
    norm = 1.0 / (sigma * math.sqrt(2 * math.pi))
    for start in range(0, nodes.size, _DENSITY_CHUNK):
        z = (grid[None, :] - nodes[start : start + _DENSITY_CHUNK, None]) / sigma  # [chunk, G]
        density += weights[start : start + _DENSITY_CHUNK] @ np.exp(-0.5 * z * z)
    return SpectralDensity(grid, density * norm)


def dense_spectral_density(
    eigenvalues: np.ndarray, *, grid: np.ndarray | None = None, sigma: float | None = None, grid_size: int = 1000
) -> SpectralDensity:
    """``φ(t) = (1/n) Σ_j 𝒩(t; λ_j, σ²)`` from all eigenvalues [n] (the exact counterpart of SLQ)."""
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64).reshape(-1)
    if eigenvalues.size == 0:
        raise InputError("eigenvalues must be non-empty")
    weights = np.full(eigenvalues.shape, 1.0 / eigenvalues.size)
    return broadened_density(eigenvalues, weights, grid=grid, sigma=sigma, grid_size=grid_size)


def spectral_density(
    hvp: HVP,
    n: int,
    *,
    num_vectors: int = 8,
    num_steps: int = 80,
    seed: int = 0,
    grid: np.ndarray | None = None,
    sigma: float | None = None,
    grid_size: int = 1000,
) -> SpectralDensity:
    """Stochastic Lanczos quadrature estimate of the spectral density of ``H`` [n, n].

    For start vectors ``v^(l)``, l = 1..num_vectors (vector l seeded by
    ``SeedSequence(seed, spawn_key=(l − 1,))``), Lanczos gives Ritz values θ_i^(l) and weights
    τ_i^(l) (:func:`ritz`), and (Ghorbani et al. 2019, Alg. 1)::

        φ(t) ≈ (1/L) Σ_l Σ_i τ_i^(l) 𝒩(t; θ_i^(l), σ²)

    which is unbiased for the broadened ``(1/n) Σ_j 𝒩(t; λ_j, σ²)`` in the limit of exact
    quadrature. Its mean ``Σ τ θ`` is ``v_1ᵀHv_1`` per vector, i.e. a Hutchinson estimate of
    ``tr(H)/n``. Costs ``num_vectors · min(num_steps, n)`` products. Breakdown truncates ``T``
    (the quadrature is then exact). → :class:`SpectralDensity` ``(grid [G], density [G])``.
    """
    num_vectors = _check_positive_int(num_vectors, "num_vectors")
    nodes, weights = [], []
    for index in range(num_vectors):
        values, w = ritz(lanczos(hvp, n, num_steps, np.random.SeedSequence(seed, spawn_key=(index,)), restart=False))
        nodes.append(values)
        weights.append(w / num_vectors)
    return broadened_density(np.concatenate(nodes), np.concatenate(weights), grid=grid, sigma=sigma, grid_size=grid_size)


# ----------------------------------------------------------------------------- random directions, trace


def random_direction_curvatures(hessian_or_hvp: np.ndarray | HVP, directions: np.ndarray) -> np.ndarray:
    """Curvatures ``dᵀHd`` along unit directions: directions [N, n] (or [n]) → [N].

    Rows are normalized to unit length first (a zero row is an :class:`InputError`). ``H`` is
    a dense matrix [n, n] or a product ``v ↦ Hv``. Their distribution concentrates around
    ``tr(H)/n`` (module docstring), it is not the eigenvalue spectrum.
    """
    D = np.asarray(directions, dtype=np.float64)
    if D.ndim == 1:
        D = D[None, :]
    if D.ndim != 2 or D.shape[1] == 0:
        raise InputError(f"directions must have shape [N, n] or [n], got {np.shape(directions)}")
    if not np.all(np.isfinite(D)):
        raise InputError("directions must be finite")
    norms = np.linalg.norm(D, axis=1)
    if np.any(norms == 0):
        raise InputError(f"directions must be non-zero, row {int(np.argmin(norms))} is zero")
    U = D / norms[:, None]
    n = U.shape[1]
    if callable(hessian_or_hvp):
        return np.array([u @ _apply(hessian_or_hvp, u.copy(), n) for u in U])
    H = _check_square(hessian_or_hvp)
    if H.shape[0] != n:
        raise InputError(f"directions have length {n} but the Hessian is {H.shape[0]} x {H.shape[0]}")
    return np.einsum("ij,ij->i", U @ H, U)


def expected_random_curvature(trace: float, n: int) -> float:
    """``E[dᵀHd] = tr(H)/n`` for d uniform on the unit sphere in n dimensions."""
    n = _check_positive_int(n, "n")
    return float(trace) / n


def random_curvature_std(frobenius_sq: float, trace: float, n: int) -> float:
    """``std[dᵀHd] = √(2 (‖H‖_F² − tr(H)²/n) / (n (n+2)))`` for d uniform on the unit sphere.

    (Write ``dᵀHd = Σ λ_j u_j²`` with u uniform on the sphere and use ``E u_j⁴ = 3/(n(n+2))``,
    ``E u_i² u_j² = 1/(n(n+2))``.) Clipped at 0 against rounding / estimated inputs.
    """
    n = _check_positive_int(n, "n")
    variance = 2.0 * (float(frobenius_sq) - float(trace) ** 2 / n) / (n * (n + 2))
    return math.sqrt(max(variance, 0.0))


def hutchinson_trace(hvp: HVP, n: int, num_samples: int, seed: int) -> TraceEstimate:
    """Hutchinson's trace estimator with Rademacher vectors (Hutchinson 1990).

    For z with i.i.d. ±1 entries (``np.random.default_rng(seed)``), ``E[zᵀHz] = tr(H)`` with
    ``Var = 2 (‖H‖_F² − Σ_i H_ii²)``, and ``E‖Hz‖² = ‖H‖_F²``. Uses ``num_samples`` (≥ 2)
    products → :class:`TraceEstimate` ``(trace, stderr, frobenius_sq)``.
    """
    n = _check_positive_int(n, "n")
    num_samples = _check_positive_int(num_samples, "num_samples", minimum=2)
    rng = np.random.default_rng(seed)
    quad = np.empty(num_samples)
    sq = np.empty(num_samples)
    for i in range(num_samples):
        z = rng.choice(np.array([-1.0, 1.0]), size=n)
        hz = _apply(hvp, z.copy(), n)
        quad[i] = z @ hz
        sq[i] = hz @ hz
    return TraceEstimate(float(quad.mean()), float(quad.std(ddof=1) / math.sqrt(num_samples)), float(sq.mean()))


# ----------------------------------------------------------------------------- objective-level


def hessian_spectrum(
    objective,
    theta,
    *,
    dense_limit: int = 2000,
    k: int = 5,
    num_steps: int = 100,
    num_vectors: int = 8,
    trace_samples: int = 100,
    grid_size: int = 1000,
    sigma: float | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Spectrum summary of ``∇²J(θ)`` for a :class:`~policyscape.objectives.base.DifferentiableObjective`.

    ``theta`` [n]. If ``n <= dense_limit``: dense Hessian, all eigenvalues, exact trace and
    ``‖H‖_F²``, density by :func:`dense_spectral_density`. Otherwise: :func:`extreme_eigenvalues`
    (``num_steps`` products), :func:`hutchinson_trace` (``trace_samples`` products) and
    :func:`spectral_density` (``num_vectors · num_steps`` products), seeded by children of
    ``seed``. The density grid spans [λ_min, λ_max] (extreme Ritz values in the matrix-free
    case) padded by 5σ, σ from :func:`density_grid` unless given.

    Returns plain JSON-able data::

        {"method": "dense" | "lanczos", "n": int,
         "eigenvalues": [n] ascending | None,
         "smallest": [k] ascending from λ_min, "largest": [k] descending from λ_max,
         "trace": float, "trace_stderr": float (0 when exact), "frobenius_sq": float,
         "random_curvature": {"mean": tr/n, "std": float},   # band of dᵀHd, unit random d
         "density": {"grid": [G], "values": [G], "sigma": float}}
    """
    if not isinstance(objective, DifferentiableObjective):
        raise InputError(f"objective must be differentiable (a DifferentiableObjective, with hessian and hvp), "
                         f"got {type(objective).__name__}")
    n = int(objective.num_params)
    batch = as_theta_batch(theta, n)
    if batch.shape[0] != 1:
        raise InputError(f"theta must be a single parameter vector [n], got shape {np.shape(theta)}")
    theta = batch[0]
    dense_limit = _check_positive_int(dense_limit, "dense_limit", minimum=0)
    k = _check_positive_int(k, "k")

    if n <= dense_limit:
        eigenvalues = dense_spectrum(objective.hessian(theta))
        trace, stderr, frobenius_sq = float(eigenvalues.sum()), 0.0, float(eigenvalues @ eigenvalues)
        smallest, largest = eigenvalues[:k], eigenvalues[::-1][:k]
        grid, sigma = density_grid(eigenvalues[0], eigenvalues[-1], sigma=sigma, grid_size=grid_size)
        curve = dense_spectral_density(eigenvalues, grid=grid, sigma=sigma)
        method, all_eigenvalues = "dense", [float(x) for x in eigenvalues]
    else:

        def hvp(v):
            return objective.hvp(theta, v)

        smallest, largest = extreme_eigenvalues(hvp, n, k=k, num_steps=num_steps, seed=_child_seed(seed, 0))
        estimate = hutchinson_trace(hvp, n, trace_samples, _child_seed(seed, 1))
        trace, stderr, frobenius_sq = estimate
        grid, sigma = density_grid(smallest[0], largest[0], sigma=sigma, grid_size=grid_size)
        curve = spectral_density(
            hvp, n, num_vectors=num_vectors, num_steps=num_steps, seed=_child_seed(seed, 2), grid=grid, sigma=sigma
        )
        method, all_eigenvalues = "lanczos", None

    return {
        "method": method,
        "n": n,
        "eigenvalues": all_eigenvalues,
        "smallest": [float(x) for x in smallest],
        "largest": [float(x) for x in largest],
        "trace": float(trace),
        "trace_stderr": float(stderr),
        "frobenius_sq": float(frobenius_sq),
        "random_curvature": {
            "mean": expected_random_curvature(trace, n),
            "std": random_curvature_std(frobenius_sq, trace, n),
        },
        "density": {"grid": [float(x) for x in curve.grid], "values": [float(x) for x in curve.density], "sigma": sigma},
    }


# ----------------------------------------------------------------------------- eigenvector axes, group blocks

#: ``--axes`` choices of a plane spanned by two Hessian eigenvectors → which eigenpairs (u axis, v axis).
HESSIAN_AXES = {
    "hessian": ("largest", "smallest"),         # top and bottom eigenvectors (the default)
    "hessian-top": ("largest", "second largest"),
    "hessian-bottom": ("smallest", "second smallest"),
}


def _fix_sign(v: np.ndarray) -> np.ndarray:
    """An eigenvector's sign is arbitrary; fix it so that its entry of largest magnitude (first such) is positive."""
    return v if v[int(np.argmax(np.abs(v)))] >= 0 else -v


def hessian_axes(
    objective,
    theta,
    axes: str = "hessian",
    *,
    dense_limit: int = 2000,
    num_steps: int = 100,
    seed: int = 0,
) -> dict[str, Any]:
    """Two eigenvectors of ``H = ∇²J(θ)`` to span a plane through θ (``plane --axes hessian…``).

    ``axes`` (:data:`HESSIAN_AXES`): ``"hessian"`` the eigenvectors of λ_max (u) and λ_min (v);
    ``"hessian-top"`` of the two largest; ``"hessian-bottom"`` of the two smallest. On the plane
    ``θ + u·x_u + v·x_v`` a quadratic J is ``J(θ) + u ∇J·x_u + v ∇J·x_v + ½(λ_u u² + λ_v v²)``.

    ``n <= dense_limit``: the dense autodiff Hessian, symmetrized, ``numpy.linalg.eigh``. Otherwise
    Lanczos Ritz pairs (:func:`ritz_pairs`, ``num_steps`` products, start vector seeded as
    :func:`hessian_spectrum` seeds its extremes, so the eigenvalues are the ones ``policyscape hessian``
    reports). Each vector has unit norm and its entry of largest magnitude positive.

    Returns ``{"axes", "method": "dense" | "lanczos", "which": [u, v] names, "eigenvalues": [λ_u, λ_v],
    "vectors": [2, n] array, "residuals": [‖H x − λ x‖ for both] (by two extra products)}``.
    """
    if axes not in HESSIAN_AXES:
        raise InputError(f"Hessian axes must be one of {', '.join(HESSIAN_AXES)}, got {axes!r}")
    if not isinstance(objective, DifferentiableObjective):
        raise InputError(f"Hessian axes need a differentiable objective (exact tabular, toy or supervised: one with "
                         f"grad, HVP and Hessian); {getattr(objective, 'name', type(objective).__name__)} is not "
                         "(sampled objectives are Monte Carlo estimates)")
    n = int(objective.num_params)
    if n < 2:
        raise InputError(f"a plane of two Hessian eigenvectors needs at least 2 parameters, got n = {n}")
    batch = as_theta_batch(theta, n)
    if batch.shape[0] != 1:
        raise InputError(f"theta must be a single parameter vector [n], got shape {np.shape(theta)}")
    theta = batch[0]
    dense_limit = _check_positive_int(dense_limit, "dense_limit", minimum=0)
    num_steps = _check_positive_int(num_steps, "num_steps", minimum=2)

    def hvp(v):
        return objective.hvp(theta, v)

    if n <= dense_limit:
        H = _check_square(objective.hessian(theta))
        values, vectors = np.linalg.eigh(0.5 * (H + H.T))
        vectors, method = vectors.T, "dense"
    else:
        values, vectors = ritz_pairs(hvp, n, num_steps, _child_seed(seed, 0))
        method = "lanczos"
        if values.shape[0] < 2:
            raise InputError(f"Lanczos found fewer than 2 Ritz pairs ({values.shape[0]}); raise num_steps")
    position = {"largest": -1, "second largest": -2, "smallest": 0, "second smallest": 1}
    which = HESSIAN_AXES[axes]
    chosen = [position[w] for w in which]
    out_vectors = np.stack([_fix_sign(vectors[i]) for i in chosen])
    out_values = [float(values[i]) for i in chosen]
    residuals = [float(np.linalg.norm(_apply(hvp, x.copy(), n) - lam * x)) for x, lam in zip(out_vectors, out_values)]
    return {"axes": axes, "method": method, "which": list(which), "eigenvalues": out_values, "vectors": out_vectors,
            "residuals": residuals}


def block_hvp(hvp: HVP, n: int, indices: np.ndarray) -> HVP:
    """Products with the diagonal block ``H_gg = P_gᵀ H P_g`` of the coordinates ``indices`` [n_g]:
    ``u [n_g] ↦ (H · embed(u))[indices]``, ``embed(u)`` zero outside group g (one product of ``H`` each)."""
    indices = np.asarray(indices, dtype=np.int64)

    def product(u):
        v = np.zeros(n)
        v[indices] = u
        return _apply(hvp, v, n)[indices]

    return product


def check_groups(groups: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """Validate named groups of coordinates: each a non-empty set of distinct indices in ``0 … n − 1`` → int arrays."""
    if not groups:
        raise InputError("expected at least one parameter group")
    out = {}
    for name, indices in groups.items():
        indices = np.asarray(indices).reshape(-1)
        if (indices.size == 0 or not np.issubdtype(indices.dtype, np.integer) or indices.min() < 0
                or indices.max() >= n or np.unique(indices).size != indices.size):
            raise InputError(f"parameter group {name!r} must hold distinct integer indices in 0 … {n - 1}, got "
                             f"{indices.size} values of dtype {indices.dtype}")
        out[str(name)] = indices.astype(np.int64)
    return out


def block_spectra(
    hvp: HVP,
    n: int,
    groups: dict[str, np.ndarray],
    *,
    dense_limit: int = 2000,
    k: int = 5,
    num_steps: int = 100,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Spectrum of each diagonal block ``H_gg`` (the Hessian restricted to group g's coordinates).

    ``groups`` maps a name to its indices into θ (e.g. the groups of a policy layout: one per layer's
    weight and bias). Products of a block come from those of ``H`` (:func:`block_hvp`), so the dense
    Hessian is never formed: a block of ``n_g <= dense_limit`` coordinates is assembled from ``n_g``
    products (columns ``H_gg e_j``), symmetrized, and all its eigenvalues taken by ``eigvalsh``; a larger
    one gets its ``k`` extreme Ritz values from :func:`extreme_eigenvalues` (``num_steps`` products; start
    vector seeded by ``(seed, group position)``). By Cauchy interlacing, every block's eigenvalues lie in
    ``[λ_min(H), λ_max(H)]``: the blocks say which group carries the extreme curvature.

    Returns one dict per group, in order: ``{"group", "size", "method", "eigenvalues": [n_g] ascending |
    None, "smallest": [k], "largest": [k], "trace": tr H_gg | None, "mean_curvature": tr H_gg / n_g | None}``
    (``mean_curvature`` is the mean of ``dᵀHd`` over random unit d supported on the group).
    """
    n = _check_positive_int(n, "n")
    dense_limit = _check_positive_int(dense_limit, "dense_limit", minimum=0)
    k = _check_positive_int(k, "k")
    groups = check_groups(groups, n)
    out = []
    for position, (name, indices) in enumerate(groups.items()):
        size = int(indices.size)
        product = block_hvp(hvp, n, indices)
        if size <= dense_limit:
            B = np.stack([product(e) for e in np.eye(size)], axis=1)  # column j = H_gg e_j
            values = np.linalg.eigvalsh(0.5 * (B + B.T))
            smallest, largest, method = values[:k], values[::-1][:k], "dense"
            trace, eigenvalues = float(values.sum()), [float(x) for x in values]
        else:
            smallest, largest = extreme_eigenvalues(product, size, k=k, num_steps=num_steps,
                                                    seed=_child_seed(seed, 3 + position))
            method, trace, eigenvalues = "lanczos", None, None
        out.append({"group": name, "size": size, "method": method, "eigenvalues": eigenvalues,
                    "smallest": [float(x) for x in smallest], "largest": [float(x) for x in largest],
                    "trace": trace, "mean_curvature": None if trace is None else trace / size})
    return out
