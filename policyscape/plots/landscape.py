"""Landscape figures, drawn from a run directory's saved files only (never recomputing)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from policyscape.files import SavedRun
from policyscape.landscape.perturb import CLASSES
from policyscape.plots.style import plt, save_figure

CLASS_COLORS = {"local maximum": "tab:red", "convex": "tab:green", "gradient-dominated": "tab:blue", "flat": "tab:gray"}


def plot_perturb(path: Path | str) -> list[Path]:
    """Scatter of (Δ+, Δ−) per α with the noise band and the x = y / x = −y axes; gradient and curvature histograms."""
    run = SavedRun(path)
    table = run.read_csv("perturbations.csv")
    summary = run.read_json("summary.json")
    tol = summary["significance_tolerance"]
    alphas = np.unique(table["alpha"])
    paths = []
    fig, axes = plt.subplots(1, len(alphas), figsize=(5.2 * len(alphas), 5), squeeze=False)
    for ax, alpha in zip(axes[0], alphas):
        all_rows = table["alpha"] == alpha
        rows = all_rows & np.isfinite(table["delta_plus"]) & np.isfinite(table["delta_minus"])  # NaN/inf: not drawn
        dp, dm, cls = table["delta_plus"][rows], table["delta_minus"][rows], table["class"][rows]
        lim = 1.05 * max(np.abs(dp).max(initial=0.0), np.abs(dm).max(initial=0.0), tol, 1e-300)
        ax.axline((0, 0), slope=1, color="k", lw=0.6, ls=":", label="x = y (curvature)")
        ax.axline((0, 0), slope=-1, color="k", lw=0.6, ls="--", label="x = −y (gradient)")
        if tol > 0:
            ax.add_patch(plt.Rectangle((-tol, -tol), 2 * tol, 2 * tol, color="gold", alpha=0.3, label="not significant"))
        for c in CLASSES:
            m = cls == c
            if m.any():
                ax.scatter(dp[m], dm[m], s=8, color=CLASS_COLORS[c], label=f"{c} ({m.mean():.0%})", alpha=0.7)
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="Δ+ = O(θ0 + αd) − O(θ0)", ylabel="Δ− = O(θ0 − αd) − O(θ0)",
               title=f"α = {alpha:g}, {rows.sum()} directions"
               + (f" ({(all_rows & ~rows).sum()} non-finite, not drawn)" if (all_rows & ~rows).any() else ""))
        ax.set_aspect("equal")
        ax.ticklabel_format(style="sci", scilimits=(-2, 3))
        ax.tick_params(axis="x", labelrotation=30)
        ax.legend(fontsize=7, loc="lower left", framealpha=0.8)
    fig.suptitle(f"{summary['env_id']} at {_short(summary['at'])}: paired random perturbations", fontsize=10)
    paths.append(save_figure(fig, run.file("perturb_scatter.png")))

    fig, axes = plt.subplots(len(alphas), 2, figsize=(10, 3.2 * len(alphas)), squeeze=False)
    for (ax_g, ax_c), alpha in zip(axes, alphas):
        rows = (table["alpha"] == alpha) & np.isfinite(table["gradient"]) & np.isfinite(table["curvature"])
        _hist(ax_g, table["gradient"][rows], color="tab:blue")
        ax_g.set(xlabel="(Δ+ − Δ−)/(2α) ≈ ∇O·d", ylabel="directions", title=f"gradient spectrum, α = {alpha:g}")
        curv = table["curvature"][rows]
        _hist(ax_c, curv, color="tab:purple")
        ax_c.axvline(0, color="k", lw=0.6)
        ax_c.set(xlabel="(Δ+ + Δ−)/α² ≈ dᵀHd", title=f"curvature spectrum, α = {alpha:g}")
    paths.append(save_figure(fig, run.file("perturb_spectra.png")))
    return paths


def plot_interpolation(path: Path | str) -> list[Path]:
    """Objective along the path, one curve per variant; α axis and distance axis."""
    run = SavedRun(path)
    table = run.read_csv("interpolation.csv")
    summary = run.read_json("summary.json")
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for label in dict.fromkeys(table["variant"]):
        rows = table["variant"] == label
        for ax, x in zip(axes, ("alpha", "distance")):
            ax.plot(table[x][rows], table["value"][rows], label=label)
    for k in range(len(summary["anchors"])):
        axes[0].axvline(k, color="k", lw=0.5, ls=":")
        if k < 2:
            axes[1].axvline(k * summary["segment_length"], color="k", lw=0.5, ls=":")
    axes[0].set(xlabel="α  (θ = (1 − α)θ0 + αθ1)", ylabel="objective", title=" → ".join(map(_short, summary["anchors"])))
    axes[1].set(xlabel="distance from θ0  (α·‖θ1 − θ0‖)", title=f"{summary['env_id']}")
    axes[0].legend(fontsize=8)
    return [save_figure(fig, run.file("interpolation.png"))]


def _hist(ax, x: np.ndarray, bins: int = 50, **kwargs) -> None:
    """A histogram that survives values near the float range (numpy cannot split such a range in bins)."""
    try:
        ax.hist(x, bins=bins, **kwargs)
    except ValueError:
        ax.text(0.5, 0.5, f"{len(x)} values, range too wide to bin", transform=ax.transAxes, ha="center")


def _short(label: str) -> str:
    """A point label for a figure: the file name (and seed) of a checkpoint path, else the label."""
    return Path(label).name if "/" in label else label


def plot_plane(path: Path | str) -> list[Path]:
    """Heatmap and contour plot of the objective on the plane."""
    run = SavedRun(path)
    table = run.read_csv("plane.csv")
    summary = run.read_json("summary.json")
    G = summary["grid"]
    U, V, Z = (table[k].reshape(G, G) for k in ("u", "v", "value"))
    Z = np.ma.masked_invalid(Z)  # NaN/inf points are left blank
    xlabel, ylabel, kind = "u (d1)", "v (d2)", ""
    axes = summary.get("axes") or {}
    if axes.get("axes", "random") != "random":  # Hessian eigenvectors: label each axis with its eigenvalue
        (wu, wv), (lu, lv) = axes["which"], axes["eigenvalues"]
        xlabel, ylabel = (f"{w} Hessian eigenvector (λ = {lam:.4g})" for w, lam in ((wu, lu), (wv, lv)))
        kind = f", Hessian axes ({axes['method']})"
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5))
    im = ax1.pcolormesh(U, V, Z, shading="auto", cmap="viridis")
    fig.colorbar(im, ax=ax1, label="objective")
    cs = ax2.contour(U, V, Z, levels=20, cmap="viridis")
    ax2.clabel(cs, fontsize=6)
    for ax in (ax1, ax2):
        ax.plot([0], [0], "r*", ms=10, label=_short(summary["at"]))
        if summary.get("towards"):
            ax.plot([1, 0], [0, 1], "wo", mec="k")
            for (x, y), lab in zip([(1, 0), (0, 1)], summary["towards"]):
                ax.annotate(_short(lab), (x, y), fontsize=7)
        ax.set(xlabel=xlabel, ylabel=ylabel)
        ax.set_aspect("equal")
    ax1.set_title(f"{summary['env_id']}: plane through {_short(summary['at'])}" + kind, fontsize=9)
    ax2.set_title("contours")
    ax1.legend(fontsize=7)
    return [save_figure(fig, run.file("plane.png"))]


def plot_hessian(path: Path | str) -> list[Path]:
    """Hessian eigenvalue density beside the random-direction curvatures and tr(H)/n."""
    run = SavedRun(path)
    summary = run.read_json("summary.json")
    curv = run.read_csv("random_curvatures.csv")["curvature"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    if summary.get("eigenvalues"):
        ax1.hist(summary["eigenvalues"], bins=60, color="tab:orange", density=True, alpha=0.6, label="eigenvalues (dense)")
    ax1.plot(summary["density"]["grid"], summary["density"]["values"], color="tab:red", label="spectral density")
    ax1.set(xlabel="eigenvalue of ∇²O", ylabel="density", title=f"Hessian spectrum ({summary['method']}, n = {summary['n']})")
    ax1.set_yscale("symlog", linthresh=1e-3)
    ax1.legend(fontsize=8)
    lo = min(summary["smallest"][0], curv.min())
    hi = max(summary["largest"][0], curv.max())
    ax2.hist(curv, bins=60, range=(lo, hi), color="tab:purple", label="dᵀHd, random unit d")
    ax2.axvline(summary["random_curvature"]["mean"], color="k", ls="--", label="tr(H)/n")
    ax2.axvline(summary["smallest"][0], color="tab:red", ls=":", label="λ_min, λ_max")
    ax2.axvline(summary["largest"][0], color="tab:red", ls=":")
    ax2.set(xlabel="curvature", title="random directions see tr(H)/n, not the eigenvalues")
    ax2.legend(fontsize=8)
    paths = [save_figure(fig, run.file("hessian.png"))]
    if run.file("per_group_spectrum.csv").exists():
        paths.append(plot_per_group_spectrum(run, summary))
    return paths


def plot_per_group_spectrum(run: SavedRun, summary: dict) -> Path:
    """One row per parameter group: the eigenvalues of its diagonal block H_gg (every one where the block was
    assembled densely, its extremes otherwise) against λ_min and λ_max of the whole Hessian; beside it, each
    block's extreme eigenvalues and mean curvature tr(H_gg)/n_g as bars."""
    table = run.read_csv("per_group_spectrum.csv")
    eig = run.read_csv("per_group_eigenvalues.csv")
    names = [str(g) for g in table["group"]]
    y = np.arange(len(names))[::-1]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 0.6 * len(names) + 2.5))
    lo, hi = summary["smallest"][0], summary["largest"][0]
    for row, name in zip(y, names):
        values = eig["eigenvalue"][eig["group"] == name] if len(eig.get("group", [])) else np.zeros(0)
        k = names.index(name)
        if values.size == 0:  # Lanczos block: its extremes only
            values = np.array([table["lambda_min"][k], table["lambda_max"][k]])
        ax1.plot(values, np.full(values.shape, row), "|", ms=12, color="tab:blue", alpha=0.6)
        ax1.plot([table["lambda_min"][k], table["lambda_max"][k]], [row, row], color="tab:blue", lw=0.8)
    for value, label in ((lo, "λ_min, λ_max of H"), (hi, None)):
        ax1.axvline(value, color="tab:red", ls=":", label=label)
    ax1.axvline(0, color="k", lw=0.5)
    linthresh = max(1e-12, 1e-2 * max(abs(lo), abs(hi)))
    ax1.set_xscale("symlog", linthresh=linthresh)
    ax1.set_xlim(min(lo, 0.0) - 0.6 * abs(lo) - linthresh, max(hi, 0.0) + 0.6 * abs(hi) + linthresh)
    ax1.set_ylim(-0.6, len(names) - 0.4)
    ax1.set_yticks(y, [f"{n} ({int(s)})" for n, s in zip(names, table["size"])])
    ax1.set(xlabel="eigenvalue of the block H_gg", title="per-group Hessian spectra (block of each group)")
    ax1.legend(fontsize=8)
    h = 0.27
    ax2.barh(y + h, table["lambda_max"], height=h, color="tab:green", label="λ_max(H_gg)")
    ax2.barh(y, np.nan_to_num(table["mean_curvature"]), height=h, color="tab:gray", label="tr(H_gg)/n_g")
    ax2.barh(y - h, table["lambda_min"], height=h, color="tab:purple", label="λ_min(H_gg)")
    ax2.axvline(0, color="k", lw=0.5)
    ax2.set_xscale("symlog", linthresh=linthresh)
    ax2.set_yticks(y, names)
    per = summary.get("per_group") or {}
    ax2.set(xlabel="curvature", title=f"largest in {per.get('largest_in')}, smallest in {per.get('smallest_in')}")
    ax2.legend(fontsize=8)
    fig.suptitle(f"{summary['env_id']} at {_short(summary['at'])}", fontsize=10)
    return save_figure(fig, run.file("per_group_spectrum.png"))


