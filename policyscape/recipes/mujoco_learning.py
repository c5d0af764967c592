"""Learning with REINFORCE under different policy σ on MuJoCo (Ahmed et al. 2019, Section 3.2, learning curves
and best learning rates).

Linear Gaussian policies ``a ~ N(Wᵀs + b, σ²I)`` with fixed σ are trained by REINFORCE (returns-to-go,
γ = 0.995, standardized over the batch, no baseline, SGD) on Hopper-v5, Walker2d-v5 and HalfCheetah-v5,
for every σ of the budget and every learning rate of a log-spaced grid (one run directory each, all seeds
of a run trained together; :mod:`policyscape.recipes.mujoco_common`). Each σ is then shown at its best
learning rate: the one with the highest mean score over seeds, the score being the area under the
deterministic (σ = 0) learning curve (its mean over the evaluation points: rewards learning fast *and*
well).

Claims, each a pure function of saved numbers (tested on synthetic numbers):

- ``larger-sigma``: per environment (Hopper, Walker2d), the Welch interval of mean score(largest σ) −
  mean score(smallest σ) over seeds, each at its best lr → :func:`positive`; both environments
  combined (:func:`combine`).
- ``halfcheetah-sigma``: the same difference on HalfCheetah divided by the larger |mean score| of the
  two; the interval of its absolute value must lie within ±:data:`HALFCHEETAH_MAX_RELATIVE_DIFFERENCE`.
- ``best-lr-ratio``: best lr(largest σ) / best lr(smallest σ) on Hopper, read off the grid
  (no sampling interval: the grid step is the resolution) → holds at ≥ :data:`RATIO_HOLDS_AT`,
  does not hold at ≤ :data:`RATIO_FAILS_AT_OR_BELOW`.

The best learning rate is chosen on the same seeds that are then compared, which favours every σ
alike (a mild optimism of all scores, not of their difference).

Budgets:

- ``tiny`` (the test suite): Hopper and HalfCheetah, σ ∈ {0.1, 1.0}, 2 learning rates, 1 seed,
  3 updates of 4 episodes of at most 100 steps: every figure and the claims it covers
  (larger-sigma on Hopper only, halfcheetah-sigma, best-lr-ratio), in seconds.
- ``quick``: all three environments, σ ∈ {0.1, 1.0}, 5 learning rates on a decade grid (1e-5 … 1e-1),
  3 seeds, 20 updates of 16 episodes of at most 100 steps (minutes).
- ``full``: σ ∈ {0.1, 0.25, 0.5, 0.75, 1.0}, 7 learning rates (half-decade, 1e-4 … 1e-1), 5 seeds,
  300 updates of 64 episodes of up to 1000 steps (the environments' own limit); the paper used 128
  episodes per update.
- ``decisive``: σ ∈ {0.1, 1.0}, 4 learning rates (decade, 1e-4 … 1e-1), 100 updates of 32 episodes of
  up to 1000 steps, as many seeds as the pilot says the claims need (below).

Budgets that decide (:func:`decisive_config`). Seeds are the costly axis (each seed multiplies every
run), and how many a claim needs follows from the seed-to-seed spread, which only a pilot can tell.
From a pilot sweep's ``scores.csv`` (e.g. the ``quick`` budget's, ≥ 2 seeds), per claim, with each σ at
its best learning rate and the pilot's per-seed AUC scores as if they were the truth:

- ``larger-sigma`` (Hopper, Walker2d): seeds per σ for the 95% Welch interval of score(σ_max) −
  score(σ_min) to exclude 0 with 80% probability (two-sample power calculation,
  :func:`~policyscape.recipes.mujoco_common.seeds_to_decide`);
- ``halfcheetah-sigma``: seeds for that interval to lie within ±20% of the larger |mean score| with
  80% probability (an equivalence margin; needs the pilot's |δ| below the margin);
- ``best-lr-ratio``: read off the grid, no sampling interval; it needs the grid to span a decade
  around both best learning rates, not seeds.

``reproduce mujoco-learning --budget decisive`` runs a pilot (:data:`PILOT`: 4 seeds from another
master seed, into ``mujoco-learning.pilot/`` beside the recipe's directory), then the sweep (:data:`DECISIVE`) with the largest of these
seed counts (at least 4, at most :data:`DECISIVE_MAX_SEEDS`; ``decisive.json`` records each claim's count).
Updates are not sized by the power calculation: both runs train for the same 100 updates (what 2 cores
afford in about an hour on Hopper); a pilot cannot tell how the spread grows with longer training, so the
seed count only holds at the pilot's horizon. ``decisive_config(pilot_dir, FULL)`` sizes the paper-scale
sweep (300 updates of 64 episodes, 5 σ × 7 learning rates) from a pilot of that shape instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from policyscape.optimize.reinforce import ReinforceConfig
from policyscape.recipes import mujoco_common as mc
from policyscape.recipes.base import Figure, Recipe
from policyscape.recipes.verdicts import (
    FAILS,
    HOLDS,
    Interval,
    at_least,
    at_most,
    combine,
    mean_difference_interval,
    positive,
)
from policyscape.runs.rundir import RunDir

#: "σ has little effect" in HalfCheetah: the 95% interval of |mean score(σ_max) − mean score(σ_min)|,
#: relative to the larger |mean score|, lies within 20%. Seed-to-seed spread of REINFORCE returns is
#: itself of this order, so a smaller effect is not one a reader of the paper's curves would see.
HALFCHEETAH_MAX_RELATIVE_DIFFERENCE = 0.2
#: "about 10× larger": a ratio of ≥ 3 is within one half-decade grid step (10/√10 ≈ 3.16) of 10.
RATIO_HOLDS_AT = 3.0
#: a best lr for the largest σ no larger than for the smallest σ contradicts the claim.
RATIO_FAILS_AT_OR_BELOW = 1.0
#: environments of the ``larger-sigma`` claim, and of the other two.
LARGER_SIGMA_ENVS = ("Hopper-v5", "Walker2d-v5")
HALFCHEETAH, HOPPER = "HalfCheetah-v5", "Hopper-v5"
SCORES_FILE = "scores.csv"


@dataclass(frozen=True)
class LearningConfig:
    """A σ × learning-rate sweep of REINFORCE runs on each environment."""

    envs: tuple[str, ...] = ("Hopper-v5", "Walker2d-v5", "HalfCheetah-v5")
    sigmas: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 1.0)
    lrs: tuple[float, ...] = mc.log_grid(-4, -1, 2)
    seeds: int = 5
    updates: int = 300
    batch_episodes: int = 64
    eval_every: int = 10
    eval_episodes: int = 16
    max_steps: int | None = None
    optimizer: str = "sgd"
    score: str = "auc"
    seed: int = 0

    def base(self) -> ReinforceConfig:
        return ReinforceConfig(optimizer=self.optimizer, batch_episodes=self.batch_episodes, updates=self.updates,
                               seeds=self.seeds, seed=self.seed, eval_every=self.eval_every,
                               eval_episodes=self.eval_episodes, max_steps=self.max_steps)


TINY = LearningConfig(envs=("Hopper-v5", "HalfCheetah-v5"), sigmas=(0.1, 1.0), lrs=(0.001, 0.01), seeds=1, updates=3,
                      batch_episodes=4, eval_every=1, eval_episodes=2, max_steps=100)
QUICK = LearningConfig(sigmas=(0.1, 1.0), lrs=mc.log_grid(-5, -1, 1), seeds=3, updates=20, batch_episodes=16,
                       eval_every=2, eval_episodes=4, max_steps=100)
FULL = LearningConfig()
#: ``decisive``: Hopper-scale on one machine: σ ∈ {0.1, 1.0} (the claims' extremes), a decade grid of 4
#: learning rates, 100 updates of 32 episodes of up to 1000 steps; its seeds come from the pilot (see
#: :func:`decisive_config`), at least 4 and at most :data:`DECISIVE_MAX_SEEDS`.
DECISIVE = LearningConfig(sigmas=(0.1, 1.0), lrs=mc.log_grid(-4, -1, 1), seeds=4, updates=100, batch_episodes=32,
                          eval_every=10, eval_episodes=8)
#: the pilot: the decisive configuration with 4 seeds drawn from another master seed, so the seeds that
#: size the budget are not among those that decide it.
PILOT = LearningConfig(**{**DECISIVE.__dict__, "seeds": 4, "seed": 1})
#: the most seeds the decisive budget asks for (a claim that needs more is reported undecided at this many).
DECISIVE_MAX_SEEDS = 20


# --------------------------------------------------------------------------- run


def run(config: LearningConfig, out: Path, progress: bool = False, executor=None) -> None:
    """Train the sweep into ``out/runs``, then save ``scores.csv`` and draw the figures."""
    paths = mc.train_sweep(out, config.base(), config.envs, config.sigmas, config.lrs, progress, executor)
    rows = []
    for (env, sigma, lr), path in paths.items():
        curves = mc.read_deterministic_curves(path)
        auc, final = mc.curve_scores(curves["returns"], "auc"), mc.curve_scores(curves["returns"], "final")
        rows += [(env, sigma, lr, k, auc[k], final[k], curves["env_steps"][-1]) for k in range(auc.size)]
    RunDir(out).write_csv(SCORES_FILE, ["env", "sigma", "lr", "seed", "auc", "final", "env_steps"], rows)
    draw(out)


def read_scores(out: Path, score: str) -> dict:
    """``scores.csv`` → ``{(env, σ, lr): per-seed scores [K]}``."""
    c = RunDir(out).read_csv(SCORES_FILE)
    keys = sorted({(str(e), float(s), float(lr)) for e, s, lr in zip(c["env"], c["sigma"], c["lr"])})
    out_scores = {}
    for env, sigma, lr in keys:
        rows = (c["env"] == env) & (c["sigma"] == sigma) & (c["lr"] == lr)
        out_scores[(env, sigma, lr)] = c[score][rows][np.argsort(c["seed"][rows])]
    return out_scores


def decisive_config(pilot: Path, base: LearningConfig | None = None, confidence: float = 0.95, power: float = 0.8,
                    max_seeds: int = 100) -> tuple[LearningConfig, dict]:
    """The ``decisive`` budget (module docstring) from a pilot's recipe directory → (config, seeds per claim)."""
    from dataclasses import replace

    base = FULL if base is None else base
    scores = read_scores(Path(pilot), "auc")
    best = mc.best_lrs(scores)
    needed = {}
    for env in sorted({e for e, _ in best}):
        sigmas = sorted(s for e, s in best if e == env)
        if len(sigmas) < 2:
            continue
        hi, lo = scores[(env, sigmas[-1], best[(env, sigmas[-1])])], scores[(env, sigmas[0], best[(env, sigmas[0])])]
        if env == HALFCHEETAH:
            margin = HALFCHEETAH_MAX_RELATIVE_DIFFERENCE * max(abs(float(np.mean(hi))), abs(float(np.mean(lo))))
            needed[f"halfcheetah-sigma {env}"] = mc.seeds_to_decide(hi, lo, confidence, power, margin, max_seeds)
        elif env in LARGER_SIGMA_ENVS:
            needed[f"larger-sigma {env}"] = mc.seeds_to_decide(hi, lo, confidence, power, None, max_seeds)
    seeds = max([base.seeds, *needed.values()])
    return replace(base, seeds=min(seeds, max_seeds)), needed


