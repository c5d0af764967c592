"""Landscape runs: evaluate the points of an analysis resumably, analyse, save.

Each ``run_*`` function records its configuration in the run directory (a different one is
refused), evaluates its points through a :class:`~policyscape.runs.store.PointStore` under
``points/`` (so a killed run resumes where it stopped, with identical values), then writes
its tables and ``summary.json`` and returns the summary. Figures are drawn from the saved files,
after the run, by ``policyscape.plots.landscape`` (the CLI and the recipes call it); runs never draw.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from policyscape.errors import InputError
from policyscape.landscape import interpolate as interp
from policyscape.landscape import perturb as pert
from policyscape.landscape import plane as pl
from policyscape.landscape.directions import check_directions, filter_normalized, gaussian_directions
from policyscape.objectives.base import (
    DifferentiableObjective,
    Objective,
    PolicyObjective,
    StochasticObjective,
    as_theta_batch,
)
from policyscape.runs.checkpoint import read_npy
from policyscape.runs.executor import Executor, chunk_evaluator
from policyscape.runs.rundir import RunDir
from policyscape.runs.store import PointStore, evaluate_points


@dataclass(frozen=True)
class Point:
    """A parameter vector with the label it came from (for the run's configuration)."""

    theta: np.ndarray
    label: str

    def fingerprint(self) -> dict:
        return {"source": self.label, "sha256": hashlib.sha256(np.ascontiguousarray(self.theta).tobytes()).hexdigest()[:16]}


def parameter_groups(objective: Objective) -> list[np.ndarray]:
    """Filters for filter normalization: those of the objective's policy layout (``policy.layout.filter_groups``:
    one per output unit of each weight matrix, each bias and log σ a group of its own; the tabular softmax:
    one per action plus the bias); objectives of no policy (toy, supervised): one group."""
    if isinstance(objective, PolicyObjective):
        return objective.policy.layout.filter_groups()
    return [np.arange(objective.num_params)]


def default_normalization(objective: Objective) -> str:
    """``--normalization auto``: ``"filter"`` for multi-layer policies (two or more weight groups with output units
    in their layout: MLPs, loaded agents), whose layers have very different scales; ``"unit"`` otherwise."""
    if isinstance(objective, PolicyObjective):
        layout = objective.policy.layout
        if layout.size == objective.num_params and sum(g.filter_axis is not None for g in layout.groups) >= 2:
            return "filter"
    return "unit"


def make_directions(objective: Objective, theta0: np.ndarray, num: int, seed: int, normalization: str) -> np.ndarray:
    d = gaussian_directions(objective.num_params, num, seed)
    if normalization == "filter":
        d = filter_normalized(d, theta0, parameter_groups(objective))
    return d


def _value_meaning(objective: Objective) -> str:
    from policyscape.objectives.registry import value_meaning

    return value_meaning(objective)


def measure_noise(objective: Objective, theta0: np.ndarray, evaluations: int) -> dict:
    """Noise of O(θ0): its standard deviation over ``evaluations`` re-evaluations with fresh seeds.

    Re-evaluation r uses the seed ``(objective.seed, 1 + r)`` (the analysis itself uses
    ``objective.seed``), so the measurement is reproducible. Other objectives have none: 0.
    """
    if not isinstance(objective, StochasticObjective) or evaluations < 2:
        return {"std": 0.0, "evaluations": 0, "values": []}
    base = objective.seed if isinstance(objective.seed, tuple) else (objective.seed,)
    values = [float(objective.evaluate(theta0[None], seed=(*base, 1 + r))["value"][0]) for r in range(evaluations)]
    finite = [v for v in values if np.isfinite(v)]  # a non-finite re-evaluation is counted, never averaged
    std = float(np.std(finite, ddof=1)) if len(finite) >= 2 else 0.0
    return {"std": std, "evaluations": evaluations, "values": values, "nonfinite": len(values) - len(finite)}


def value_at(objective: Objective, theta: np.ndarray, what: str = "θ0 (--at)") -> float:
    """O(θ), refused (InputError, before anything is written) when it is not finite: no analysis of a
    landscape can be anchored at a NaN/inf value (an overflow, an unstable simulation)."""
    value = float(np.asarray(objective.evaluate(np.asarray(theta, dtype=np.float64)[None])["value"])[0])
    if not np.isfinite(value):
        raise InputError(f"the objective {objective.name} is not finite at {what} (value {value!r}); expected a "
                         "parameter vector where it is finite (is θ too large, or the simulation unstable there?)")
    return value


def estimate_cost(objective: Objective, theta0: np.ndarray, num_points: int, probe: int = 8) -> dict:
    """Environment steps and wall time a command will take, from a probe of ``probe`` copies of θ0.

    For sampled objectives the steps per point are those of θ0's episodes (points near θ0 behave
    alike); exact objectives take no environment steps.
    """
    import time

    batch = np.repeat(theta0[None], min(probe, num_points), axis=0)
    objective.evaluate(batch)  # warm-up (compilation, backend set-up)
    started = time.perf_counter()
    out = objective.evaluate(batch)
    seconds = (time.perf_counter() - started) / batch.shape[0]
    steps = float(np.mean(out["env_steps"])) if "env_steps" in out else 0.0
    return {"points": num_points, "env_steps_per_point": steps, "env_steps": steps * num_points,
            "seconds_per_point": seconds, "seconds": seconds * num_points}


def _prepare(out: Path | str, config: dict) -> RunDir:
    run = RunDir(out)
    run.check_compatible(config)
    run.create(config)
    (run.path / "points").mkdir(exist_ok=True)
    return run


def run_perturb(
    objective: Objective,
    at: Point,
    config: pert.PerturbConfig,
    out: Path | str,
    env_id: str,
    variant: dict,
    directions: np.ndarray | None = None,
    show_progress: bool = True,
    executor: Executor | None = None,
) -> dict:
    """Paired random perturbations of ``objective`` around ``at`` → summary (see landscape.perturb).

    Writes ``directions.npy`` [N, n], ``perturbations.csv`` (one row per direction and α) and
    ``summary.json``, from which ``plots.landscape.plot_perturb`` draws the figures. ``executor``
    (``runs.executor``; None: this process) evaluates the chunks; the results do not depend on it.
    """
    config.validate()
    evaluate = chunk_evaluator(objective, executor)
    theta0 = as_theta_batch(at.theta, objective.num_params, what="theta (--at)")[0]
    if directions is None:
        directions = make_directions(objective, theta0, config.directions, config.seed, config.normalization)
        direction_source = {"seed": config.seed, "normalization": config.normalization}
    else:
        directions = check_directions(directions, objective.num_params, "the direction file")
        if directions.shape[0] != config.directions:
            config = type(config)(**{**config.to_dict(), "directions": directions.shape[0]})
        direction_source = {"file_sha256": hashlib.sha256(directions.tobytes()).hexdigest()[:16]}
    value_at(objective, theta0)  # a non-finite O(θ0) is refused before anything is written
    run_config = {
        "command": "perturb", "env_id": env_id, "objective": objective.name, "variant": variant,
        "at": at.fingerprint(), "perturb": config.to_dict(), "directions": direction_source,
    }
    run = _prepare(out, run_config)
    if not run.file("directions.npy").exists():
        run.write_npy("directions.npy", directions)
    directions = check_directions(read_npy(run.file("directions.npy"), "direction file"), objective.num_params,
                                  f"the run's {str(run.file('directions.npy'))!r}")

    n_points = pert.num_points(config.directions, len(config.alphas))
    store = PointStore(run.file("points/perturb.csv"), list(objective.fields), n_points, config.chunk_size)
    values = evaluate_points(
        store,
        lambda p: pert.perturbation_thetas(theta0, directions, config.alphas, p),
        evaluate,
        desc="perturb",
        show_progress=show_progress,
        pad=not isinstance(objective, StochasticObjective),
        executor=executor,
    )
    noise = measure_noise(objective, theta0, config.noise_evaluations)
    table, summary = pert.analyse(values["value"], config.alphas, config.directions, noise["std"], config.flat_tolerance)
    header, rows = pert.table_rows(table)
    run.write_csv("perturbations.csv", header, rows)
    summary = {"env_id": env_id, "objective": objective.name, "variant": variant, "at": at.label,
               "num_params": objective.num_params, "directions": config.directions, "noise": noise,
               "value_meaning": _value_meaning(objective), **summary}
    if "nonfinite_episodes" in values:  # per point in points/perturb.csv; totals here
        bad = values["nonfinite_episodes"]
        summary["nonfinite_episodes"] = {"total": int(bad.sum()), "points_affected": int((bad > 0).sum())}
    run.write_json("summary.json", summary)
    return summary


def run_interpolate(
    objectives: dict[str, Objective],
    anchors: list[Point],
    alphas: np.ndarray,
    out: Path | str,
    env_id: str,
    chunk_size: int = 1024,
    show_progress: bool = True,
    executor: Executor | None = None,
) -> dict:
    """Values along the (piecewise) linear path through ``anchors`` under every objective variant.

    ``objectives`` maps a variant label (e.g. ``"entropy=0.01"``) to its objective. Writes
    ``interpolation.csv`` (variant, alpha, distance, value and every other reported quantity)
    and ``summary.json``. ``executor``: as in :func:`run_perturb`.
    """
    if not objectives:
        raise InputError("expected at least one objective variant")
    evaluators = {label: chunk_evaluator(o, executor) for label, o in objectives.items()}
    n = next(iter(objectives.values())).num_params
    matrix = np.stack([as_theta_batch(a.theta, n, what=f"theta ({a.label})")[0] for a in anchors])
    thetas = interp.path_thetas(matrix, alphas)
    distance = interp.distance_axis(matrix, alphas)
    for objective in objectives.values():  # a non-finite start is refused before anything is written
        value_at(objective, matrix[0], f"the start θ0 ({anchors[0].label})")
    run_config = {
        "command": "interpolate", "env_id": env_id, "variants": {k: o.name for k, o in objectives.items()},
        "anchors": [a.fingerprint() for a in anchors], "alphas": alphas, "chunk_size": chunk_size,
    }
    run = _prepare(out, run_config)
    columns: dict[str, list] = {"variant": [], "alpha": [], "distance": []}
    results = {}
    for v, (label, objective) in enumerate(objectives.items()):
        fields = list(objective.fields)
        store = PointStore(run.file(f"points/variant_{v:03d}.csv"), fields, alphas.size, chunk_size)
        values = evaluate_points(store, lambda p: thetas[p], evaluators[label], desc=f"interpolate {label}",
                                 show_progress=show_progress, pad=not isinstance(objective, StochasticObjective),
                                 executor=executor)
        results[label] = values
        columns["variant"] += [label] * alphas.size
        columns["alpha"] += list(alphas)
        columns["distance"] += list(distance)
        for f in fields:
            columns.setdefault(f, []).extend(values[f])
    header = list(columns)
    run.write_csv("interpolation.csv", header, zip(*columns.values()))
    inside = (alphas >= 0) & (alphas <= 1)
    summary = {
        "env_id": env_id,
        "anchors": [a.label for a in anchors],
        "segment_length": float(np.linalg.norm(matrix[1] - matrix[0])),
        "variants": {
            label: {
                "objective": objectives[label].name,
                "value_meaning": _value_meaning(objectives[label]),
                # the anchors themselves, evaluated (never read off the α grid, which may miss them)
                "value_at_anchors": [float(v) for v in objectives[label].evaluate(matrix)["value"]],
                "min_between_first_anchors": float(np.min(vals["value"][inside & np.isfinite(vals["value"])]))
                if np.any(np.isfinite(vals["value"][inside])) else None,
                "monotone_between_first_anchors": _monotone(alphas, vals["value"]),
                "nonfinite_points": int((~np.isfinite(vals["value"])).sum()),
            }
            for label, vals in results.items()
        },
    }
    run.write_json("summary.json", summary)
    return summary


def _monotone(alphas: np.ndarray, values: np.ndarray, rtol: float = 1e-9) -> bool | None:
    inside = (alphas >= 0) & (alphas <= 1) & np.isfinite(values)  # non-finite values are left out (counted)
    if inside.sum() < 2:
        return None
    v = values[inside]
    tol = rtol * max(1.0, float(np.abs(v).max()))
    return bool(np.all(np.diff(v) >= -tol) or np.all(np.diff(v) <= tol))


def check_hessian_axes(objective: Objective, axes: str, towards: bool, dense_limit) -> None:
    """A plane spanned by Hessian eigenvectors (``axes`` not "random") needs a differentiable objective, no points
    to span it towards, and a dense limit >= 0; anything else is an InputError (checked before any work)."""
    from policyscape.landscape.hessian import HESSIAN_AXES

    if axes not in HESSIAN_AXES:
        raise InputError(f"axes must be 'random' or one of {', '.join(HESSIAN_AXES)}, got {axes!r}")
    if towards:
        raise InputError(f"a plane towards other points (--to) has its own axes; --axes {axes} spans the plane "
                         "by Hessian eigenvectors instead: give one or the other")
    if not isinstance(objective, DifferentiableObjective):
        raise InputError(f"--axes {axes} needs Hessian eigenvectors, i.e. a differentiable objective (exact "
                         f"tabular, toy or supervised); {objective.name} is sampled (Monte Carlo) and has none: "
                         "use --axes random")
    if isinstance(dense_limit, bool) or not isinstance(dense_limit, (int, np.integer)) or dense_limit < 0:
        raise InputError(f"dense limit must be an integer >= 0 (0: always Lanczos), got {dense_limit!r}")


def run_plane(
    objective: Objective,
    at: Point,
    out: Path | str,
    env_id: str,
    variant: dict,
    towards: list[Point] | None = None,
    grid: int = 41,
    span: tuple[float, float] | None = None,
    seed: int = 0,
    normalization: str = "unit",
    chunk_size: int = 1024,
    show_progress: bool = True,
    executor: Executor | None = None,
    axes: str = "random",
    dense_limit: int = 2000,
) -> dict:
    """Objective values on a grid × grid plane through ``at`` (see landscape.plane); ``executor`` as in
    :func:`run_perturb`.

    ``axes``: ``"random"`` (random directions from ``seed`` and ``normalization``, or towards two points), or
    two Hessian eigenvectors at θ0 (``landscape.hessian.hessian_axes``): ``"hessian"`` (λ_max on u, λ_min on
    v), ``"hessian-top"`` (the two largest), ``"hessian-bottom"`` (the two smallest) — dense for
    n <= ``dense_limit``, Lanczos Ritz vectors (seeded by ``seed``) above; only for a differentiable objective.
    Their eigenvalues go to ``axes.json`` and ``summary.json`` (``"axes"``), the vectors to ``directions.npy``;
    a resumed run reads both back instead of recomputing them.
    """
    evaluate = chunk_evaluator(objective, executor)
    theta0 = as_theta_batch(at.theta, objective.num_params, what="theta (--at)")[0]
    axes_info = None
    if axes != "random":
        check_hessian_axes(objective, axes, bool(towards), dense_limit)
        lo, hi = span or (-1.0, 1.0)
        direction_source = {"axes": axes, "dense_limit": int(dense_limit), "seed": seed}
        d1 = d2 = None  # computed below, once the grid and θ0 are checked
    elif towards:
        if len(towards) != 2:
            raise InputError(f"a plane towards other parameters needs exactly two --to values, got {len(towards)}")
        d1, d2 = (as_theta_batch(t.theta, objective.num_params, what=f"theta ({t.label})")[0] - theta0 for t in towards)
        for d, t in zip((d1, d2), towards):
            if not np.any(d):
                raise InputError(f"--to {t.label!r} is θ0 itself; a plane needs two points other than θ0")
        cos = abs(float(d1 @ d2)) / (np.linalg.norm(d1) * np.linalg.norm(d2))
        if cos > 1 - 1e-12:
            raise InputError(f"θ0, {towards[0].label!r} and {towards[1].label!r} lie on one line (B − θ0 and C − θ0 "
                             "are parallel); a plane needs three points not on a line")
        lo, hi = span or (-0.5, 1.5)
        direction_source = {"towards": [t.fingerprint() for t in towards]}
    else:
        if normalization not in ("unit", "filter"):
            raise InputError(f"normalization must be 'unit' or 'filter', got {normalization!r}")
        d1, d2 = make_directions(objective, theta0, 2, seed, normalization)
        lo, hi = span or (-1.0, 1.0)
        direction_source = {"seed": seed, "normalization": normalization}
    axis = pl.grid_axis(lo, hi, grid)
    value0 = value_at(objective, theta0)  # a non-finite O(θ0) is refused before anything is written
    run_config = {"command": "plane", "env_id": env_id, "objective": objective.name, "variant": variant,
                  "at": at.fingerprint(), "directions": direction_source, "grid": grid, "span": [lo, hi],
                  "chunk_size": chunk_size}
    if axes != "random":
        axes_info, (d1, d2) = _hessian_axes(objective, theta0, axes, dense_limit, seed, out, run_config)
    run = _prepare(out, run_config)
    run.write_npy("directions.npy", np.stack([d1, d2]))
    if axes_info is not None:
        run.write_json("axes.json", axes_info)
    fields = list(objective.fields)
    store = PointStore(run.file("points/plane.csv"), fields, grid * grid, chunk_size)
    values = evaluate_points(store, lambda p: pl.plane_thetas(theta0, d1, d2, axis, p), evaluate,
                             desc="plane", show_progress=show_progress,
                             pad=not isinstance(objective, StochasticObjective), executor=executor)
    i, j = np.divmod(np.arange(grid * grid), grid)
    run.write_csv("plane.csv", ["u", "v", *fields], zip(axis[j], axis[i], *[values[f] for f in fields]))
    V = values["value"].reshape(grid, grid)
    V = np.where(np.isfinite(V), V, np.nan)  # non-finite values are counted, never the max or min
    summary = {"env_id": env_id, "objective": objective.name, "variant": variant, "at": at.label, "grid": grid,
               "span": [lo, hi], "value_at_theta0": value0,
               "max": float(np.nanmax(V)) if np.isfinite(V).any() else None,
               "min": float(np.nanmin(V)) if np.isfinite(V).any() else None,
               "argmax_uv": [float(axis[np.unravel_index(np.nanargmax(V), V.shape)[1]]),
                             float(axis[np.unravel_index(np.nanargmax(V), V.shape)[0]])] if np.isfinite(V).any() else None,
               "nonfinite_points": int(np.isnan(V).sum()),
               "towards": [t.label for t in towards] if towards else None, "value_meaning": _value_meaning(objective),
               "axes": axes_info if axes_info is not None else {"axes": "random"}}
    run.write_json("summary.json", summary)
    return summary


def _hessian_axes(objective: DifferentiableObjective, theta0: np.ndarray, axes: str, dense_limit: int, seed: int,
                  out: Path | str, run_config: dict) -> tuple[dict, np.ndarray]:
    """(eigenpair summary, vectors [2, n]) of a Hessian-axes plane: read back from a run of the same configuration
    being resumed (``axes.json``, ``directions.npy``), else computed (before anything is written)."""
    from policyscape.landscape.hessian import hessian_axes

    run = RunDir(out)
    run.check_compatible(run_config)  # a different run there is refused before the eigendecomposition
    if run.read_config() is not None and run.file("axes.json").exists() and run.file("directions.npy").exists():
        vectors = check_directions(read_npy(run.file("directions.npy"), "direction file"), objective.num_params,
                                   f"the run's {str(run.file('directions.npy'))!r}")
        if vectors.shape[0] == 2:
            return run.read_json("axes.json"), vectors
    result = hessian_axes(objective, theta0, axes, dense_limit=dense_limit, seed=seed)
    vectors = result.pop("vectors")
    return result, vectors


def layout_groups(objective: Objective) -> dict[str, np.ndarray] | None:
    """The named parameter groups of the objective's policy layout (``{name: indices into θ}``: each layer's
    weight and bias, log σ, …) when it has two or more and covers all of θ; else None (toy, supervised)."""
    if isinstance(objective, PolicyObjective):
        layout = objective.policy.layout
        if len(layout.groups) >= 2 and layout.size == objective.num_params:
            return {g.name: layout.indices(g.name).ravel() for g in layout.groups}
    return None


def run_hessian(
    objective: Objective, at: Point, out: Path | str, env_id: str, variant: dict, directions: int = 1000,
    seed: int = 0, dense_limit: int = 2000, groups: dict[str, np.ndarray] | None = None,
) -> dict:
    """Hessian spectrum at ``at`` beside the random-direction curvature distribution, and the spectrum of each
    diagonal block ``H_gg`` of a parameter group (``landscape.hessian.block_spectra``).

    ``groups``: ``{name: indices into θ}``; default :func:`layout_groups` (a policy layout of two or more groups;
    none for toy and supervised objectives: no per-group spectra). Writes ``random_curvatures.csv``,
    ``summary.json`` (``"per_group"``: size, method, extremes, trace per group, and which group holds the largest
    and the smallest block eigenvalue) and, with groups, ``per_group_spectrum.csv`` (one row per group) and
    ``per_group_eigenvalues.csv`` (every eigenvalue of each block assembled densely).
    """
    from policyscape.landscape.hessian import block_spectra, check_groups, hessian_spectrum, random_direction_curvatures

    theta0 = as_theta_batch(at.theta, objective.num_params, what="theta (--at)")[0]
    if not isinstance(objective, DifferentiableObjective):
        raise InputError(f"the Hessian needs a differentiable objective; {objective.name} is not")
    if isinstance(directions, bool) or not isinstance(directions, (int, np.integer)) or directions < 1:
        raise InputError(f"number of directions must be an integer >= 1, got {directions!r}")
    if isinstance(dense_limit, bool) or not isinstance(dense_limit, (int, np.integer)) or dense_limit < 0:
        raise InputError(f"dense limit must be an integer >= 0 (0: always Lanczos), got {dense_limit!r}")
    groups = layout_groups(objective) if groups is None else check_groups(groups, objective.num_params)
    value_at(objective, theta0)  # a non-finite O(θ0) is refused before anything is written
    run_config = {"command": "hessian", "env_id": env_id, "objective": objective.name, "variant": variant,
                  "at": at.fingerprint(), "directions": directions, "seed": seed, "dense_limit": dense_limit}
    run = _prepare(out, run_config)

    def hvp(v):
        return objective.hvp(theta0, v)

    spectrum = hessian_spectrum(objective, theta0, dense_limit=dense_limit, seed=seed)
    d = gaussian_directions(objective.num_params, directions, seed)
    curvatures = random_direction_curvatures(hvp, d)
    run.write_csv("random_curvatures.csv", ["direction", "curvature"], zip(range(directions), curvatures))
    per_group = None
    if groups:
        blocks = block_spectra(hvp, objective.num_params, groups, dense_limit=dense_limit, seed=seed)
        run.write_csv("per_group_spectrum.csv",
                      ["group", "size", "method", "lambda_min", "lambda_max", "trace", "mean_curvature"],
                      [(b["group"], b["size"], b["method"], b["smallest"][0], b["largest"][0],
                        np.nan if b["trace"] is None else b["trace"],
                        np.nan if b["mean_curvature"] is None else b["mean_curvature"]) for b in blocks])
        run.write_csv("per_group_eigenvalues.csv", ["group", "index", "eigenvalue"],
                      [(b["group"], i, lam) for b in blocks for i, lam in enumerate(b["eigenvalues"] or [])])
        per_group = {
            "groups": [{key: value for key, value in b.items() if key != "eigenvalues"} for b in blocks],
            "largest_in": max(blocks, key=lambda b: b["largest"][0])["group"],
            "smallest_in": min(blocks, key=lambda b: b["smallest"][0])["group"],
        }
    summary = {"env_id": env_id, "objective": objective.name, "variant": variant, "at": at.label,
               "num_params": objective.num_params, **spectrum,
               "random_direction_curvature": {"mean": float(curvatures.mean()), "std": float(curvatures.std()),
                                              "min": float(curvatures.min()), "max": float(curvatures.max()),
                                              "directions": directions, "seed": seed},
               "per_group": per_group}
    run.write_json("summary.json", summary)
    return summary