def plot_linesearch(path: Path | str) -> list[Path]:
    """The objective along the ascent direction against the step η (log axis for η > 0), with O(θ0), the first-order
    prediction, the best step and the cliffs."""
    run = SavedRun(path)
    table = run.read_csv("linesearch.csv")
    summary = run.read_json("summary.json")
    step, value = table["step"], table["value"]
    positive = step > 0
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    ax.plot(step[positive], value[positive], "o-", ms=3, color="tab:blue", label="O(θ0 + η·d)")
    if "value_stderr" in table:
        se = np.nan_to_num(table["value_stderr"][positive])
        ax.fill_between(step[positive], value[positive] - 2 * se, value[positive] + 2 * se, color="tab:blue", alpha=0.2,
                        label="± 2 standard errors")
    if summary["initial_slope"] is not None:
        ax.plot(step[positive], table["first_order"][positive], color="tab:gray", ls="--", lw=0.8,
                label="first order: O(θ0) + η ∇O·d")
    ax.axhline(summary["value_at_theta0"], color="k", lw=0.6, ls=":", label="O(θ0)")
    ax.plot([summary["best_step"]], [summary["best_value"]], "r*", ms=12, label=f"best η = {summary['best_step']:.3g}")
    for k, cliff in enumerate(summary["cliffs"]):
        ax.axvspan(cliff["step_before"], cliff["step_after"], color="tab:red", alpha=0.2,
                   label="cliff" if k == 0 else None)
    if positive.sum() > 1 and step[positive].max() / step[positive].min() > 100:
        ax.set_xscale("log")
    lo, hi = value.min(), value.max()
    pad = 0.1 * (hi - lo) if hi > lo else 1.0
    ax.set_ylim(lo - pad, hi + pad)
    g = {"exact": "∇O", "reinforce": "ĝ (REINFORCE)"}.get(summary["direction"], "the given direction")
    ax.set(xlabel=f"step η along {g}" + (", normalized (η = distance)" if summary["normalize"] else ""),
           ylabel="objective", title=f"{summary['env_id']} at {_short(summary['at'])}: line search, "
                                     f"{len(summary['cliffs'])} cliff(s)")
    ax.legend(fontsize=8)
    return [save_figure(fig, run.file("linesearch.png"))]