def decide(pilot: Path, base: LearningConfig) -> tuple[LearningConfig, dict]:
    """The recipe's ``decide`` hook: :func:`decisive_config` with at most :data:`DECISIVE_MAX_SEEDS` seeds."""
    return decisive_config(pilot, base, max_seeds=DECISIVE_MAX_SEEDS)


def _config(out: Path) -> LearningConfig:
    raw = RunDir(out).read_config()["config"]
    return LearningConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})


def draw(out: Path) -> list[Path]:
    """Learning curves per environment and the learning-rate sweep, from saved files only."""
    from policyscape.plots.style import plt, save_figure

    out = Path(out)
    config = _config(out)
    scores = read_scores(out, config.score)
    best = mc.best_lrs(scores)
    written = []
    for env in config.envs:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for sigma in config.sigmas:
            lr = best[(env, sigma)]
            c = mc.read_deterministic_curves(mc.sub_run_path(out, env, sigma, lr))
            mean = c["returns"].mean(axis=1)
            ax.plot(c["env_steps"], mean, color=mc.sigma_colour(sigma), label=f"σ = {sigma:g} (lr = {lr:.3g})")
            if c["returns"].shape[1] > 1:
                ax.fill_between(c["env_steps"], c["returns"].min(axis=1), c["returns"].max(axis=1),
                                color=mc.sigma_colour(sigma), alpha=0.15)
        K = config.seeds
        ax.set(xlabel="environment steps (training)", ylabel="deterministic (σ = 0) return",
               title=f"{mc.env_label(env)}: REINFORCE per σ at its best lr, mean of {K} seed{'s' * (K > 1)}"
                     + (" (band: min–max)" if K > 1 else ""))
        ax.legend(fontsize=8)
        written.append(save_figure(fig, out / f"learning_curves_{mc.env_label(env)}.png"))

    fig, axes = plt.subplots(1, len(config.envs), figsize=(5 * len(config.envs), 4), squeeze=False)
    for ax, env in zip(axes[0], config.envs):
        for sigma in config.sigmas:
            lrs = sorted(lr for (e, s, lr) in scores if e == env and s == sigma)
            means = [float(np.mean(scores[(env, sigma, lr)])) for lr in lrs]
            ax.plot(lrs, means, "o-", color=mc.sigma_colour(sigma), label=f"σ = {sigma:g}")
            b = best[(env, sigma)]
            ax.plot([b], [float(np.mean(scores[(env, sigma, b)]))], "*", ms=16, color=mc.sigma_colour(sigma),
                    markeredgecolor="black")
        ax.set(xscale="log", xlabel="learning rate", ylabel=f"mean {config.score} of deterministic return",
               title=f"{mc.env_label(env)} (★ best lr per σ)")
        ax.legend(fontsize=8)
    written.append(save_figure(fig, out / "lr_sweep.png"))
    return written


