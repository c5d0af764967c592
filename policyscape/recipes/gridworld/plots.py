"""The gridworld recipe's figures, drawn from its saved results only (never recomputing): ``draw_figures``
redraws every one of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from policyscape.files import SavedRun
from policyscape.recipes import verdicts as v
from policyscape.recipes.common import read_summary
from policyscape.recipes.gridworld.config import (
    FIG_CORNERS,
    FIG_DIP,
    FIG_FRACTION,
    FIG_PERTURB,
    FIG_START,
    FIG_STRIP,
    FIG_SUB_OPT,
    PERTURB_VARIANTS,
)
from policyscape.recipes.gridworld.measures import dip_depth, dip_depths


def draw_figures(out: Path) -> None:
    """Every figure of the recipe, from its saved files (parts that were not run are skipped)."""
    plot_strip(out)
    plot_fractions(out)
    if (out / "perturb" / PERTURB_VARIANTS[0][0] / "summary.json").exists():
        plot_perturb_grid(out)
    if (out / "interp-sub-to-opt" / "summary.json").exists():
        plot_sub_to_opt(out)
    plot_corners(out)
    plot_dip_depth(out)
    plot_start_to_solution(out)


def plot_strip(out: Path) -> Path:
    """Final return of every seed, one row per schedule, one panel per learning rate."""
    from policyscape.plots.style import plt, save_figure

    sweep = SavedRun(out).read_json("sweep.json")
    rows = sweep["rows"]
    lrs = list(dict.fromkeys(r["lr"] for r in rows))
    labels = list(dict.fromkeys(r["label"] for r in rows))
    fig, axes = plt.subplots(1, len(lrs), figsize=(4.2 * len(lrs) + 2, 0.55 * len(labels) + 2), sharey=True, squeeze=False)
    rng = np.random.default_rng(0)
    for ax, lr in zip(axes[0], lrs):
        for r in (r for r in rows if r["lr"] == lr):
            i = labels.index(r["label"])
            final = np.asarray(r["final_returns"])
            ax.scatter(final, i + rng.uniform(-0.2, 0.2, final.size), s=8, alpha=0.5)
            ax.text(1.02, i, f"{r['optimal'] / r['seeds']:.0%}", transform=ax.get_yaxis_transform(), ha="left",
                    va="center", fontsize=8)
        ax.axvline(rows[0]["optimal_value"], color="k", ls="--", lw=0.8)
        ax.set(xlabel="final return (dashed: optimum)", title=f"lr {lr:g}")
    axes[0][0].set_yticks(range(len(labels)), labels)
    axes[0][0].invert_yaxis()
    fig.suptitle(f"Final returns of {sweep['seeds']} seeds after {sweep['updates']} exact-gradient updates "
                 "(right of each panel: fraction at the optimum)")
    fig.tight_layout(w_pad=3.0, rect=(0, 0, 1, 0.95))
    return save_figure(fig, out / FIG_STRIP)


def plot_fractions(out: Path) -> Path:
    """Fraction of seeds at the optimum per (schedule, lr) with Wilson intervals; the confirmation on fresh seeds."""
    from policyscape.plots.style import plt, save_figure

    sweep = SavedRun(out).read_json("sweep.json")
    rows = sweep["rows"]
    lrs = list(dict.fromkeys(r["lr"] for r in rows))
    labels = list(dict.fromkeys(r["label"] for r in rows))
    width = 0.8 / len(lrs)
    fig, ax = plt.subplots(figsize=(1.4 * len(labels) + 3, 4.5))
    for j, lr in enumerate(lrs):
        xs, ys, lo, hi = [], [], [], []
        for r in (r for r in rows if r["lr"] == lr):
            iv = v.wilson_interval(r["optimal"], r["seeds"])
            xs.append(labels.index(r["label"]) + (j - (len(lrs) - 1) / 2) * width)
            ys.append(iv.estimate)
            lo.append(iv.estimate - iv.lo)
            hi.append(iv.hi - iv.estimate)
        ax.bar(xs, ys, width, yerr=[lo, hi], capsize=2, label=f"lr {lr:g}")
    if (out / "confirm.json").exists():
        c = SavedRun(out).read_json("confirm.json")["row"]
        iv = v.wilson_interval(c["optimal"], c["seeds"])
        ax.errorbar([labels.index(c["label"]) + 0.45], [iv.estimate], yerr=[[iv.estimate - iv.lo], [iv.hi - iv.estimate]],
                    fmt="k*", ms=10, capsize=3, label=f"best, fresh seeds (lr {c['lr']:g})")
    ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
    ax.set(ylabel="fraction of seeds at the optimum (±0.01)", ylim=(0, 1.05),
           title=f"Seeds reaching the optimum: {sweep['seeds']} seeds × {sweep['updates']} updates, 95% Wilson intervals")
    ax.legend(fontsize=8, loc="lower right")
    return save_figure(fig, out / FIG_FRACTION)


def plot_perturb_grid(out: Path) -> Path:
    """Δ+ vs Δ− at the sub-optimal solution: one column per variant, one row per α, coloured by class."""
    from policyscape.plots.style import plt, save_figure

    colours = {"local maximum": "tab:red", "convex": "tab:green", "gradient-dominated": "tab:blue", "flat": "tab:gray"}
    tables = {name: SavedRun(out / "perturb" / name).read_csv("perturbations.csv") for name, *_ in PERTURB_VARIANTS}
    summaries = {name: read_summary(out / "perturb" / name) for name, *_ in PERTURB_VARIANTS}
    alphas = [p["alpha"] for p in summaries[PERTURB_VARIANTS[0][0]]["per_alpha"]]
    solution = SavedRun(out).read_json("solution.json")
    fig, axes = plt.subplots(len(alphas), len(PERTURB_VARIANTS), figsize=(4.2 * len(PERTURB_VARIANTS), 3.9 * len(alphas)),
                             squeeze=False)
    for j, (name, label, *_) in enumerate(PERTURB_VARIANTS):
        t, s = tables[name], summaries[name]
        for i, alpha in enumerate(alphas):
            ax = axes[i][j]
            rows = t["alpha"] == alpha
            for cls, colour in colours.items():
                sel = rows & (t["class"] == cls)
                frac = s["per_alpha"][i]["fractions"][cls]
                ax.scatter(t["delta_plus"][sel], t["delta_minus"][sel], s=5, color=colour, label=f"{cls} {frac:.0%}")
            tol = s["significance_tolerance"]
            ax.axhline(0, color="k", lw=0.4)
            ax.axvline(0, color="k", lw=0.4)
            ax.add_patch(plt.Rectangle((-tol, -tol), 2 * tol, 2 * tol, fill=False, ls=":", lw=0.8))
            ax.ticklabel_format(style="sci", scilimits=(-2, 2))
            ax.set(xlabel="Δ+", ylabel="Δ−", title=f"{label}, α = {alpha:g}")
            ax.legend(fontsize=7, markerscale=2)
    sub = solution["suboptimal"]
    fig.tight_layout(h_pad=2.0, rect=(0, 0, 1, 0.96))
    fig.suptitle(f"Paired perturbations at the sub-optimal solution (seed {sub['seed']}, τ = 0 trained "
                 f"{solution['updates']} updates at lr {solution['lr']:g}; ‖∇J‖ = {sub['grad_norm']:.1e}); "
                 "dotted box: flat tolerance")
    return save_figure(fig, out / FIG_PERTURB)


def _plot_variants(ax, table: dict, x: str = "alpha") -> None:
    for label in dict.fromkeys(table["variant"]):
        rows = table["variant"] == label
        ax.plot(table[x][rows], table["value"][rows], label=label)


def plot_sub_to_opt(out: Path) -> Path:
    """The objective along sub-optimal → optimal, one curve per variant (α and distance axes)."""
    from policyscape.plots.style import plt, save_figure

    run = SavedRun(out / "interp-sub-to-opt")
    table, summary = run.read_csv("interpolation.csv"), run.read_json("summary.json")
    solution = SavedRun(out).read_json("solution.json")
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    _plot_variants(ax, table)
    for k in (0, 1):
        ax.axvline(k, color="gray", lw=0.6, ls=":")
    ax.set(xlabel=f"α  (0: {summary['anchors'][0]}, 1: {summary['anchors'][1]}; ‖θ1 − θ0‖ = {summary['segment_length']:.3g})",
           ylabel="objective (return + τ · discounted entropy)",
           title=f"Sub-optimal → optimal solution (τ = 0 run, {solution['updates']} updates at lr {solution['lr']:g})")
    ax.legend(fontsize=8)
    return save_figure(fig, out / FIG_SUB_OPT)


def plot_corners(out: Path) -> Path:
    """Small multiples: the objective from "all down" to "all right", one panel per τ, dip depth in the title."""
    from policyscape.plots.style import plt, save_figure

    table = SavedRun(out / "interp-down-right").read_csv("interpolation.csv")
    labels = list(dict.fromkeys(table["variant"]))
    cols = 3
    nrows = -(-len(labels) // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.3 * nrows), squeeze=False)
    for ax, label in zip(axes.ravel(), labels):
        rows = table["variant"] == label
        a, y = table["alpha"][rows], table["value"][rows]
        ax.plot(a, y)
        ax.axhline(min(y[0], y[-1]), color="gray", lw=0.6, ls=":")
        ax.set(title=f"{label}: dip depth {dip_depth(a, y):.3g}", xlabel="α (0: all down, 1: all right)",
               ylabel="objective")
    for ax in axes.ravel()[len(labels):]:
        ax.axis("off")
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.suptitle('Between the deterministic "all down" and "all right" policies (logits 0 / −20); dotted: lower end')
    return save_figure(fig, out / FIG_CORNERS)


def plot_dip_depth(out: Path) -> Path:
    from policyscape.plots.style import plt, save_figure

    depths = dip_depths(out)
    fig, ax = plt.subplots(figsize=(6, 4))
    taus = list(depths)
    ax.plot(range(len(taus)), list(depths.values()), "o-")
    ax.set_xticks(range(len(taus)), [f"{t:g}" for t in taus])
    ax.set(xlabel="entropy weight τ", ylabel="dip depth: min(ends) − min along the path",
           title='Valley between "all down" and "all right" vs τ')
    return save_figure(fig, out / FIG_DIP)


def plot_start_to_solution(out: Path) -> Path:
    """Initial θ → solution for a few seeds, on the distance axis α·‖θ1 − θ0‖ (one panel per τ)."""
    from policyscape.plots.style import plt, save_figure

    info = SavedRun(out).read_json("start_to_solution.json")
    solution = SavedRun(out).read_json("solution.json")
    variants = ("τ = 0", "τ = 0.01")
    fig, axes = plt.subplots(1, len(variants), figsize=(13, 4.5), squeeze=False)
    for k in info["seeds"]:
        table = SavedRun(out / "start-to-solution" / f"seed_{k}").read_csv("interpolation.csv")
        length = SavedRun(out / "start-to-solution" / f"seed_{k}").read_json("summary.json")["segment_length"]
        kind = "optimal" if k in info["optimal"] else "sub-optimal"
        for ax, label in zip(axes[0], variants):
            rows = table["variant"] == label
            line, = ax.plot(table["distance"][rows], table["value"][rows], ls="-" if kind == "optimal" else "--",
                            label=f"seed {k} ({kind})")
            ax.plot([length], [np.interp(1.0, table["alpha"][rows], table["value"][rows])], "o", color=line.get_color())
    for ax, label in zip(axes[0], variants):
        ax.axvline(0, color="gray", lw=0.6, ls=":")
        ax.set(xlabel="distance from the initial θ  (α·‖θ1 − θ0‖; dots: the solutions)", ylabel="objective",
               title=f"{label}: initial θ → τ = 0 solution ({solution['updates']} updates, lr {solution['lr']:g})")
        ax.legend(fontsize=8)
    return save_figure(fig, out / FIG_START)
