"""Curvature of the direction of most improvement along REINFORCE training, per σ of the objective
(Ahmed et al. 2019, Section 3.2: Hopper and HalfCheetah).

σ = 0 cannot be trained by REINFORCE (no log-probability), but the paper reports the curvature for
σ ∈ {0, 0.1, 0.5, 1.0}; so, as we read it, the σ's are those of the *objective* evaluated at the
parameters one training run passes through. Here: one REINFORCE run per environment (linear Gaussian,
σ_train = :attr:`CurvatureConfig.train_sigma`, its own run directory under ``out/train/<env>``); at
each of its evenly spaced checkpoints (update 0 included) and for each σ of ``eval_sigmas``, paired
random perturbations (:func:`policyscape.runs.landscape.run_perturb`, α and directions of the config,
the sampled objective ``make_objective(env, sampling=Sampling(sigma=σ, …))``, one run directory each
under ``out/perturb/<env>/update_NNNNNN/sigma_<σ>``) give the curvature of the direction of most
improvement (the direction whose Δ+ is at the 90th percentile; ``summary.json``). ``curvature.csv``
gathers them; ``curvature_along_training.png`` draws them.

Claim ``curvature-stability`` (a pure function of the curvatures, :func:`verdict_curvature_stability`):
the instability statistic of one (environment, σ) is the number of checkpoints whose curvature has the
sign opposite to the majority sign along training (its *minority-sign count*, out of C checkpoints;
0 = one sign throughout; at most C/2). Parts:

1. Hopper, small σ ∈ :data:`SMALL_SIGMAS` swing more than large σ ∈ :data:`LARGE_SIGMAS`: Newcombe
   interval of the difference of their pooled minority-sign fractions → :func:`positive`;
2. Hopper, large σ are stable: Wilson interval of their pooled minority-sign fraction →
   :func:`at_most` :data:`STABLE_MAX_MINORITY_FRACTION`;
3. HalfCheetah, every σ is stable: the same on all σ pooled;

combined (:func:`combine`). The coefficient of variation ``std(κ)/|mean(κ)|`` along training (the
"size" swings) is reported beside it.

Budgets:

- ``tiny`` (the test suite): Hopper and HalfCheetah, σ_eval ∈ {0, 1.0}, 3 updates of 4 episodes of at
  most 100 steps, 2 checkpoints, 10 directions, 4 episodes per evaluation.
- ``quick``: σ_eval ∈ {0, 0.1, 0.5, 1.0}, 24 updates of 16 episodes of at most 100 steps, 9
  checkpoints, 32 directions, 8 episodes per evaluation (minutes).
- ``full``: 200 updates of 64 episodes (the environments' own 1000-step limit), 11 checkpoints, 100
  directions at the paper's α = 0.5, 32 episodes per evaluation (the paper: 500 directions, 128).

Budgets that decide (not yet a ``decisive`` budget: it needs a pilot, and has not been run). The claim
is about minority-sign *fractions* over checkpoints, so its axis is checkpoints × σ, not seeds; and
each curvature sign must itself be decided, which sets directions and episodes:

- checkpoints C: part 1 compares two pooled fractions by a Newcombe interval; from a pilot's
  fractions p_small, p_large per (σ, checkpoint) the pooled count needed per group is the two-sample
  proportion power calculation n = (z_.975 √(2p̄(1−p̄)) + z_.8 √(p_s(1−p_s) + p_l(1−p_l)))² / (p_s − p_l)²,
  divided by the σ's per group to give C; part 2 needs the Wilson interval's upper end below
  ``STABLE_MAX_MINORITY_FRACTION``: C·|σ's| ≥ ``mujoco_common.directions_to_decide(p, margin − p)``;
- directions and episodes per checkpoint: the most-improvement curvature κ is a 90th-percentile
  statistic whose sign is only meaningful when |κ| exceeds its noise (2·tol/α², ``curvature.csv``
  column ``curvature_tolerance``); from the pilot's noise std s of O(θ0) at E episodes, E' =
  E·(z_.975 · 2s / (|κ| α²))² episodes make the tolerance a z-score of 1.96 below the pilot's |κ|.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from policyscape.landscape.perturb import PerturbConfig
from policyscape.objectives.registry import Sampling, make_objective
from policyscape.optimize.reinforce import ReinforceConfig
from policyscape.recipes import mujoco_common as mc
from policyscape.recipes.base import Figure, Recipe
from policyscape.recipes.verdicts import (
    NOT_RUN,
    at_most,
    combine,
    difference_interval,
    positive,
    wilson_interval,
)
from policyscape.runs.checkpoint import load_params
from policyscape.runs.landscape import Point, run_perturb
from policyscape.runs.rundir import RunDir

#: σ's the paper says swing (in Hopper) and σ's it says are stable.
SMALL_SIGMAS, LARGE_SIGMAS = (0.0, 0.1), (0.5, 1.0)
#: "stable": at most a quarter of the checkpoints have the minority sign — halfway between one sign
#: throughout (0) and the most a minority can be (½, signs no better than coin flips).
STABLE_MAX_MINORITY_FRACTION = 0.25
HOPPER, HALFCHEETAH = "Hopper-v5", "HalfCheetah-v5"
CURVATURE_FILE = "curvature.csv"
FIGURE = "curvature_along_training.png"


@dataclass(frozen=True)
class CurvatureConfig:
    """One training run per environment, perturbed at its checkpoints under every σ of ``eval_sigmas``."""

    envs: tuple[str, ...] = (HOPPER, HALFCHEETAH)
    train_sigma: float = 1.0
    train_lr: float = 0.01
    updates: int = 200
    batch_episodes: int = 64
    checkpoints: int = 11
    max_steps: int | None = None
    eval_sigmas: tuple[float, ...] = (0.0, 0.1, 0.5, 1.0)
    alpha: float = 0.5
    directions: int = 100
    episodes: int = 32
    noise_evaluations: int = 8
    seed: int = 0

    def train_config(self, env: str) -> ReinforceConfig:
        if self.checkpoints < 2 or self.updates % (self.checkpoints - 1):
            raise ValueError(f"updates ({self.updates}) must be a multiple of checkpoints − 1 ({self.checkpoints - 1})")
        return ReinforceConfig(env=env, sigma=self.train_sigma, lr=self.train_lr, batch_episodes=self.batch_episodes,
                               updates=self.updates, seeds=1, seed=self.seed,
                               eval_every=self.updates // (self.checkpoints - 1), eval_episodes=4,
                               max_steps=self.max_steps)


TINY = CurvatureConfig(eval_sigmas=(0.0, 1.0), updates=3, batch_episodes=4, checkpoints=2, max_steps=100,
                       directions=10, episodes=4, noise_evaluations=4)
QUICK = CurvatureConfig(updates=24, batch_episodes=16, checkpoints=9, max_steps=100, directions=32, episodes=8,
                        noise_evaluations=4)
FULL = CurvatureConfig()


# --------------------------------------------------------------------------- run


def checkpoint_updates(config: CurvatureConfig) -> list[int]:
    step = config.updates // (config.checkpoints - 1)
    return [k * step for k in range(config.checkpoints)]


def perturb_path(out: Path, env: str, update: int, sigma: float) -> Path:
    return Path(out) / "perturb" / env / f"update_{update:06d}" / f"sigma_{sigma:g}"


def run(config: CurvatureConfig, out: Path, progress: bool = False, executor=None) -> None:
    """Train, perturb every checkpoint under every σ, save ``curvature.csv``, draw the figure."""
    out = Path(out)
    perturb = PerturbConfig(alphas=(config.alpha,), directions=config.directions, seed=config.seed,
                            noise_evaluations=config.noise_evaluations)
    rows = []
    mc.train_jobs([mc.SweepJob(config.train_config(env), str(out / "train" / env)) for env in config.envs], executor,
                  progress)  # every environment's training run at once, on the recipe's executor
    for env in config.envs:
        train_dir = out / "train" / env
        curves = mc.read_deterministic_curves(train_dir)
        steps_at = dict(zip(curves["update"].tolist(), curves["env_steps"].tolist()))
        for update in checkpoint_updates(config):
            spec = f"{train_dir / 'checkpoints' / f'update_{update:06d}.npz'}@0"
            theta = np.asarray(load_params(spec).theta, dtype=np.float64).ravel()
            for sigma in config.eval_sigmas:
                sampling = Sampling(sigma=float(sigma), episodes=config.episodes, max_steps=config.max_steps,
                                    seed=config.seed)
                objective = make_objective(env, sampling=sampling)
                path = perturb_path(out, env, update, sigma)
                if progress:
                    print(f"  perturb {env} update {update} σ = {sigma:g}", flush=True)
                summary = _ensure_perturb(objective, Point(theta, f"{env} update {update}"), perturb, path, env,
                                          {"sigma": float(sigma), "episodes": config.episodes}, progress, executor)
                pa = summary["per_alpha"][0]
                tol = float(summary["significance_tolerance"])
                rows.append((env, update, steps_at.get(update, np.nan), float(sigma),
                             float(summary["most_improvement_curvature"]), 2 * tol / config.alpha ** 2,
                             float(summary["noise_std"]), float(summary["value_at_theta0"]),
                             float(pa["fraction_significant_negative_curvature"]), float(pa["mean_curvature"])))
    RunDir(out).write_csv(CURVATURE_FILE, ["env", "update", "env_steps", "sigma", "curvature", "curvature_tolerance",
                                           "noise_std", "value", "frac_significant_negative", "mean_curvature"], rows)
    draw(out)


def _ensure_perturb(objective, at, perturb, path, env, variant, progress, executor=None) -> dict:
    run_dir = RunDir(path)
    if run_dir.file("summary.json").exists():
        return run_dir.read_json("summary.json")
    return run_perturb(objective, at, perturb, path, env, variant, show_progress=progress,
                       executor=executor)


def read_curvatures(out: Path) -> dict:
    """``curvature.csv`` → ``{(env, σ): {"update": [C], "curvature": [C], "tolerance": [C], ...}}``."""
    c = RunDir(out).read_csv(CURVATURE_FILE)
    result = {}
    for env, sigma in sorted({(str(e), float(s)) for e, s in zip(c["env"], c["sigma"])}):
        rows = (c["env"] == env) & (c["sigma"] == sigma)
        order = np.argsort(c["update"][rows])
        result[(env, sigma)] = {k: c[k][rows][order] for k in ("update", "env_steps", "curvature",
                                                                  "curvature_tolerance", "value")}
    return result


def _config(out: Path) -> CurvatureConfig:
    raw = RunDir(out).read_config()["config"]
    return CurvatureConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})


def draw(out: Path) -> Path:
    """Most-improvement curvature vs training update, one line per σ, one panel per environment."""
    from policyscape.plots.style import plt, save_figure

    config = _config(out)
    data = read_curvatures(out)
    fig, axes = plt.subplots(1, len(config.envs), figsize=(6.5 * len(config.envs), 4.5), squeeze=False)
    for ax, env in zip(axes[0], config.envs):
        scale = 1.0
        for sigma in config.eval_sigmas:
            d = data[(env, float(sigma))]
            ax.plot(d["update"], d["curvature"], "o-", color=mc.sigma_colour(sigma), label=f"objective σ = {sigma:g}")
            scale = max(scale, float(np.nanmax(np.abs(d["curvature"]))))
        ax.axhline(0, color="gray", lw=0.8)
        ax.set_yscale("symlog", linthresh=scale * 1e-3)
        ax.set(xlabel=f"training update (REINFORCE, σ_train = {config.train_sigma:g}, lr = {config.train_lr:g})",
               ylabel="curvature of the direction of most improvement",
               title=f"{mc.env_label(env)} ({config.directions} directions, α = {config.alpha:g}, "
                     f"{config.episodes} episodes per evaluation)")
        ax.title.set_fontsize(10)
        ax.legend(fontsize=8)
    return save_figure(fig, Path(out) / FIGURE)


# --------------------------------------------------------------------------- verdict (pure)


def minority_sign_count(curvatures: np.ndarray) -> int:
    """Checkpoints whose curvature sign differs from the majority sign (0 counts as +; a tie: half of them)."""
    negative = int(np.sum(np.asarray(curvatures) < 0))
    return min(negative, len(curvatures) - negative)


def coefficient_of_variation(curvatures: np.ndarray) -> float:
    """``std(κ) / |mean(κ)|`` along training (ddof = 0; inf if the mean is 0)."""
    k = np.asarray(curvatures, dtype=float)
    m = abs(float(k.mean()))
    return float(k.std() / m) if m > 0 else float("inf")


def _pooled(curvatures: dict, env: str, sigmas) -> tuple[int, int]:
    keys = [(env, s) for s in sigmas if (env, s) in curvatures]
    return (sum(minority_sign_count(curvatures[k]) for k in keys), sum(len(curvatures[k]) for k in keys))


def verdict_curvature_stability(curvatures: dict[tuple[str, float], np.ndarray]) -> tuple[str, str, dict]:
    """``{(env, σ): most-improvement curvature at each checkpoint [C]}`` → (verdict, measured, evidence).

    Parts (module docstring) that the data do not cover are left out (``not run``).
    """
    parts, texts, evidence = {}, [], {"per_sigma": {}}
    for (env, sigma), k in sorted(curvatures.items()):
        evidence["per_sigma"][f"{mc.env_label(env)} σ={sigma:g}"] = {
            "minority_sign": minority_sign_count(k), "checkpoints": len(k), "cv": coefficient_of_variation(k),
            "curvatures": [float(x) for x in k]}
    small, large = _pooled(curvatures, HOPPER, SMALL_SIGMAS), _pooled(curvatures, HOPPER, LARGE_SIGMAS)
    if small[1] and large[1]:
        d = difference_interval(small, large)
        parts["hopper-small-swings-more"] = positive(d)
        texts.append(f"Hopper minority-sign fraction σ ∈ {{{', '.join(f'{s:g}' for s in SMALL_SIGMAS)}}} "
                     f"{small[0]}/{small[1]} vs σ ∈ {{{', '.join(f'{s:g}' for s in LARGE_SIGMAS)}}} "
                     f"{large[0]}/{large[1]}: difference {d.format(percent=True)}")
        evidence["hopper_difference"] = d.__dict__
    if large[1]:
        w = wilson_interval(*large)
        parts["hopper-large-stable"] = at_most(w, STABLE_MAX_MINORITY_FRACTION, STABLE_MAX_MINORITY_FRACTION)
        texts.append(f"Hopper large σ minority fraction {w.format(percent=True)}")
        evidence["hopper_large_fraction"] = w.__dict__
    all_cheetah = _pooled(curvatures, HALFCHEETAH, sorted({s for e, s in curvatures if e == HALFCHEETAH}))
    if all_cheetah[1]:
        w = wilson_interval(*all_cheetah)
        parts["halfcheetah-all-stable"] = at_most(w, STABLE_MAX_MINORITY_FRACTION, STABLE_MAX_MINORITY_FRACTION)
        texts.append(f"HalfCheetah all σ {all_cheetah[0]}/{all_cheetah[1]} = {w.format(percent=True)}")
        evidence["halfcheetah_fraction"] = w.__dict__
    cvs = "; ".join(f"{key} CV {v['cv']:.2g}" for key, v in evidence["per_sigma"].items())
    evidence["parts"] = parts
    verdict = combine(parts.values()) if parts else NOT_RUN
    measured = ("Checkpoints whose most-improvement curvature has the minority sign [95% interval]: "
                + "; ".join(texts) + f" (stable: ≤ {100 * STABLE_MAX_MINORITY_FRACTION:.0f}%). Size swings: {cvs}. "
                + "Parts: " + ", ".join(f"{k} {v}" for k, v in parts.items()))
    return verdict, measured, evidence


# --------------------------------------------------------------------------- assess


def assess(out: Path) -> list:
    out = Path(out)
    config = _config(out)
    data = read_curvatures(out)
    items: list = [Figure(FIGURE, "Curvature of the direction of most improvement (90th percentile of Δ+) at the "
                                  f"checkpoints of one REINFORCE run (σ_train = {config.train_sigma:g}), the objective "
                                  "evaluated under each σ; symmetric-log axis.")]
    verdict, measured, evidence = verdict_curvature_stability({k: v["curvature"] for k, v in data.items()})
    if verdict == NOT_RUN:
        return items
    note = ""
    missing = [p for p, ok in (("HalfCheetah", HALFCHEETAH in config.envs),
                               ("σ ∈ {0.1, 0.5}", {0.1, 0.5} <= set(config.eval_sigmas))) if not ok]
    if missing:
        note = f"Not run at this budget: {', '.join(missing)}. "
    if config.checkpoints < 8:
        note += (f"Only {config.checkpoints} checkpoints per σ: the sign counts decide little; the single "
                 "90th-percentile direction of few directions is itself noisy.")
    items.append(RECIPE.claim("curvature-stability", measured, verdict, evidence, [FIGURE], note.strip()))
    return items


RECIPE = Recipe(
    name="mujoco-curvature",
    title="Curvature of the direction of most improvement along REINFORCE training, per σ (Section 3.2)",
    summary=("One REINFORCE run per environment; at evenly spaced checkpoints, paired random perturbations of the "
             "objective under σ ∈ {0, 0.1, 0.5, 1.0} give the curvature of the direction of most improvement."),
    claims={"curvature-stability": (
        "The curvature of the direction of most improvement swings in sign and size along training for "
        "σ ∈ {0, 0.1} but is stable for σ ∈ {0.5, 1.0} in Hopper, and stable for every σ in HalfCheetah.")},
    budgets={"tiny": TINY, "quick": QUICK, "full": FULL},
    expected_time={
        "quick": "about 3–5 min (≈ 2.2 million environment steps; measured 311 s beside another recipe on 2 cores)",
        "full": ("about 4–11 h: ≈ 0.3–0.6 billion environment steps (HalfCheetah: 11 checkpoints × 4 σ × 209 "
                 "evaluations × 32 episodes × 1000 steps ≈ 0.29 billion; Hopper fewer, its episodes end early; "
                 "training 2 × 12.8 million at most) at 15–25k steps/s on 2 cores"),
    },
    run=run,
    assess=assess,
)