# --------------------------------------------------------------------------- verdicts (pure)


def verdict_larger_sigma(per_env: dict[str, tuple[np.ndarray, np.ndarray]], sigma_small: float,
                         sigma_large: float) -> tuple[str, str, dict]:
    """``{env: (scores at σ_large [K], scores at σ_small [K])}`` → (verdict, measured, evidence).

    Per env: Welch interval of mean(large) − mean(small) → :func:`positive`; envs combined.
    """
    parts, texts, evidence = [], [], {}
    for env, (large, small) in per_env.items():
        interval = mean_difference_interval(large, small)
        verdict = positive(interval)
        parts.append(verdict)
        texts.append(f"{mc.env_label(env)}: {interval.format('.1f')} ({verdict})")
        evidence[env] = {"difference": interval.__dict__, "mean_large": float(np.mean(large)),
                         "mean_small": float(np.mean(small)), "seeds": [len(large), len(small)], "verdict": verdict}
    n = min(len(v[0]) for v in per_env.values())
    measured = (f"score(σ = {sigma_large:g}) − score(σ = {sigma_small:g}), each at its best lr, mean over {n} "
                f"seed{'s' * (n > 1)} [95% interval]: " + "; ".join(texts))
    return combine(parts), measured, evidence


def absolute_interval(interval: Interval) -> Interval:
    """Interval of |x| from an interval of x: [0, max] if it straddles 0, else [min |·|, max |·|]."""
    a, b = abs(interval.lo), abs(interval.hi)
    lo = 0.0 if interval.lo <= 0 <= interval.hi else min(a, b)
    return Interval(abs(interval.estimate), lo, max(a, b))