def plot_trajectory_plane(path: Path | str) -> list[Path]:
    """Heatmap and contours of the objective on the trajectory plane, with the projected trajectory."""
    run = SavedRun(path)
    table = run.read_csv("plane.csv")
    path_table = run.read_csv("trajectory.csv")
    summary = run.read_json("summary.json")
    G = summary["grid"]
    U, V, Z = (table[k].reshape(G, G) for k in ("u", "v", "value"))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5))
    im = ax1.pcolormesh(U, V, Z, shading="auto", cmap="viridis")
    fig.colorbar(im, ax=ax1, label="objective")
    cs = ax2.contour(U, V, Z, levels=20, cmap="viridis")
    ax2.clabel(cs, fontsize=6)
    ev = summary["explained_variance"]
    for ax in (ax1, ax2):
        ax.plot(path_table["u"], path_table["v"], "w.-", mec="k", ms=5, lw=1)
        ax.plot(path_table["u"][:1], path_table["v"][:1], "o", color="tab:orange", mec="k", label="start")
        ax.plot([0], [0], "r*", ms=12, label="end (centre)")
        ax.set(xlabel=f"PC1 ({ev[0]:.1%} of the trajectory's variance)", ylabel=f"PC2 ({ev[1]:.1%})")
    ax1.set_title(f"{summary['env_id']}: trajectory plane ({len(summary['points'])} points)", fontsize=9)
    ax2.set_title(f"contours; max distance off the plane {summary['max_relative_residual']:.1%}", fontsize=9)
    ax1.legend(fontsize=7)
    return [save_figure(fig, run.file("trajectory_plane.png"))]


