"""The ``policyscape`` command: parse the arguments, call the library, print or save.

Every subcommand is a dataclass parsed by tyro; ``policyscape SUBCOMMAND --help`` lists its
flags with the docstrings below. Bad input exits with code 2 and a one-line message,
before anything is written.

The command-line process (``main()`` with no ``argv``) keeps JAX's compiled functions in a
persistent cache (:func:`use_compilation_cache`), so that a second run of a command finds them
there instead of compiling again; ``main(argv)`` called from Python leaves the caller's JAX
configuration alone.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Literal

import tyro

from policyscape.envs.registry import DEFAULT_ENV_ID
from policyscape.errors import InputError
from policyscape.optimize.exact_pg import ExactTrainConfig


@dataclass(frozen=True)
class Train(ExactTrainConfig):
    """Train policies: exact policy gradient on a tabular MDP (--exact), or REINFORCE on any Gymnasium id.

    Exact: linear softmax over states, many seeds at once, split over every core (one JAX CPU device per core;
    JAX_NUM_CPU_DEVICES=1 keeps one; the numbers agree to rounding). REINFORCE (Hopper-v5, CartPole-v1, …): linear
    Gaussian policy with fixed --sigma (or --policy-kind), returns-to-go standardized over the batch.
    Writes curves.csv, checkpoints/*.npz, final.npz, summary.json and figures to --out. A killed run
    started again with the same flags resumes from its last checkpoint (same results).

    REINFORCE sweeps: comma-separated lists for --sigma and --lr (e.g. --sigma 0.1,1.0 --lr 0.001,0.01) train
    one run per (σ, lr) into --out/sigma_<σ>/lr_<lr>/, on --backend/--workers (the same files either way),
    and write sweep.json, scores.csv (best learning rate per σ) and learning_curves.png to --out.
    """

    sigma: str | None = None  # type: ignore[assignment]
    """REINFORCE: Gaussian policy σ (fixed; default 0.5); a comma-separated list sweeps over σ. Refused on discrete
    actions (a softmax policy has none)."""
    lr: str = "0.1"  # type: ignore[assignment]
    """Learning rate (step size); REINFORCE: a comma-separated list sweeps over learning rates."""
    batch_episodes: int = 128
    """REINFORCE: episodes per update."""
    discount: float = 0.995
    """REINFORCE: γ of the returns-to-go."""
    lr_decay: float = 1.0
    """REINFORCE: per-update multiplicative learning-rate decay."""
    baseline: str = "none"
    """REINFORCE: 'none' (the paper) or 'mean'."""
    policy_kind: str | None = None
    """REINFORCE: linear_gaussian (default for Box actions), linear_gaussian_learned_std, linear_softmax, mlp_gaussian."""
    eval_every: int = 10
    """REINFORCE: deterministic evaluation, curve rows and checkpoints every this many updates."""
    eval_episodes: int = 16
    """REINFORCE: episodes of each deterministic evaluation."""
    max_steps: int | None = None
    """REINFORCE: time limit per episode (default: the environment's)."""

    env: str = DEFAULT_ENV_ID
    """Environment id (see `policyscape envs`)."""
    exact: bool = False
    """Use the exact objective (closed-form value and gradient); required for tabular MDPs for now."""
    out: Path = Path("runs/train")
    """Run directory; refused if it holds a run with another configuration."""
    progress: bool = True
    """Show a progress bar."""
    backend: Literal["local", "ray"] = "local"
    """REINFORCE sweeps: 'local' (a process pool on this machine; one worker: in this process) or 'ray'."""
    workers: int | None = None
    """REINFORCE sweeps: runs trained at once (default: every core, at most one per run)."""
    address: str | None = None
    """REINFORCE sweeps, Ray: address of a running cluster ('auto', or host:port); default: a local Ray."""
    dry_run: bool = False
    """REINFORCE: print the runs, environment steps and expected wall time per worker count; write nothing."""


@dataclass(frozen=True, kw_only=True)
class SamplingArgs:
    """Options of sampled (Monte Carlo) objectives: any Gymnasium id, or a tabular id with --episodes."""

    sigma: float | None = None
    """Gaussian policy σ (sampled objectives; default 0.1; 0 = the deterministic mean policy). With --at AGENT: default
    the agent's own action distribution; a value evaluates the agent's mean action under that fixed σ."""
    episodes: int | None = None
    """Episodes per θ (default 16); on a tabular id, sample instead of the exact objective."""
    discount: float | None = None
    """γ of the discounted return (default 0.995; the MDP's γ on tabular ids)."""
    crn: bool = True
    """Common random numbers: episode k of every θ starts from the same state and draws the same noise."""
    max_steps: int | None = None
    """Time limit per episode (default: the environment's own)."""
    dry_run: bool = False
    """Print the points, environment steps and expected time, then stop without writing anything."""
    obs_norm: Path | None = None
    """With --at AGENT: frozen observation statistics (VecNormalize .pkl, or .npz with mean, var, clip, epsilon),
    made part of the policy (for every agent of the command)."""


@dataclass(frozen=True, kw_only=True)
class ExecutionArgs:
    """Where the points are evaluated: this machine's cores or a Ray cluster (same values either way)."""

    backend: Literal["local", "ray"] = "local"
    """'local' (a process pool on this machine; one worker: in this process) or 'ray' (pip install -e '.[ray]')."""
    workers: int | None = None
    """Chunks evaluated at once (default: every core for sampled objectives; 1, in-process, for exact ones)."""
    address: str | None = None
    """Ray: address of a running cluster ('auto' after `ray start --head`, or host:port); default: a local Ray."""


@dataclass(frozen=True, kw_only=True)
class Evaluate(SamplingArgs):
    """Evaluate the objective at one parameter vector: value, return, entropy (exact) or returns with standard errors (sampled)."""

    at: str
    """Parameters: a checkpoint FILE.npz (FILE.npz@K for seed K), a flat .npy vector, "x1,x2,...", or an agent
    trained elsewhere (SB3/sb3-contrib .zip, CleanRL .cleanrl_model; needs --env)."""
    env: str | None = None
    """Environment id; default: the one recorded in the checkpoint, else the paper's gridworld."""
    entropy: float = 0.0
    """Entropy weight τ of the regularized value."""
    mix: float = 0.0
    """Uniform mixing coefficient c: π = (1 − c) softmax + c/|A|."""
    json: bool = False
    """Print one JSON object instead of a table."""


@dataclass(frozen=True)
class Schedules:
    """Compare entropy schedules: exact training of the same seeds with τ = 0 and several τ0·decay^t.

    The main job of the README: the paper's gridworld, a table of the fraction of seeds that reach
    the optimum per schedule (summary.md), and figures.
    """

    env: str = DEFAULT_ENV_ID
    """Tabular environment id."""
    seeds: int = 64
    """Seeds per schedule."""
    updates: int = 1500
    """Exact-gradient updates per run."""
    lr: float = 0.1
    """Learning rate (SGD)."""
    seed: int = 0
    """Run seed."""
    out: Path = Path("runs/schedules")
    """Output directory (one sub-directory per schedule)."""
    progress: bool = True
    """Show progress bars."""


@dataclass(frozen=True, kw_only=True)
class Interpolate(SamplingArgs, ExecutionArgs):
    """Objective along the line from --at to --to (and on through further --to values), under several variants.

    Writes interpolation.csv (variant, alpha, distance = α·‖θ1 − θ0‖, value, …), summary.json, interpolation.png.
    """

    at: str
    """Start θ0: checkpoint FILE.npz[@K], .npy, "x1,x2,...", a named point (toy points; init/solution), or an agent
    file (.zip, .cleanrl_model; needs --env)."""
    to: tyro.conf.UseAppendAction[tuple[str, ...]]
    """End θ1 (repeat --to for a piecewise path θ0 → θ1 → θ2 …); after --at AGENT, agents of the same
    architecture."""
    env: str | None = None
    """Objective id: a tabular policyscape/… id (exact), toy/…, supervised/…; default from the checkpoint."""
    alphas: str = "-0.5:1.5:81"
    """α grid, start:stop:num (inclusive) or a comma list."""
    sigma: str | None = None  # type: ignore[assignment]
    """Gaussian σ of sampled objectives, comma-separated: one curve per value (default 0.1)."""
    seed: int = 0
    """Seed of the sampled objective's episodes."""
    entropy: str = "0"
    """Entropy weights τ, comma-separated: one curve per value (tabular only)."""
    mix: str = "0"
    """Uniform mixing coefficients c, comma-separated: one curve per (τ, c) pair (tabular only)."""
    out: Path = Path("runs/interpolate")
    """Run directory (resumed if it holds the same configuration, refused if another)."""
    progress: bool = True
    """Show progress bars."""


@dataclass(frozen=True, kw_only=True)
class Plane(SamplingArgs, ExecutionArgs):
    """Objective on a 2-D plane through --at: random directions (--seed), towards two other points (--to B --to C),
    or spanned by Hessian eigenvectors at --at (--axes hessian: λ_max and λ_min; differentiable objectives only)."""

    at: str
    """Centre θ0 (same formats as evaluate --at)."""
    to: tyro.conf.UseAppendAction[tuple[str, ...]] = ()
    """Two points B, C spanning the plane (d1 = B − θ0, d2 = C − θ0); without them, random directions."""
    env: str | None = None
    """Objective id; default from the checkpoint."""
    seed: int = 0
    """Seed of the random directions."""
    normalization: str = "auto"
    """Random directions: 'unit' (unit Gaussian), 'filter' (filter-normalized, Li et al. 2018), or 'auto' (filter for
    multi-layer policies, e.g. agents, unit otherwise)."""
    axes: Literal["random", "hessian", "hessian-top", "hessian-bottom"] = "random"
    """'random': random directions (or --to B --to C); 'hessian': the unit eigenvectors of the largest (u) and smallest
    (v) Hessian eigenvalue at --at; 'hessian-top' / 'hessian-bottom': of the two largest / two smallest. Exact, toy
    and supervised objectives only (sampled ones have no Hessian); the eigenvalues label the axes."""
    dense_limit: int | None = None
    """--axes hessian*: dense eigendecomposition up to this many parameters (default 2000), Lanczos Ritz vectors
    (100 Hessian-vector products, start vector from --seed) above."""
    grid: int = 41
    """Grid points per axis."""
    span: tuple[float, float] | None = None
    """Grid range lo hi for both axes (default −1 1 for random directions and Hessian axes, −0.5 1.5 towards points)."""
    entropy: float = 0.0
    """Entropy weight τ (tabular only)."""
    mix: float = 0.0
    """Uniform mixing coefficient c (tabular only)."""
    out: Path = Path("runs/plane")
    """Run directory."""
    progress: bool = True
    """Show progress bars."""


@dataclass(frozen=True, kw_only=True)
class Perturb(SamplingArgs, ExecutionArgs):
    """Paired random perturbations: Δ± = O(θ0 ± αd) − O(θ0) for N random unit directions d.

    Writes directions.npy [N, n], perturbations.csv (direction, alpha, delta_plus, delta_minus, gradient,
    curvature, their axis projections, class), summary.json (class fractions, most-improvement curvature)
    and figures. A killed run resumes with the same command.
    """

    at: str
    """θ0 (same formats as evaluate --at)."""
    env: str | None = None
    """Objective id; default from the checkpoint."""
    alpha: tyro.conf.UseAppendAction[tuple[float, ...]] = ()
    """Step size α; repeat for several (default 0.1)."""
    directions: int | None = None
    """Number of random directions N (default 1000; with --directions-file, the file's rows)."""
    seed: int = 0
    """Seed of the directions (direction i depends only on seed and i)."""
    normalization: str = "auto"
    """'unit' (unit Gaussian, the paper), 'filter' (filter-normalized per layer and unit, Li et al. 2018), or 'auto'
    (filter for multi-layer policies, e.g. agents, using the policy's layout; unit otherwise)."""
    directions_file: Path | None = None
    """Reuse directions from a .npy file [N, n] (e.g. another run's directions.npy) instead of drawing them; rows are
    used as given (not normalized; a warning says so when they are not unit vectors)."""
    flat_tolerance: float = 1e-6
    """|Δ| below flat_tolerance·max(1, |O(θ0)|) counts as not significant (exact objectives have no noise)."""
    entropy: float = 0.0
    """Entropy weight τ (tabular only)."""
    mix: float = 0.0
    """Uniform mixing coefficient c (tabular only)."""
    chunk_size: int | None = None
    """Points evaluated per batch (and per resumable chunk); default 1024 exact, 64 sampled."""
    noise_evaluations: int = 16
    """Sampled objectives: re-evaluations of O(θ0) with fresh seeds that measure the noise."""
    out: Path = Path("runs/perturb")
    """Run directory."""
    progress: bool = True
    """Show progress bars."""


@dataclass(frozen=True)
class Hessian:
    """Hessian spectrum at --at (dense for n <= --dense-limit, else Lanczos), beside random-direction curvatures; for a
    policy with several parameter groups (weights and biases of each layer), also the spectrum of each group's
    diagonal block H_gg (per_group_spectrum.csv, per_group_eigenvalues.csv, per_group_spectrum.png)."""

    at: str
    """θ0 (same formats as evaluate --at)."""
    env: str | None = None
    """Objective id; default from the checkpoint."""
    entropy: float = 0.0
    """Entropy weight τ (tabular only)."""
    mix: float = 0.0
    """Uniform mixing coefficient c (tabular only)."""
    directions: int = 1000
    """Random unit directions for the dᵀHd distribution."""
    seed: int = 0
    """Seed of the directions and of the Lanczos start vectors."""
    dense_limit: int = 2000
    """All eigenvalues (dense) up to this many parameters; Lanczos extremes above (also per group block)."""
    out: Path = Path("runs/hessian")
    """Run directory."""


@dataclass(frozen=True, kw_only=True)
class Linesearch(SamplingArgs, ExecutionArgs):
    """Gradient line search: the objective along θ0 + η·d/‖d‖ for steps η, d the exact gradient ∇O(θ0) (exact, toy,
    supervised objectives), the REINFORCE estimate with its standard error (sampled ones), or --direction FILE.

    Reports the best step, the largest step that still improves (beyond noise), the first step that makes O worse,
    how far the first-order prediction holds, and cliffs: falls between neighbouring steps of more than
    --cliff-fraction of |O(θ0)| and beyond noise. Writes direction.npy, linesearch.csv, summary.json, linesearch.png.
    """

    at: str
    """θ0 (same formats as evaluate --at)."""
    env: str | None = None
    """Objective id; default from the checkpoint."""
    steps: str = "0:2:41"
    """Steps η: start:stop:num (linear), log:lo:hi:num (geometric) or a comma list; η = 0 is always added."""
    direction: str = "gradient"
    """'gradient' (exact, or the REINFORCE estimate of a sampled objective) or a .npy file [n] to search along."""
    normalize: bool = True
    """Search along d/‖d‖ (η is a distance); --no-normalize: along d itself (η is a learning rate)."""
    cliff_fraction: float = 0.1
    """A fall between neighbouring steps of more than this fraction of |O(θ0)| (and beyond noise) is a cliff."""
    estimate_episodes: int = 256
    """Sampled objectives: episodes of the REINFORCE estimate of the gradient."""
    seed: int = 0
    """Seed of the sampled objective's episodes (and of the REINFORCE estimate's)."""
    entropy: float = 0.0
    """Entropy weight τ (tabular only)."""
    mix: float = 0.0
    """Uniform mixing coefficient c (tabular only)."""
    out: Path = Path("runs/linesearch")
    """Run directory."""
    progress: bool = True
    """Show progress bars."""


@dataclass(frozen=True, kw_only=True)
class Trajectory(SamplingArgs, ExecutionArgs):
    """The objective on the plane of a training trajectory: the two principal directions of its checkpoints
    around the final one (Li et al. 2018), with the trajectory drawn on it.

    Writes directions.npy, plane.csv, trajectory.csv (coordinates, distance off the plane, value at each checkpoint),
    summary.json (explained variance) and trajectory_plane.png.
    """

    run: Path
    """Training run directory (policyscape train --out, exact or REINFORCE): its checkpoints/update_*.npz, in update
    order (exact runs: pass --checkpoint-every to train for more than the start and the end)."""
    seed_index: int = 0
    """Which seed's trajectory (row K of the checkpoints)."""
    env: str | None = None
    """Objective id; default from the checkpoints."""
    grid: int = 31
    """Grid points per axis."""
    margin: float = 0.2
    """Extra room around the projected trajectory, as a fraction of its extent."""
    seed: int = 0
    """Seed of the sampled objective's episodes."""
    entropy: float = 0.0
    """Entropy weight τ (tabular only)."""
    mix: float = 0.0
    """Uniform mixing coefficient c (tabular only)."""
    out: Path = Path("runs/trajectory")
    """Run directory."""
    progress: bool = True
    """Show progress bars."""


@dataclass(frozen=True, kw_only=True)
class UpdateDistribution(SamplingArgs, ExecutionArgs):
    """One update away (Rahn et al. 2023): the objective after one REINFORCE update θ_s = θ0 + lr·ĝ_s (plain SGD,
    the train command's step) over --samples independent batches of --batch-episodes episodes each.

    Reports the mean improvement O(θ_s) − O(θ0) with its 95% interval, the probability of a decrease (Wilson
    interval), the left-tail CVaR of the improvement and the count of non-finite values. Tabular ids: ĝ from
    sampled episodes, O exact (pass --episodes N to evaluate by sampling), beside the exact-gradient step
    O(θ0 + lr·∇O); Gymnasium ids: O sampled with common random numbers. Writes gradients.npy, updates.csv,
    summary.json and update_distribution.png.
    """

    at: str
    """θ0 (same formats as evaluate --at)."""
    env: str | None = None
    """Objective id; default from the checkpoint."""
    lr: float
    """Learning rate of the update (> 0)."""
    batch_episodes: int = 16
    """Episodes per update's batch (>= 2)."""
    samples: int = 100
    """Independent updates (batches) drawn (>= 2)."""
    weighting: Literal["standardized", "unbiased"] = "standardized"
    """'standardized': the trainer's returns-to-go standardized over the batch; 'unbiased': γ^t·G_t, whose mean is
    the gradient of the expected discounted return."""
    baseline: Literal["none", "mean"] = "none"
    """Standardized weighting: 'none' (the paper) or 'mean' (centred only)."""
    cvar_level: float = 0.1
    """Left-tail CVaR level: the mean improvement of the worst this fraction of updates."""
    seed: int = 0
    """Seed of the batches (sample s draws from (seed, s)) and of the sampled objective's episodes."""
    out: Path = Path("runs/update-distribution")
    """Run directory."""
    progress: bool = True
    """Show progress bars."""


@dataclass(frozen=True)
class Inspect:
    """Print what an agent file holds: algorithm, architecture, parameter count, activation, action squashing,
    normalization, and the θ it gives here. Nothing in the file is run (data, never code)."""

    agent: tyro.conf.Positional[Path]
    """Agent file: SB3/sb3-contrib .zip or CleanRL .cleanrl_model."""
    obs_norm: Path | None = None
    """Frozen observation statistics (VecNormalize .pkl, or .npz)."""
    env: str | None = None
    """Also check the agent against this Gymnasium id (observations, actions, bounds)."""


@dataclass(frozen=True)
class Envs:
    """List the tabular environment ids with their sizes and optimal values."""


@dataclass(frozen=True, kw_only=True)
class Reproduce(ExecutionArgs):
    """Reproduce the paper: run recipes (one per experiment), check every claim, write DIR/report.html.

    With no recipe named, runs the main job: toy, gridworld, supervised and a small Hopper part of
    mujoco-local-optima at the quick budget (under 10 minutes on 2 cores). Finished recipes are not
    run again; a killed run resumes. --backend/--workers/--address choose where the MuJoCo recipes'
    REINFORCE training runs and sampled landscape runs are computed (same values everywhere). DIR/claims.json holds every claim with its measurement and
    verdict (holds / partly / does not hold / not run).
    """

    recipes: Annotated[tuple[str, ...], tyro.conf.Positional, tyro.conf.arg(metavar="RECIPE")] = ()
    """Recipes: toy, gridworld, mujoco-learning, mujoco-curvature, mujoco-local-optima, supervised, or all."""
    budget: Literal["tiny", "quick", "full", "decisive"] = "quick"
    """tiny (seconds: what the tests run), quick (minutes), full (paper scale: hours; see --list), decisive
    (mujoco-learning: a pilot, then as many seeds as the pilot's spread says each claim needs)."""
    set: Annotated[tuple[str, ...], tyro.conf.UseAppendAction] = ()
    """Override a field of a recipe's configuration: RECIPE.FIELD=VALUE, lists comma-separated (e.g.
    --set mujoco-learning.envs=Hopper-v5); repeat for several. Recorded in the recipe's config.json."""
    quick: bool = False
    """Shorthand for --budget quick."""
    full: bool = False
    """Shorthand for --budget full."""
    out: Path = Path("runs/reproduce")
    """Output directory: one sub-directory per recipe, claims.json, report.html."""
    list: bool = False
    """List the recipes, their claims and expected times, and stop."""
    progress: bool = True
    """Show progress bars."""


@dataclass(frozen=True)
class Report:
    """Rebuild DIR/report.html and DIR/claims.json from the saved results of policyscape reproduce (no recomputation)."""

    out: tyro.conf.Positional[Path]
    """Directory written by policyscape reproduce."""


@dataclass(frozen=True)
class Plot:
    """Redraw the figures of a run directory from its saved results (no recomputation)."""

    run: tyro.conf.Positional[Path]
    """Run directory written by a policyscape command."""


def _print_claims(claims: list[dict]) -> None:
    width = max(len(c["recipe"]) for c in claims)
    for c in claims:
        print(f"{c['recipe']:<{width}}  {c['verdict']:<13}  {c['key']}: {c['measured']}")


def cmd_reproduce(args: Reproduce) -> int:
    from policyscape.recipes.reproduce import RECIPE_MODULES, get_recipe, reproduce

    if args.quick and args.full:
        raise InputError("--quick and --full exclude each other; expected at most one of them")
    budget = "quick" if args.quick else "full" if args.full else args.budget
    if args.list:
        for name in RECIPE_MODULES:
            recipe = get_recipe(name)
            times = ", ".join(f"{b} {t}" for b, t in recipe.expected_time.items())
            print(f"{name}: {recipe.title} ({times} on 2 cores)")
            for key, sentence in recipe.claims.items():
                print(f"    {key}: {sentence}")
        return 0
    from policyscape.recipes.reproduce import parse_overrides, resolve_names
    from policyscape.runs.executor import make_executor

    overrides = parse_overrides(args.set, resolve_names(args.recipes), budget)
    with make_executor(args.backend, args.workers, args.address) as executor:
        result = reproduce(args.recipes, budget, args.out, progress=args.progress, executor=executor,
                           configs=overrides)
    _print_claims(result["claims"])
    print(f"report: {result['report']}")
    if result["failed"]:
        print(f"policyscape: recipes failed: {', '.join(result['failed'])} (see their error.txt)", file=sys.stderr)
        return 1
    return 0


def cmd_report(args: Report) -> None:
    from policyscape.recipes.reproduce import write_report

    result = write_report(args.out)
    _print_claims(result["claims"])
    print(f"report: {result['report']}")


def _import_plots() -> None:
    """Load matplotlib and the training figures (while the training computes; see cmd_train)."""
    try:
        import policyscape.plots.training  # noqa: F401
    except ImportError:
        pass  # the same error comes when the figures are drawn, after the run is saved


def _float_list(spec: str, flag: str) -> list[float]:
    """``"0.1,1.0"`` → [0.1, 1.0]; an empty list or a non-number is an InputError (checked further by the sweep)."""
    items = [x.strip() for x in str(spec).split(",")]
    if not any(items):
        raise InputError(f"--{flag} must list at least one value, got {spec!r}")
    try:
        return [float(x) for x in items]
    except ValueError:
        raise InputError(f"--{flag} must be a number or a comma-separated list of numbers, got {spec!r}") from None


def cmd_train(args: Train) -> None:
    from policyscape.envs.registry import is_tabular, make_tabular
    from policyscape.runs.training import run_exact_training

    sigmas = [0.5] if args.sigma is None else _float_list(args.sigma, "sigma")
    lrs = _float_list(args.lr, "lr")
    if not args.exact:
        from policyscape.optimize.reinforce import ReinforceConfig
        from policyscape.runs.sweep import check_sweep_values
        from policyscape.runs.training import run_reinforce_training

        if is_tabular(args.env):
            raise InputError(f"{args.env!r} is a tabular MDP: pass --exact (REINFORCE is for Gymnasium ids such as Hopper-v5)")
        if args.sigma is not None:
            import gymnasium

            try:
                env = gymnasium.make(args.env)
                space = env.action_space
                env.close()
            except Exception:  # an unknown id: ReinforceConfig / the run says so, with suggestions
                space = None
            if isinstance(space, gymnasium.spaces.Discrete):
                raise InputError(f"--sigma applies to continuous (Box) actions; {args.env!r} has discrete actions, "
                                 "whose linear softmax policy has no σ: drop --sigma")
        check_sweep_values(sigmas, lrs)
        config = ReinforceConfig(
            env=args.env, policy_kind=args.policy_kind, sigma=sigmas[0], lr=lrs[0], optimizer=args.optimizer,
            lr_decay=args.lr_decay, batch_episodes=args.batch_episodes, updates=args.updates, seeds=args.seeds,
            seed=args.seed, discount=args.discount, baseline=args.baseline, entropy=args.entropy,
            eval_every=args.eval_every, eval_episodes=args.eval_episodes, max_steps=args.max_steps)
        if len(sigmas) > 1 or len(lrs) > 1 or args.dry_run:
            return _train_sweep(args, config, sigmas, lrs)
        summary = run_reinforce_training(config, args.out, show_progress=args.progress)
        from policyscape.plots.training import plot_reinforce_run

        plot_reinforce_run(args.out)
        print(f"mean final deterministic return {summary['mean_final_deterministic_return']:.4g} over {summary['seeds']} "
              f"seeds after {summary['env_steps']:.3g} environment steps")
        print(f"results: {args.out}")
        return
    if len(sigmas) > 1 or len(lrs) > 1 or args.dry_run:
        raise InputError("lists of --sigma/--lr and --dry-run apply to REINFORCE runs; exact training takes one --lr "
                         "(and trains its seeds vectorized)")
    if not is_tabular(args.env):
        make_tabular(args.env)  # raises the unknown-id error with suggestions
    config = ExactTrainConfig(**{f.name: getattr(args, f.name) for f in fields(ExactTrainConfig) if f.name != "lr"},
                              lr=lrs[0])
    config.validate()  # bad flags are refused before a figure process starts
    if use_cpu_cores(config.seeds) > 1:  # the seeds train on every core; matplotlib loads in a process of its own
        from policyscape.plots.process import FigureProcess

        with FigureProcess() as figures:
            summary = run_exact_training(args.env, config, args.out, show_progress=args.progress)
            figures.draw(args.out)  # from the saved run
    else:
        summary = run_exact_training(args.env, config, args.out, show_progress=args.progress,
                                     while_computing=_import_plots)  # matplotlib loads while JAX computes
        from policyscape.plots.training import plot_training_run

        plot_training_run(args.out)  # figures are drawn from the saved run
    print(
        f"{summary['frac_optimal']:.1%} of {summary['seeds']} seeds within {summary['optimal_tolerance']:g} "
        f"of the optimal return {summary['optimal_value']:.6g} (mean final return {summary['mean_final_return']:.4f})"
    )
    print(f"results: {args.out}")


def _train_sweep(args: Train, base, sigmas: list[float], lrs: list[float]) -> None:
    """REINFORCE over σ × lr (runs.sweep) on the chosen executor; or, with --dry-run, its cost."""
    from policyscape.runs.executor import BACKENDS, STARTUP_SECONDS, check_workers, default_workers, make_executor
    from policyscape.runs.sweep import estimate_sweep, run_sweep, sweep_jobs

    jobs = sweep_jobs(base, sigmas, lrs, args.out)
    if args.workers is not None:
        check_workers(args.workers)
    if args.backend not in BACKENDS or (args.address is not None and args.backend != "ray"):
        make_executor(args.backend, 1, args.address)  # raises the backend's InputError
    workers = min(len(jobs), args.workers if args.workers is not None else default_workers())  # one run per worker at most
    if args.dry_run:
        e = estimate_sweep(jobs, workers, args.backend)
        print(f"dry run: {e['runs']} run(s) of {base.seeds} seed(s) × {base.updates} updates; ≈ {e['env_steps']:.3g} "
              f"environment steps at the initial θ ({e['steps_per_episode']:.0f} per episode; at most "
              f"{e['env_steps_at_time_limit']:.3g} with every episode at the time limit), "
              f"{e['seconds_per_step'] * 1e6:.1f} µs per step from a probe on this machine. Nothing was written.")
        for w, t in e["wall_seconds"].items():
            print(f"  {w:>4} {args.backend} worker(s): ≈ {t:.1f} s")
        print(f"  (model: ceil(runs / workers) × {e['seconds_per_run']:.3g} s per run + start-up "
              f"{STARTUP_SECONDS['local']:g} s local, {STARTUP_SECONDS['ray']:g} s ray, 0 for 1 local worker)")
        return
    def done(job, values):
        print(f"  σ = {job.config.sigma:g}, lr = {job.config.lr:.4g}: mean final deterministic return "
              f"{float(values['final_deterministic_return'].mean()):.4g}  ({job.path})", flush=True)

    print(f"sweep: {len(jobs)} REINFORCE runs ({len(sigmas)} σ × {len(lrs)} learning rates) on {workers} "
          f"{args.backend} worker(s)", flush=True)
    with make_executor(args.backend, workers, args.address) as executor:
        summary = run_sweep(base, sigmas, lrs, args.out, executor, on_done=done)
    from policyscape.plots.training import plot_sweep

    plot_sweep(args.out)
    print(Path(args.out, "scores.csv").read_text().rstrip())
    for b in summary["best_lr"]:
        print(f"best learning rate for σ = {b['sigma']:g}: {b['best_lr']:.4g} (mean auc {b['mean_auc']:.4g})")
    print(f"results: {args.out} (sweep.json, scores.csv, learning_curves.png, one run directory per (σ, lr))")


def cmd_evaluate(args: Evaluate) -> None:
    from policyscape.api import evaluate

    from policyscape.api import resolve_params

    agent = _agent_ref(args)
    env_id = args.env if agent is not None else resolve_params(args.at, args.env)[1]
    sampling = _sampling(args, env_id, agent=agent)
    if args.sigma is not None and sampling is not None and agent is None:
        from policyscape.api import objective_for

        _check_sigma_applies(objective_for(env_id, args.entropy, args.mix, sampling), True, env_id)
    if args.dry_run:
        from policyscape.api import objective_for

        objective = objective_for(env_id, args.entropy, args.mix, sampling, agent)
        theta = objective.policy.theta0 if agent is not None else resolve_params(args.at, args.env)[0]
        _dry_run(objective, theta, 1)
        return
    result = evaluate(args.at, env=env_id, entropy=args.entropy, mix=args.mix, sampling=sampling,
                      obs_norm=args.obs_norm)
    import math

    if not math.isfinite(result["value"]):
        raise InputError(f"the objective of {env_id} is not finite at --at {args.at[:80]!r} (value {result['value']!r}); "
                         "expected a parameter vector where it is finite (is θ too large, or the simulation unstable?)")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")


def cmd_schedules(args: Schedules) -> None:
    from policyscape.recipes.entropy_schedules import SchedulesConfig, run_schedules

    config = SchedulesConfig(env=args.env, seeds=args.seeds, updates=args.updates, lr=args.lr, seed=args.seed)
    run_schedules(config, args.out, show_progress=args.progress)
    print((args.out / "summary.md").read_text())
    print(f"results and figures: {args.out}")


def _point(at: str, env: str | None):
    from policyscape.api import resolve_params
    from policyscape.runs.landscape import Point

    theta, env_id = resolve_params(at, env)
    return Point(theta, at), env_id


def _agent_ref(args):
    """The agent of ``--at`` (an ``AgentRef``, with ``--obs-norm``), or None when ``--at`` is a θ."""
    from policyscape.objectives.registry import AgentRef, is_agent_file

    if is_agent_file(args.at):
        if args.env is None:
            raise InputError(f"{args.at}: an agent file does not record its environment; pass --env ID (e.g. "
                             "--env Hopper-v5)")
        return AgentRef.of(args.at, args.obs_norm)
    if args.obs_norm is not None:
        raise InputError(f"--obs-norm applies to agent files (--at AGENT.zip or .cleanrl_model), got --at {args.at!r}")
    return None


def _agent_point(path: str, objective, obs_norm):
    """A further agent (``--to B.zip``) as a point of the family of ``objective``'s agent."""
    from policyscape.agents import load_agent
    from policyscape.policies.agent import AgentPolicy
    from policyscape.runs.landscape import Point

    if not isinstance(objective.policy, AgentPolicy):
        raise InputError(f"--to {path}: an agent file as an end point needs an agent at --at too")
    return Point(objective.policy.theta_of(load_agent(path, obs_norm=obs_norm)), path)


def _end_point(to: str, env_id: str, objective, args):
    from policyscape.objectives.registry import is_agent_file

    return _agent_point(to, objective, args.obs_norm) if is_agent_file(to) else _point(to, env_id)[0]


def _start(args, entropy: float, mix: float, seed: int):
    """(θ0 as a Point, env id, objective, variant) of ``--at`` (a θ or an agent trained elsewhere)."""
    from policyscape.runs.landscape import Point

    agent = _agent_ref(args)
    if agent is None:
        at, env_id = _point(args.at, args.env)
        objective, variant = _variant(args, env_id, entropy, mix, seed)
        return at, env_id, objective, variant
    objective, variant = _variant(args, args.env, entropy, mix, seed, agent)
    return Point(objective.policy.theta0, args.at), args.env, objective, variant


def _normalization(requested: str, objective) -> str:
    from policyscape.runs.landscape import default_normalization

    if requested not in ("auto", "unit", "filter"):
        raise InputError(f"--normalization must be 'auto', 'unit' or 'filter', got {requested!r}")
    return default_normalization(objective) if requested == "auto" else requested


def _sampling(args: SamplingArgs, env_id: str, seed: int = 0, sigma: float | None = None, agent=None):
    """Sampling options for ``env_id`` from the flags, or None for an exact/toy/supervised objective.

    With an ``agent``, σ defaults to None: the agent's own action distribution."""
    from policyscape.objectives.registry import Sampling, is_sampled_id

    if agent is not None:
        sigma = args.sigma if sigma is None else sigma
        return Sampling(sigma=None if sigma is None else float(sigma),
                        episodes=16 if args.episodes is None else args.episodes, discount=args.discount,
                        crn=args.crn, seed=seed, max_steps=args.max_steps)
    if not is_sampled_id(env_id) and args.episodes is None:
        flags = {"sigma": args.sigma, "discount": args.discount, "max_steps": args.max_steps}
        given = [f for f, value in flags.items() if value is not None]
        if given:
            raise InputError(f"--{given[0].replace('_', '-')} applies to sampled objectives; {env_id!r} is evaluated "
                             "exactly (pass --episodes N to sample it)")
        return None
    sigma = args.sigma if sigma is None else sigma
    return Sampling(sigma=0.1 if sigma is None else float(sigma), episodes=16 if args.episodes is None else args.episodes,
                    discount=args.discount, crn=args.crn, seed=seed, max_steps=args.max_steps)


def _check_sigma_applies(objective, given: bool, env_id: str) -> None:
    """--sigma sets a Gaussian's σ: refused on discrete actions (a softmax policy, which has none)."""
    if not given:
        return
    import gymnasium

    from policyscape.objectives.registry import TabularLayout
    from policyscape.objectives.sampled import SampledObjective

    discrete = isinstance(objective, TabularLayout) or (
        isinstance(objective, SampledObjective) and isinstance(objective.action_space, gymnasium.spaces.Discrete))
    if discrete:
        raise InputError(f"--sigma applies to continuous (Box) actions; {env_id!r} has discrete actions, whose "
                         "linear softmax policy has no σ: drop --sigma")


def _variant(args: SamplingArgs, env_id: str, entropy: float, mix: float, seed: int = 0, agent=None):
    from dataclasses import asdict

    from policyscape.api import objective_for

    sampling = _sampling(args, env_id, seed, agent=agent)
    variant = {"entropy": entropy, "mix": mix, **({"sampling": asdict(sampling)} if sampling else {})}
    if agent is not None:  # what was loaded, and whether observations are normalized
        variant["agent"] = agent.describe()
    objective = objective_for(env_id, entropy, mix, sampling, agent)
    _check_sigma_applies(objective, args.sigma is not None, env_id)
    return objective, variant


#: ``--dry-run`` warns when the work would take longer than this on one worker.
DRY_RUN_WARN_SECONDS = 86400.0


def _dry_run(objective, theta0, num_points: int, split: tuple[int, int] | None = None,
             execution: ExecutionArgs | None = None, out: Path | None = None, extra_bytes: int = 0) -> None:
    """Print the cost estimate; with ``split = (chunks, chunk size)``, also how ``execution`` would share the chunks.

    Warns (on stderr) when the work would take more than a day on one worker, or its files (points, tables and
    ``extra_bytes``, ≈ 2 × 24 bytes per value) more than the free space where ``out`` would be."""
    import shutil

    from policyscape.runs.landscape import estimate_cost

    c = estimate_cost(objective, theta0, num_points)
    disk = 2 * 24 * num_points * (len(objective.fields) + 2) + extra_bytes
    print(f"dry run: {c['points']} points; {c['env_steps']:.3g} environment steps "
          f"(≈{c['env_steps_per_point']:.0f} per point, measured at θ0); expected time ≈ {c['seconds']:.1f} s "
          f"({c['seconds_per_point'] * 1e3:.2f} ms per point, from a probe on this machine); files ≈ "
          f"{disk / 1024**2:.3g} MB. Nothing was written.")
    if c["seconds"] > DRY_RUN_WARN_SECONDS:
        print(f"warning: this run would take ≈ {c['seconds'] / 86400:.1f} days on one worker (more than a day); "
              "use more --workers, a cluster (--backend ray), or fewer points", file=sys.stderr)
    if out is not None:
        existing = next(p for p in [Path(out), *Path(out).absolute().parents] if p.exists())
        free = shutil.disk_usage(existing).free
        if disk > free:
            print(f"warning: this run would write ≈ {disk / 1024**2:.3g} MB but {str(existing)!r} has only "
                  f"{free / 1024**2:.3g} MB free", file=sys.stderr)
    if split is not None and execution is not None:
        from policyscape.runs.executor import STARTUP_SECONDS, default_workers, estimate_wall_seconds, worker_counts

        chunks, chunk_size = split
        workers = _workers(execution, objective) or default_workers()
        print(f"split: {chunks} chunks of {chunk_size} points; {-(-chunks // workers)} chunks per worker on "
              f"{workers} {execution.backend} worker(s)")
        per_chunk = c["seconds_per_point"] * chunk_size
        for w in worker_counts(workers):
            t = estimate_wall_seconds(chunks, per_chunk, w, execution.backend)
            print(f"  {w:>4} worker(s): ≈ {t:.1f} s")
        print(f"  (model: ceil(chunks / workers) × {per_chunk:.3g} s per chunk + start-up "
              f"{STARTUP_SECONDS['local']:g} s local, {STARTUP_SECONDS['ray']:g} s ray, 0 for 1 local worker)")


def _workers(args: ExecutionArgs, objective) -> int | None:
    """``--workers``, else: every core (None) for sampled objectives; 1 (in-process) for exact ones, which
    are vectorized over θ already and would only pay the pool's start-up."""
    if args.workers is not None or args.backend != "local":
        return args.workers
    from policyscape.objectives.base import StochasticObjective

    return None if isinstance(objective, StochasticObjective) else 1


def _executor(args: ExecutionArgs, objective):
    from policyscape.runs.executor import make_executor

    return make_executor(args.backend, _workers(args, objective), args.address)


def cmd_interpolate(args: Interpolate) -> None:
    from policyscape.api import objective_for
    from policyscape.landscape.interpolate import parse_alphas, parse_float_list
    from policyscape.plots.landscape import plot_interpolation
    from policyscape.runs.landscape import run_interpolate

    if not args.to:
        raise InputError("interpolate needs at least one --to")
    agent = _agent_ref(args)
    start, env_id = (None, args.env) if agent is not None else _point(args.at, args.env)
    alphas = parse_alphas(args.alphas)
    taus = parse_float_list(args.entropy, "entropy (τ)")
    mixes = parse_float_list(args.mix, "mix (c)", hi=1.0)
    from policyscape.objectives.registry import is_sampled_id

    if agent is not None:
        from policyscape.runs.landscape import Point

        sigmas = parse_float_list(args.sigma, "sigma (σ)") if args.sigma is not None else (None,)
        objectives = {"agent's own σ" if sg is None else f"σ={sg:g}":
                      objective_for(env_id, taus[0], mixes[0], _sampling(args, env_id, args.seed, sg, agent), agent)
                      for sg in sigmas}
        first = next(iter(objectives.values()))
        start = Point(first.policy.theta0, args.at)
        ends = [_end_point(t, env_id, first, args) for t in args.to]
    elif not (is_sampled_id(env_id) or args.episodes is not None):
        if args.sigma is not None:
            raise InputError(f"--sigma applies to sampled objectives; {env_id!r} is evaluated exactly")
        objectives = {f"τ={t:g}, c={c:g}" if len(mixes) > 1 or c else f"τ={t:g}": objective_for(env_id, t, c)
                      for t in taus for c in mixes}
        ends = [_point(t, env_id)[0] for t in args.to]
    else:
        sigmas = parse_float_list(args.sigma, "sigma (σ)") if args.sigma is not None else (0.1,)
        objectives = {f"σ={sg:g}": objective_for(env_id, taus[0], mixes[0], _sampling(args, env_id, args.seed, sg))
                      for sg in sigmas}
        _check_sigma_applies(next(iter(objectives.values())), args.sigma is not None, env_id)
        ends = [_point(t, env_id)[0] for t in args.to]
    executor = _executor(args, next(iter(objectives.values())))
    if args.dry_run:
        chunk_size = 1024  # run_interpolate's: one store per variant
        _dry_run(next(iter(objectives.values())), start.theta, len(objectives) * alphas.size,
                 (len(objectives) * -(-alphas.size // chunk_size), min(chunk_size, alphas.size)), args, args.out)
        return
    with executor:
        summary = run_interpolate(objectives, [start, *ends], alphas, args.out, env_id, show_progress=args.progress,
                                  executor=executor)
    plot_interpolation(args.out)
    for label, v in summary["variants"].items():
        print(f"{label:>20}: monotone on [0, 1]: {v['monotone_between_first_anchors']}, min on [0, 1]: "
              f"{v['min_between_first_anchors']:.6g}, at anchors: {', '.join(f'{x:.6g}' for x in v['value_at_anchors'])}")
    print(f"results: {args.out}")


def cmd_plane(args: Plane) -> None:
    from policyscape.plots.landscape import plot_plane
    from policyscape.runs.landscape import run_plane

    center, env_id, objective, variant = _start(args, args.entropy, args.mix, args.seed)
    towards = [_end_point(t, env_id, objective, args) for t in args.to]
    normalization = _normalization(args.normalization, objective)
    _check_plane_axes(args, objective)
    executor = _executor(args, objective)
    if args.dry_run:
        chunk_size = 1024  # run_plane's
        _dry_run(objective, center.theta, args.grid**2, (-(-args.grid**2 // chunk_size), min(chunk_size, args.grid**2)),
                 args, args.out)
        return
    with executor:
        summary = run_plane(objective, center, args.out, env_id, variant, towards=towards, grid=args.grid,
                            span=args.span, seed=args.seed, normalization=normalization,
                            show_progress=args.progress, executor=executor, axes=args.axes,
                            dense_limit=2000 if args.dense_limit is None else args.dense_limit)
    plot_plane(args.out)
    if args.axes != "random":
        a = summary["axes"]
        print(f"axes ({a['method']}): u = {a['which'][0]} eigenvector, λ = {a['eigenvalues'][0]:.6g}; v = "
              f"{a['which'][1]} eigenvector, λ = {a['eigenvalues'][1]:.6g} (residuals ‖Hx − λx‖ "
              f"{a['residuals'][0]:.2g}, {a['residuals'][1]:.2g})")
    print(f"value at θ0 {summary['value_at_theta0']:.6g}; max {summary['max']:.6g} at (u, v) = {summary['argmax_uv']}")
    print(f"results: {args.out}")


def _check_plane_axes(args: Plane, objective) -> None:
    """Flags that contradict ``--axes`` are refused (before anything is written, dry runs included)."""
    if args.axes == "random":
        if args.dense_limit is not None:
            raise InputError(f"--dense-limit applies to --axes hessian, hessian-top or hessian-bottom, not to random "
                             f"directions (got --dense-limit {args.dense_limit})")
        return
    from policyscape.runs.landscape import check_hessian_axes

    if args.normalization != "auto":
        raise InputError(f"--normalization {args.normalization} applies to random directions; --axes {args.axes} uses "
                         "unit Hessian eigenvectors: drop --normalization")
    if args.dense_limit is not None and args.dense_limit < 0:
        raise InputError(f"--dense-limit must be >= 0 (0: always Lanczos), got {args.dense_limit}")
    check_hessian_axes(objective, args.axes, bool(args.to), 2000 if args.dense_limit is None else args.dense_limit)


def cmd_perturb(args: Perturb) -> None:
    import numpy as np

    from policyscape.landscape.perturb import PerturbConfig
    from policyscape.objectives.base import StochasticObjective
    from policyscape.plots.landscape import plot_perturb
    from policyscape.runs.landscape import run_perturb

    at, env_id, objective, variant = _start(args, args.entropy, args.mix, args.seed)
    directions = None
    if args.chunk_size is not None and args.chunk_size < 1:
        raise InputError(f"--chunk-size must be >= 1, got {args.chunk_size}")
    if args.directions is not None and args.directions < 1:
        raise InputError(f"number of directions must be >= 1 (--directions), got {args.directions}")
    if args.directions_file is not None:
        from policyscape.runs.checkpoint import read_npy

        directions = read_npy(args.directions_file, "direction file")
        if directions.ndim == 2 and args.directions is not None and args.directions != directions.shape[0]:
            raise InputError(f"--directions {args.directions} contradicts --directions-file "
                             f"{str(args.directions_file)!r}, which holds {directions.shape[0]} directions; "
                             "drop --directions (every row of the file is used)")
        if directions.ndim == 2 and directions.shape[0] and np.all(np.isfinite(directions)):
            norms = np.linalg.norm(directions, axis=1)
            if not np.allclose(norms, 1.0, rtol=1e-6):
                print(f"warning: the rows of {str(args.directions_file)!r} are not unit vectors (norms "
                      f"{norms.min():.4g} … {norms.max():.4g}); they are used as given, so α scales each row's own "
                      "length (as for filter-normalized directions)", file=sys.stderr)
    stochastic = isinstance(objective, StochasticObjective)
    chunk_size = args.chunk_size or (64 if stochastic else 1024)
    n_directions = directions.shape[0] if directions is not None and directions.ndim == 2 else (args.directions or 1000)
    config = PerturbConfig(alphas=args.alpha or (0.1,), directions=n_directions, seed=args.seed,
                           normalization=_normalization(args.normalization, objective),
                           flat_tolerance=args.flat_tolerance,
                           chunk_size=chunk_size, noise_evaluations=args.noise_evaluations)
    executor = _executor(args, objective)
    if args.dry_run:
        from policyscape.landscape.perturb import num_points

        config.validate()
        noise = args.noise_evaluations if stochastic else 0
        points = num_points(config.directions, len(config.alphas))
        _dry_run(objective, at.theta, points + noise, (-(-points // chunk_size), min(chunk_size, points)), args,
                 args.out, extra_bytes=8 * config.directions * objective.num_params)
        return
    with executor:
        summary = run_perturb(objective, at, config, args.out, env_id, variant, directions=directions,
                              show_progress=args.progress, executor=executor)
    plot_perturb(args.out)
    if summary.get("nonfinite_episodes", {}).get("total"):
        nf = summary["nonfinite_episodes"]
        print(f"warning: {nf['total']} episodes at {nf['points_affected']} points returned NaN/inf and were left out "
              "(per point: points/perturb.csv, column nonfinite_episodes)")
    if summary.get("nonfinite_directions"):
        print(f"warning: {summary['nonfinite_directions']} (direction, α) pairs have a non-finite Δ+ or Δ− (NaN/inf); "
              "they are labelled 'non-finite' in perturbations.csv and left out of every fraction and mean")
    if summary["noise"].get("nonfinite"):
        print(f"warning: {summary['noise']['nonfinite']} of the noise re-evaluations of O(θ0) were not finite and "
              "were left out of the noise std")
    if summary["noise"]["evaluations"]:
        print(f"noise std of O(θ0): {summary['noise']['std']:.4g} ({summary['noise']['evaluations']} re-evaluations)")
    for p in summary["per_alpha"]:
        fractions = ", ".join(f"{k} {v:.1%}" for k, v in p["fractions"].items())
        classified = (f" (of {p['classified_directions']} finite directions; {p['nonfinite_directions']} non-finite)"
                      if p.get("nonfinite_directions") else "")
        print(f"α = {p['alpha']:g}: {fractions}{classified}; most-improvement curvature "
              f"{p['most_improvement_curvature']:.4g}")
    print(f"results: {args.out}")


def cmd_hessian(args: Hessian) -> None:
    from policyscape.plots.landscape import plot_hessian
    from policyscape.runs.landscape import run_hessian

    at, env_id = _point(args.at, args.env)
    from policyscape.api import objective_for

    if args.directions < 1:
        raise InputError(f"number of directions must be >= 1 (--directions), got {args.directions}")
    if args.dense_limit < 0:
        raise InputError(f"--dense-limit must be >= 0 (0: always Lanczos), got {args.dense_limit}")
    objective, variant = objective_for(env_id, args.entropy, args.mix), {"entropy": args.entropy, "mix": args.mix}
    s = run_hessian(objective, at, args.out, env_id, variant, directions=args.directions, seed=args.seed,
                    dense_limit=args.dense_limit)
    plot_hessian(args.out)
    print(f"n = {s['n']} ({s['method']}): λ_min {s['smallest'][0]:.6g}, λ_max {s['largest'][0]:.6g}, "
          f"tr(H)/n {s['random_curvature']['mean']:.6g}; random dᵀHd mean {s['random_direction_curvature']['mean']:.6g} "
          f"± {s['random_direction_curvature']['std']:.3g}")
    if s.get("per_group"):
        print("per parameter group (diagonal block H_gg):")
        for g in s["per_group"]["groups"]:
            mean = "" if g["mean_curvature"] is None else f", tr/n_g {g['mean_curvature']:.6g}"
            print(f"  {g['group']:>16} ({g['size']:>5}, {g['method']}): λ_min {g['smallest'][0]:.6g}, "
                  f"λ_max {g['largest'][0]:.6g}{mean}")
        print(f"  largest block eigenvalue in {s['per_group']['largest_in']}, smallest in "
              f"{s['per_group']['smallest_in']}")
    print(f"results: {args.out}")


def _step(eta) -> str:
    return "none" if eta is None else f"{eta:.4g}"


def cmd_linesearch(args: Linesearch) -> None:
    import numpy as np

    from policyscape.landscape.linesearch import parse_steps
    from policyscape.plots.landscape import plot_linesearch
    from policyscape.runs.beyond import run_linesearch

    steps = parse_steps(args.steps)
    if not 0 < args.cliff_fraction < 1:
        raise InputError(f"--cliff-fraction must be within (0, 1), got {args.cliff_fraction}")
    at, env_id, objective, variant = _start(args, args.entropy, args.mix, args.seed)
    direction = None
    if args.direction != "gradient":
        try:
            direction = np.load(args.direction, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise InputError(f"cannot read direction file {str(args.direction)!r}: {e}") from None
    executor = _executor(args, objective)
    if args.dry_run:
        _dry_run(objective, at.theta, steps.size + 1, (1, steps.size + 1), args)
        return
    with executor:
        s = run_linesearch(objective, at, args.out, env_id, variant, steps, direction=direction,
                           normalize=args.normalize, cliff_fraction=args.cliff_fraction,
                           estimate_episodes=args.estimate_episodes, estimate_seed=args.seed,
                           show_progress=args.progress, executor=executor)
    plot_linesearch(args.out)
    print(f"O(θ0) {s['value_at_theta0']:.6g}; best η {s['best_step']:.4g}: {s['best_value']:.6g} "
          f"(improvement {s['best_improvement']:.4g}); largest improving η {_step(s['largest_improving_step'])}; "
          + (f"worse from η {s['overshoot_step']:.4g}" if s["overshoot_step"] is not None
             else "no step of the grid is worse than θ0"))
    if "reinforce_estimate" in s:
        e = s["reinforce_estimate"]
        print(f"REINFORCE estimate from {e['episodes']} episodes: ‖ĝ‖ {e['norm']:.4g}, ‖standard error‖ {e['stderr_norm']:.4g}")
    if s.get("first_order"):
        fo = s["first_order"]
        print(f"first order within {fo['tolerance']:.0%} up to η {fo['valid_up_to_step']:.4g}"
              if fo["valid_up_to_step"] is not None else
              f"first order not within {fo['tolerance']:.0%} at any step η > 0 of this grid (try smaller steps)")
    for c in s["cliffs"]:
        print(f"cliff between η {c['step_before']:.4g} and {c['step_after']:.4g}: falls {c['drop']:.4g} "
              f"(noise {c['noise']:.2g})")
    print(f"results: {args.out}")


def cmd_trajectory(args: Trajectory) -> None:
    from policyscape.plots.landscape import plot_trajectory_plane
    from policyscape.runs.beyond import run_trajectory_plane, trajectory_from_run

    trajectory = trajectory_from_run(args.run, args.seed_index)
    env_id = args.env
    if env_id is None:
        from policyscape.api import resolve_params

        env_id = resolve_params(f"{args.run}/checkpoints/{trajectory[0].label}")[1]
    objective, variant = _variant(args, env_id, args.entropy, args.mix, args.seed)
    executor = _executor(args, objective)
    if args.dry_run:
        points = args.grid**2 + len(trajectory)
        _dry_run(objective, trajectory[-1].theta, points, (-(-points // 1024), min(1024, points)), args)
        return
    with executor:
        s = run_trajectory_plane(objective, trajectory, args.out, env_id, variant, grid=args.grid, margin=args.margin,
                                 show_progress=args.progress, executor=executor)
    plot_trajectory_plane(args.out)
    ev = s["explained_variance"]
    print(f"{len(trajectory)} checkpoints; the plane holds {ev[0]:.1%} + {ev[1]:.1%} of their variance (max "
          f"{s['max_relative_residual']:.1%} off it); value {s['value_start']:.6g} → {s['value_end']:.6g}, "
          f"plane max {s['plane_max']:.6g} at (u, v) = {s['plane_argmax_uv']}")
    print(f"results: {args.out}")


def cmd_update_distribution(args: UpdateDistribution) -> None:
    from policyscape.landscape.update import check_update
    from policyscape.objectives.base import StochasticObjective
    from policyscape.objectives.registry import Sampling, make_objective
    from policyscape.plots.landscape import plot_update_distribution
    from policyscape.runs.beyond import run_update_distribution

    check_update(args.lr, args.batch_episodes, args.samples)
    if not 0 < args.cvar_level < 1:
        raise InputError(f"--cvar-level must be within (0, 1), got {args.cvar_level}")
    at, env_id, objective, variant = _start(args, 0.0, 0.0, args.seed)
    estimator = objective
    if not isinstance(objective, StochasticObjective):
        from policyscape.envs.registry import TABULAR_ENVS

        if env_id not in TABULAR_ENVS:
            raise InputError(f"{env_id!r} has no rollouts to draw a REINFORCE update from; update-distribution takes a "
                             "Gymnasium id or a tabular id")
        estimator = make_objective(env_id, sampling=Sampling(episodes=1, seed=args.seed))
        variant = {**variant, "estimator": "sampled episodes of the tabular MDP (linear softmax)"}
    executor = _executor(args, objective)
    if args.dry_run:
        _dry_run(objective, at.theta, args.samples + 2, (1, args.samples + 2), args)
        print(f"(plus {args.samples} × {args.batch_episodes} training episodes for the gradient estimates)")
        return
    with executor:
        s = run_update_distribution(objective, at, args.out, env_id, variant, args.lr, args.batch_episodes,
                                    args.samples, estimator=estimator, weighting=args.weighting,
                                    baseline=args.baseline, seed=args.seed, cvar_level=args.cvar_level,
                                    show_progress=args.progress, executor=executor)
    plot_update_distribution(args.out)
    print(update_distribution_text(s))
    print(f"results: {args.out}")


def update_distribution_text(s: dict) -> str:
    """The summary of an update-distribution run in a few lines."""
    lines = [f"O(θ0) {s['value_at_theta0']:.6g}; {s['samples']} updates of lr {s['lr']:g} from {s['batch_episodes']} "
             f"episodes each ({s['weighting']}); {s['nonfinite']} non-finite"]
    if s["mean_improvement"] is not None:
        m, p = s["mean_improvement"], s["probability_of_decrease"]
        lines.append(f"mean improvement {m['estimate']:.4g} [{m['lo']:.4g}, {m['hi']:.4g}]; P(decrease) "
                     f"{p['estimate']:.3f} [{p['lo']:.3f}, {p['hi']:.3f}]; CVaR{100 * s['cvar_level']:g}% of the "
                     f"improvement {s['cvar_improvement']:.4g}")
    if "exact_gradient" in s:
        e = s["exact_gradient"]
        lines.append(f"exact-gradient step O(θ0 + lr·∇O) − O(θ0) = {e['step_improvement']:.4g} (first order "
                     f"lr‖∇O‖² = {e['first_order_of_exact_step']:.4g})")
    return "\n".join(lines)


def cmd_inspect(args: Inspect) -> None:
    from policyscape.agents import describe, load_agent
    from policyscape.policies.agent import AgentPolicy

    spec = load_agent(args.agent, obs_norm=args.obs_norm)
    print(describe(spec))
    if spec.log_std == "gsde":
        print("policyscape   its own distribution (gSDE) is refused here; with --sigma X: " +
              AgentPolicy(spec, "fixed").layout.describe())
    else:
        own = AgentPolicy(spec, "own")
        print(f"policyscape   θ (its own distribution) = {own.layout.describe()}")
        if own.head != "none":
            print(f"              θ (--sigma X, its mean action) = {AgentPolicy(spec, 'fixed').layout.describe()}")
    print(f"observations  {'normalized (frozen statistics)' if spec.obs_norm is not None else 'not normalized'}")
    if args.env is not None:
        from policyscape.envs.rollout import Rollouts

        engine = Rollouts(args.env)
        AgentPolicy(spec, "fixed").check_spaces(engine.observation_space, engine.action_space, args.env)
        print(f"environment   {args.env}: observations, actions and bounds match")


def cmd_envs(args: Envs) -> None:
    from policyscape.envs.registry import TABULAR_ENVS, make_tabular
    from policyscape.envs.tabular import optimal_value

    for env_id in TABULAR_ENVS:
        mdp = make_tabular(env_id)
        print(f"{env_id:40s} S={mdp.num_states:4d} A={mdp.num_actions} γ={mdp.gamma:g} optimal={optimal_value(mdp).value:.6g}")


def cmd_plot(args: Plot) -> None:
    from policyscape.plots.training import plot_reinforce_run, plot_training_run
    from policyscape.runs.rundir import RunDir

    if not Path(args.run).is_dir():
        raise InputError(f"{str(args.run)!r} is not a directory; expected a run directory written by a policyscape command")
    config = RunDir(args.run).read_config()
    if config is None:
        raise InputError(f"{str(args.run)!r} is not a run directory (no config.json)")
    RunDir(args.run).lock()  # a run still in progress (another process holds it) is refused, not half-read
    RunDir(args.run).verify()  # files changed since the run wrote them are refused (manifest.json)
    _verify_points(Path(args.run))
    if config.get("command") == "train" and not config.get("exact", True):
        paths = plot_reinforce_run(args.run)
    elif config.get("command") == "train":
        paths = plot_training_run(args.run)
    elif config.get("command") == "train-sweep":
        from policyscape.plots.training import plot_sweep

        paths = plot_sweep(args.run)
    elif config.get("command") in ("perturb", "interpolate", "plane", "hessian", "linesearch", "trajectory",
                                   "update-distribution"):
        from policyscape.plots.landscape import PLOTTERS

        paths = PLOTTERS[config["command"]](args.run)
    elif config.get("command") == "schedules":
        from policyscape.recipes.entropy_schedules import plot_schedules

        paths = [plot_schedules(RunDir(args.run))]
        for name in config["schedules"]:
            paths += plot_training_run(Path(args.run) / name)
    else:
        raise InputError(f"don't know how to plot a run of command {config.get('command')!r}")
    for p in paths:
        print(p)


def _verify_points(run: Path) -> None:
    """Refuse a run whose point chunks were changed since they were computed (their checksums in manifest.json)."""
    from policyscape.runs.rundir import RunDir
    from policyscape.runs.store import verify_points_file

    for name in RunDir(run).points_files_with_sums():
        if (run / name).exists():
            verify_points_file(RunDir(run), name)


COMMANDS = {
    "train": (Train, cmd_train),
    "evaluate": (Evaluate, cmd_evaluate),
    "interpolate": (Interpolate, cmd_interpolate),
    "plane": (Plane, cmd_plane),
    "perturb": (Perturb, cmd_perturb),
    "hessian": (Hessian, cmd_hessian),
    "linesearch": (Linesearch, cmd_linesearch),
    "trajectory": (Trajectory, cmd_trajectory),
    "update-distribution": (UpdateDistribution, cmd_update_distribution),
    "schedules": (Schedules, cmd_schedules),
    "envs": (Envs, cmd_envs),
    "inspect": (Inspect, cmd_inspect),
    "plot": (Plot, cmd_plot),
    "reproduce": (Reproduce, cmd_reproduce),
    "report": (Report, cmd_report),
}


#: Environment variable naming the directory of JAX's persistent compilation cache for the command
#: line (default ``$XDG_CACHE_HOME/policyscape/jax``, i.e. ``~/.cache/policyscape/jax``); ``off`` disables it.
CACHE_ENV = "POLICYSCAPE_JAX_CACHE"
#: Only computations that take at least this long to compile are written to the cache (JAX's default is 1 s,
#: more than the train command's compiled loop takes); tiny ones compile faster than a file is read.
CACHE_MIN_COMPILE_SECONDS = 0.1


def compilation_cache_dir(environ: dict[str, str] | None = None) -> Path | None:
    """Where the command line keeps JAX's compilation cache, from :data:`CACHE_ENV`; None when disabled."""
    environ = os.environ if environ is None else environ
    value = environ.get(CACHE_ENV)
    if value is None:
        base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return Path(base) / "policyscape" / "jax"
    if value.strip().lower() in ("", "0", "off", "false", "no", "none"):
        return None
    return Path(value).expanduser()


def use_compilation_cache() -> Path | None:
    """Turn on JAX's persistent compilation cache for this process → its directory (None: off or unusable).

    For the command-line process only (``main()`` calls it when it parses ``sys.argv``): it sets
    JAX's process-wide configuration, through the ``JAX_*`` environment variables when JAX is not
    imported yet (so that a command that never needs JAX does not import it for this, and worker
    processes started by the command share the cache), else through ``jax.config``. A setting the
    user made in their own ``JAX_COMPILATION_CACHE_DIR`` wins. A directory that cannot be created
    or written leaves the cache off (compiling is only slower, never wrong).
    """
    jax_imported = "jax" in sys.modules
    if jax_imported:
        import jax

        users = jax.config.jax_compilation_cache_dir
    else:
        users = os.environ.get("JAX_COMPILATION_CACHE_DIR") or None
    if users is not None:
        return Path(users)
    path = compilation_cache_dir()
    if path is None:
        return None
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(path, os.W_OK | os.X_OK):
        return None
    settings = {"jax_compilation_cache_dir": str(path),
                "jax_persistent_cache_min_compile_time_secs": CACHE_MIN_COMPILE_SECONDS}
    for name, value in settings.items():
        if jax_imported:
            jax.config.update(name, value)
        else:
            os.environ[name.upper()] = str(value)
    return path


def accept_interrupts() -> None:
    """Unblock SIGINT in this thread (the command-line process's main thread, before it starts any other).

    A process starts with its parent's signal mask: a parent that had SIGINT blocked when it started the
    command (a test runner or job launcher whose libraries block signals in their threads) would leave
    Ctrl-C pending forever, and a run meant to stop after its last finished chunk (exit 130) would go on
    to the end. An inherited *ignored* SIGINT (``cmd &`` in a non-interactive shell) is left as it is.
    """
    import signal

    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


#: Set by :func:`main` in the command-line process: settings that are JAX's process-wide (device count) are
#: made only there, never for a Python caller of ``main(argv)``.
_COMMAND_LINE_PROCESS = False


def use_cpu_cores(num_seeds: int) -> int:
    """Give JAX as many CPU devices as this process has cores, for exact training → the devices asked for.

    ``train --exact`` splits its seeds evenly over JAX's devices (``optimize.exact_pg.seed_sharding``),
    one core each; JAX's CPU backend has one device unless ``jax_num_cpu_devices`` says otherwise
    before it starts. The count is the largest divisor of ``num_seeds`` that is at most the usable cores.
    Only in the command-line process and before JAX is imported (``JAX_NUM_CPU_DEVICES``, which a
    user's own setting overrides); otherwise nothing changes and 1 is returned.
    """
    if not _COMMAND_LINE_PROCESS or "jax" in sys.modules or "JAX_NUM_CPU_DEVICES" in os.environ:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    devices = cpu_devices_for(num_seeds, cores)
    if devices > 1:
        os.environ["JAX_NUM_CPU_DEVICES"] = str(devices)
    return devices


def cpu_devices_for(num_seeds: int, cores: int) -> int:
    """The largest divisor of ``num_seeds`` that is at most ``cores`` (at least 1): 64 seeds on 2 cores → 2,
    5 seeds on 2 cores → 1, 30 seeds on 16 cores → 15."""
    return max(d for d in range(1, max(1, min(cores, num_seeds)) + 1) if num_seeds % d == 0)


#: The command-line process collects no garbage for its first seconds (start-up: imports, tracing), then
#: freezes what start-up made (gc.freeze) and collects as usual; see :func:`collect_garbage_after_startup`.
STARTUP_GC_SECONDS = 10.0


def collect_garbage_after_startup(seconds: float = STARTUP_GC_SECONDS) -> threading.Timer:
    """Turn Python's cyclic garbage collector off for the first ``seconds`` of this process, then freeze the
    objects made so far and turn it back on.

    Start-up makes hundreds of thousands of long-lived objects (modules, functions, JAX's tracing
    tables): left on, the collector traverses them hundreds of times, about 0.35 s of a 4 s train
    command. After ``seconds`` (a daemon timer; a long command is collected normally from then on,
    minus the start-up objects, which live as long as the process anyway) or at the end of the command,
    whichever comes first, :func:`gc.freeze` keeps the start-up objects out of every later collection,
    the interpreter's last one at exit included (another 0.1–0.3 s). For the command-line process
    only: :func:`main` calls it when it parses ``sys.argv``, and cancels the returned timer at the end.
    """
    import gc

    def settle() -> None:
        gc.freeze()
        gc.enable()

    gc.disable()
    os.register_at_fork(after_in_child=gc.enable)  # a forked child has no timer thread to turn it back on
    timer = threading.Timer(seconds, settle)
    timer.daemon = True
    timer.start()
    return timer


def main(argv: list[str] | None = None) -> int:
    """Run one command: ``argv`` (called from Python) or ``sys.argv`` (the command line) → exit code.

    The command-line process also gets JAX's persistent compilation cache (:func:`use_compilation_cache`)
    and a collector that skips start-up (:func:`collect_garbage_after_startup`); ``main(argv)`` changes
    neither for its caller.
    """
    global _COMMAND_LINE_PROCESS
    if argv is not None:
        return _run(argv)
    _COMMAND_LINE_PROCESS = True
    accept_interrupts()
    use_compilation_cache()
    timer = collect_garbage_after_startup()
    try:
        return _run(None)
    finally:
        import gc

        timer.cancel()
        gc.freeze()  # the process exits next: keep everything out of the interpreter's last collection


def _run(argv: list[str] | None) -> int:
    args = tyro.extras.subcommand_cli_from_dict(
        {name: cls for name, (cls, _) in COMMANDS.items()},
        prog="policyscape",
        description="Optimization landscapes of RL policies, and what entropy does to them (Ahmed et al. 2019).",
        args=argv,
    )
    handler = next(fn for cls, fn in COMMANDS.values() if type(args) is cls)
    try:
        rc = handler(args)
    except InputError as e:
        out = getattr(args, "out", None)
        if isinstance(out, Path):  # refused after its run directory was made: leave nothing behind
            from policyscape.runs.rundir import discard_unused

            discard_unused(out)
        print(f"policyscape: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        out = getattr(args, "out", None)
        where = f" in {out}" if out is not None else ""
        print(f"\npolicyscape: interrupted; every finished chunk is saved{where}. "
              "Run the same command again to resume.", file=sys.stderr)
        return 130
    return rc or 0


if __name__ == "__main__":
    sys.exit(main())