def verdict_halfcheetah_sigma(large: np.ndarray, small: np.ndarray, sigma_small: float, sigma_large: float,
                              sweep_range: float = 0.0) -> tuple[str, str, dict]:
    """Relative difference ``(mean(large) − mean(small)) / scale`` with
    ``scale = max(|mean(large)|, |mean(small)|, sweep_range)``; its absolute interval → :func:`at_most` with
    :data:`HALFCHEETAH_MAX_RELATIVE_DIFFERENCE` (holds within it, does not hold when even the interval's low
    end exceeds it).

    ``sweep_range`` is max − min of the mean scores over all of the environment's (σ, lr) runs: how far the
    hyperparameters move the returns. It keeps short episodes, whose returns sit near 0, from turning a
    small difference into a large relative one.
    """
    diff = mean_difference_interval(large, small)
    scale = max(abs(float(np.mean(large))), abs(float(np.mean(small))), float(sweep_range), 1e-12)
    rel = Interval(diff.estimate / scale, diff.lo / scale, diff.hi / scale)
    abs_rel = absolute_interval(rel)
    verdict = at_most(abs_rel, HALFCHEETAH_MAX_RELATIVE_DIFFERENCE, HALFCHEETAH_MAX_RELATIVE_DIFFERENCE)
    n = min(len(large), len(small))
    measured = (f"HalfCheetah: score(σ = {sigma_large:g}) − score(σ = {sigma_small:g}) = {diff.format('.1f')}, "
                f"relative to {scale:.1f} (the larger |mean| or the sweep's range of mean scores): {rel.format(percent=True)} over {n} "
                f"seed{'s' * (n > 1)} (little effect: |relative| within "
                f"{100 * HALFCHEETAH_MAX_RELATIVE_DIFFERENCE:.0f}%)")
    evidence = {"difference": diff.__dict__, "relative": rel.__dict__, "abs_relative": abs_rel.__dict__,
                "scale": scale, "threshold": HALFCHEETAH_MAX_RELATIVE_DIFFERENCE}
    return verdict, measured, evidence