def plot_update_distribution(path: Path | str) -> list[Path]:
    """Histogram of O(θ_s) after one update, with O(θ0), the mean and (exact objectives) the exact-gradient step."""
    run = SavedRun(path)
    table = run.read_csv("updates.csv")
    summary = run.read_json("summary.json")
    values = table["value"]
    finite = np.isfinite(values)
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    if finite.any():
        ax.hist(values[finite], bins=max(10, min(50, int(np.sqrt(finite.sum())) * 2)), color="tab:blue", alpha=0.7,
                label=f"O(θ0 + lr·ĝ_s), {finite.sum()} updates")
    ax.axvline(summary["value_at_theta0"], color="k", lw=1.2, ls="-", label="O(θ0)")
    if summary.get("mean_value") is not None:
        ax.axvline(summary["mean_value"], color="tab:blue", lw=1.2, ls="--", label="mean after one update")
    if "exact_gradient" in summary:
        ax.axvline(summary["exact_gradient"]["step_value"], color="tab:red", lw=1.2, ls=":",
                   label="exact-gradient step O(θ0 + lr·∇O)")
    title = f"{summary['env_id']} at {_short(summary['at'])}: one update, lr {summary['lr']:g}"
    if summary["mean_improvement"] is not None:
        p = summary["probability_of_decrease"]
        title += f"\nP(decrease) {p['estimate']:.2f} [{p['lo']:.2f}, {p['hi']:.2f}], CVaR{100 * summary['cvar_level']:g}% " \
                 f"{summary['cvar_improvement']:.3g}"
    if summary["nonfinite"]:
        title += f" ({summary['nonfinite']} non-finite, not drawn)"
    ax.set(xlabel="objective after one REINFORCE update", ylabel="updates", title=title)
    ax.legend(fontsize=8)
    return [save_figure(fig, run.file("update_distribution.png"))]


PLOTTERS = {"perturb": plot_perturb, "interpolate": plot_interpolation, "plane": plot_plane, "hessian": plot_hessian,
            "linesearch": plot_linesearch,
            "trajectory": plot_trajectory_plane, "update-distribution": plot_update_distribution}