def verdict_best_lr_ratio(lr_large: float, lr_small: float, sigma_small: float, sigma_large: float,
                          grid: tuple[float, ...]) -> tuple[str, str, dict]:
    """Ratio of best lrs read off the grid → :func:`at_least` on the (exact, zero-width) grid ratio:
    holds at ≥ :data:`RATIO_HOLDS_AT`, does not hold at ≤ :data:`RATIO_FAILS_AT_OR_BELOW`."""
    ratio = float(lr_large / lr_small)
    fails_below = float(np.nextafter(RATIO_FAILS_AT_OR_BELOW, np.inf))  # "≤ 1 fails" as at_least's "< x fails"
    verdict = at_least(Interval(ratio, ratio, ratio), RATIO_HOLDS_AT, fails_below)
    steps = np.diff(np.log10(sorted(grid))) if len(grid) > 1 else np.array([np.nan])
    step = float(10 ** np.max(steps)) if np.all(np.isfinite(steps)) else float("nan")
    at_edge = [name for name, lr in (("σ_large", lr_large), ("σ_small", lr_small)) if lr in (min(grid), max(grid))]
    measured = (f"Hopper: best lr {lr_large:.3g} at σ = {sigma_large:g} vs {lr_small:.3g} at σ = {sigma_small:g}: "
                f"ratio {ratio:.3g} (grid of {len(grid)} lrs, step ×{step:.3g}: the ratio is known to within "
                f"a grid step)" + (f"; best lr at the grid's edge for {', '.join(at_edge)}" if at_edge else ""))
    evidence = {"lr_large": lr_large, "lr_small": lr_small, "ratio": ratio, "grid": list(grid),
                "grid_step": step, "at_grid_edge": at_edge}
    return verdict, measured, evidence


# --------------------------------------------------------------------------- assess


def assess(out: Path) -> list:
    out = Path(out)
    config = _config(out)
    scores = read_scores(out, config.score)
    best = mc.best_lrs(scores)
    lo, hi = min(config.sigmas), max(config.sigmas)
    items: list = [Figure(f"learning_curves_{mc.env_label(env)}.png",
                          f"{mc.env_label(env)}: deterministic return vs training environment steps, one line per σ "
                          f"at its best learning rate (mean over {config.seeds} seeds).") for env in config.envs]
    items.append(Figure("lr_sweep.png", f"Mean {config.score} of the deterministic return vs learning rate, one line "
                                        "per σ; ★ marks each σ's best learning rate."))
    figs_of = {env: [f"learning_curves_{mc.env_label(env)}.png", "lr_sweep.png"] for env in config.envs}
    if lo == hi:
        return items

    def at_best(env, sigma):
        return scores[(env, sigma, best[(env, sigma)])]

    envs = [e for e in LARGER_SIGMA_ENVS if e in config.envs]
    if envs:
        verdict, measured, evidence = verdict_larger_sigma({e: (at_best(e, hi), at_best(e, lo)) for e in envs}, lo, hi)
        missing = [mc.env_label(e) for e in LARGER_SIGMA_ENVS if e not in envs]
        note = f"{', '.join(missing)} not run at this budget." if missing else ""
        if verdict != HOLDS:
            note += (" Short training at this budget: the larger σ needs more updates to pull ahead, or the seeds "
                     "are too few to separate the curves.") if config.updates < 100 else ""
        items.append(RECIPE.claim("larger-sigma", measured, verdict, evidence,
                                  sorted({f for e in envs for f in figs_of[e]}), note.strip()))
    if HALFCHEETAH in config.envs:
        means = [float(np.mean(v)) for (e, _, _), v in scores.items() if e == HALFCHEETAH]
        verdict, measured, evidence = verdict_halfcheetah_sigma(at_best(HALFCHEETAH, hi), at_best(HALFCHEETAH, lo),
                                                                lo, hi, max(means) - min(means))
        items.append(RECIPE.claim("halfcheetah-sigma", measured, verdict, evidence, figs_of[HALFCHEETAH]))
    if HOPPER in config.envs and len(config.lrs) > 1:
        verdict, measured, evidence = verdict_best_lr_ratio(best[(HOPPER, hi)], best[(HOPPER, lo)], lo, hi,
                                                            tuple(config.lrs))
        note = ""
        if (lo, hi) != (0.1, 1.0):
            note = f"compared σ = {hi:g} with σ = {lo:g} (the budget's extremes), the paper σ = 1.0 with 0.1. "
        if evidence["at_grid_edge"]:
            note += "A best lr at the edge of the grid only bounds the ratio; widen the grid to pin it down."
        if evidence["ratio"] >= 10 * evidence["grid_step"]:
            note += (f" The ratio ({evidence['ratio']:.3g}) exceeds the paper's ~10× by a grid step or more: with "
                     "few updates the small σ's best lr is the one that barely moves θ.")
        if verdict == FAILS and config.updates < 100:
            note += " Few updates at this budget favour large steps for every σ."
        items.append(RECIPE.claim("best-lr-ratio", measured, verdict, evidence, ["lr_sweep.png"], note.strip()))
    return items


RECIPE = Recipe(
    name="mujoco-learning",
    title="REINFORCE learning curves and best learning rates per σ on Hopper, Walker2d, HalfCheetah (Section 3.2)",
    summary=("Linear Gaussian policies of fixed σ trained by REINFORCE over a σ × learning-rate grid; each σ shown at "
             "its best learning rate (highest mean area under the deterministic learning curve)."),
    claims={
        "larger-sigma": "Larger σ learns faster and better in Hopper and Walker2d.",
        "halfcheetah-sigma": "σ has little effect on learning in HalfCheetah.",
        "best-lr-ratio": "The best learning rate is about 10× larger for σ = 1.0 than for σ = 0.1 in Hopper.",
    },
    budgets={"tiny": TINY, "quick": QUICK, "full": FULL, "decisive": DECISIVE},
    pilot=PILOT,
    decide=decide,
    expected_time={
        "quick": "about 3–6 min (measured 175 s with 4 learning rates, 330 s with 5 beside another recipe)",
        "decisive": ("a pilot (8 runs × 4 seeds) then 8 runs × 4–20 seeds of 100 updates × 32 episodes: for Hopper "
                     "alone (--set mujoco-learning.envs=Hopper-v5) about 1–2 h on 2 cores"),
        "full": ("about 2–4 days: ≈ 5 billion environment steps (105 runs × 5 seeds × 300 updates × 64 episodes; "
                 "HalfCheetah's episodes run all 1000 steps: 3.4 billion; Hopper and Walker2d end earlier) at "
                 "15–25k steps/s on 2 cores; every run is its own directory, so the sweep splits across machines"),
    },
    run=run,
    assess=assess,
)
