"""``policyscape reproduce``: run recipes into one directory, then write the report.

Layout of ``DIR``::

    DIR/<recipe>/config.json   the recipe, its budget and typed configuration (another one is refused)
    DIR/<recipe>/…             the recipe's own results and figures (resumable sub-runs)
    DIR/<recipe>/done.json     written last: wall time, versions; a finished recipe is not run again
    DIR/<recipe>.pilot/        --budget decisive: the pilot run that sizes it (a recipe directory itself)
    DIR/<recipe>/decisive.json --budget decisive: the seeds each claim needs, from the pilot
    DIR/<recipe>/error.txt     the error of a recipe that failed (its claims are then "not run")
    DIR/claims.json            every claim: recipe, claim, measured, verdict, evidence, figures
    DIR/report.html            the report, self-contained (figures embedded)
"""

from __future__ import annotations

import importlib
import platform
import time
import traceback
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from policyscape.errors import InputError
from policyscape.recipes.base import BUDGETS, DECISIVE, Claim, Figure, Recipe, config_dict
from policyscape.runs.rundir import RunDir, to_json

RECIPE_MODULES = {
    "toy": "policyscape.recipes.toy",
    "gridworld": "policyscape.recipes.gridworld",
    "mujoco-learning": "policyscape.recipes.mujoco_learning",
    "mujoco-curvature": "policyscape.recipes.mujoco_curvature",
    "mujoco-local-optima": "policyscape.recipes.mujoco_local_optima",
    "supervised": "policyscape.recipes.supervised",
    "beyond": "policyscape.recipes.beyond",
}
#: What ``policyscape reproduce`` runs when no recipe is named (the README's main job).
MAIN_JOB = ("toy", "gridworld", "supervised", "mujoco-local-optima")
DONE_FILE, ERROR_FILE, DECISIVE_FILE, PILOT_SUFFIX = "done.json", "error.txt", "decisive.json", ".pilot"


def get_recipe(name: str) -> Recipe:
    if name not in RECIPE_MODULES:
        raise InputError(f"unknown recipe {name!r}; expected one of {', '.join(RECIPE_MODULES)} (or 'all')")
    return importlib.import_module(RECIPE_MODULES[name]).RECIPE


def resolve_names(names: tuple[str, ...] | list[str]) -> list[str]:
    """Recipe names in the paper's order: none → the main job, ``all`` → every recipe; duplicates dropped."""
    if not names:
        return list(MAIN_JOB)
    if "all" in names:
        return list(RECIPE_MODULES)
    for n in names:
        get_recipe(n)
    return [n for n in RECIPE_MODULES if n in names]


def _typed(text: str, like, what: str):
    """``text`` as the type of ``like`` (a tuple: comma-separated, each like its first element)."""
    if isinstance(like, tuple):
        element = like[0] if like else 0.0
        items = tuple(_typed(t.strip(), element, what) for t in text.split(",") if t.strip())
        if not items:
            raise InputError(f"--set {what}: expected a comma-separated list of at least one value, got {text!r}")
        return items
    kind = type(like)
    try:
        if kind is bool:
            if text.lower() not in ("true", "false"):
                raise ValueError
            return text.lower() == "true"
        if like is None:
            return None if text.lower() == "none" else int(text) if text.lstrip("-").isdigit() else float(text)
        return kind(text)
    except ValueError:
        name = {int: "an integer", float: "a number", bool: "true or false"}.get(kind, "a number or None")
        raise InputError(f"--set {what}: expected {name}" + (" per list item" if isinstance(like, tuple) else "")
                         + f", got {text!r}") from None


def parse_overrides(sets, names, budget: str) -> dict[str, dict]:
    """``("mujoco-learning.envs=Hopper-v5", …)`` → ``{"mujoco-learning": {"envs": ("Hopper-v5",)}}``, each value
    typed like the field of the recipe's ``budget`` configuration; unknown recipes, recipes not being run,
    unknown fields and values of the wrong type are InputErrors."""
    out: dict[str, dict] = {}
    for item in sets:
        key, sep, text = str(item).partition("=")
        recipe_name, dot, name = key.strip().partition(".")
        if not sep or not dot or not name:
            raise InputError(f"--set expects RECIPE.FIELD=VALUE (e.g. mujoco-learning.envs=Hopper-v5), got {item!r}")
        if recipe_name not in names:
            raise InputError(f"--set {item!r}: recipe {recipe_name!r} is not being run (running: {', '.join(names)})")
        recipe = get_recipe(recipe_name)
        if budget not in recipe.budgets:
            raise InputError(f"--set {item!r}: {recipe_name} has no {budget} budget")
        config = recipe.config(budget)
        fields = config_dict(config)
        if name not in fields:
            raise InputError(f"--set {item!r}: {recipe_name} has no field {name!r}; its fields: {', '.join(fields)}")
        out.setdefault(recipe_name, {})[name] = _typed(text.strip(), getattr(config, name), key)
    return out


def versions() -> dict:
    import importlib.metadata as md

    out = {"python": platform.python_version(), "machine": platform.machine()}
    for pkg in ("policyscape", "jax", "numpy", "mujoco", "gymnasium", "optax"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def run_recipe(recipe: Recipe, budget: str, out: Path, progress: bool = True, config=None, executor=None) -> dict:
    """Run one recipe into ``out`` (skipped if already done with this configuration) → its done record.

    ``executor`` (``runs.executor``; None: in this process) evaluates the recipe's sampled landscape runs;
    values do not depend on it.
    """
    config = recipe.config(budget) if config is None else config
    decisive = None
    if budget == DECISIVE:
        config, decisive = _decisive_config(recipe, config, Path(out), progress, executor)
    run = RunDir(out)
    run.create({"recipe": recipe.name, "budget": budget, "config": config_dict(config)})
    if decisive is not None:
        run.write_json(DECISIVE_FILE, decisive)
    if run.file(DONE_FILE).exists():
        problem = _done_problem(recipe, run.path)
        if problem is None:
            return run.read_json(DONE_FILE)
        print(f"[{recipe.name}] {problem}: running it again (finished sub-runs are reused)", flush=True)
        run.file(DONE_FILE).unlink()
    run.file(ERROR_FILE).unlink(missing_ok=True)
    started = time.perf_counter()
    recipe.run(config, run.path, progress, executor)
    done = {"seconds": time.perf_counter() - started, "budget": budget,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"), "versions": versions()}
    run.write_json(DONE_FILE, done)
    return done


def _decisive_config(recipe: Recipe, base, out: Path, progress: bool, executor):
    """Run the recipe's pilot into ``<out>.pilot`` beside ``out`` (resumable like any recipe; the base's overridden fields apply to
    it too), then size the decisive configuration from it → (configuration, record of the seeds each claim needs)."""
    pilot = recipe.pilot
    overrides = {k: v for k, v in config_dict(base).items() if config_dict(recipe.config(DECISIVE)).get(k) != v}
    if overrides:
        pilot = replace(pilot, **{k: getattr(base, k) for k in overrides})
    pilot_dir = out.with_name(out.name + PILOT_SUFFIX)
    print(f"[{recipe.name}] pilot run (sizes the decisive budget): {pilot_dir}", flush=True)
    run_recipe(recipe, "pilot", pilot_dir, progress, pilot, executor)
    config, needed = recipe.decide(pilot_dir, base)
    print(f"[{recipe.name}] seeds each claim needs at 95% confidence and 80% power: "
          + ", ".join(f"{k} {v}" for k, v in needed.items()) + f" → {config.seeds} seeds", flush=True)
    return config, {"pilot": str(pilot_dir.name), "seeds_needed": needed, "seeds": config.seeds}


def _done_problem(recipe: Recipe, path: Path) -> str | None:
    """Why a recipe with a ``done.json`` is not really done (the record unreadable, or results its assessment
    needs missing or corrupt), or None when it is."""
    try:
        done = RunDir(path).read_json(DONE_FILE)
        if not isinstance(done, dict) or not {"budget", "seconds"} <= set(done):
            return f"{DONE_FILE} is not a record of a finished run"
    except InputError as e:
        return str(e)
    try:
        recipe.assess(path)
    except Exception as e:  # any missing or unreadable result: the recipe is not done
        return f"its results cannot be read ({type(e).__name__}: {e})"
    return None


def reproduce(names=(), budget: str = "quick", out: Path | str = "runs/reproduce", progress: bool = True,
              configs: dict | None = None, keep_going: bool = True, executor=None) -> dict:
    """Run the named recipes at ``budget`` into ``out``, then write ``claims.json`` and ``report.html``.

    ``configs`` overrides a recipe's configuration (``{"toy": ToyConfig(...)}``) or fields of it
    (``{"toy": {"directions": 100}}``). A recipe that fails is reported (its claims "not run", the
    error in ``<recipe>/error.txt``) and the others go on, unless ``keep_going`` is False. ``executor``: see
    :func:`run_recipe`.
    Returns ``{"report": path, "claims": [...], "failed": [names]}``.
    """
    if budget not in (*BUDGETS, DECISIVE):
        raise InputError(f"unknown budget {budget!r}; expected one of {', '.join((*BUDGETS, DECISIVE))}")
    selected = resolve_names(names)
    if budget == DECISIVE:
        lacking = [n for n in selected if DECISIVE not in get_recipe(n).budgets]
        if lacking:
            offering = [n for n in RECIPE_MODULES if DECISIVE in get_recipe(n).budgets]
            raise InputError(f"the {DECISIVE} budget is offered by {', '.join(offering)}, not by "
                             f"{', '.join(lacking)}; name those recipes")
    configs = dict(configs or {})
    out = Path(out)
    failed = []
    for name in selected:
        recipe = get_recipe(name)
        config = configs.get(name)
        if isinstance(config, dict):
            config = replace(recipe.config(budget), **config)
        print(f"[{name}] {recipe.title} ({budget} budget, expected {recipe.expected_time.get(budget, '?')})",
              flush=True)
        try:
            done = run_recipe(recipe, budget, out / name, progress, config, executor)
        except (InputError, KeyboardInterrupt):
            raise
        except Exception:
            if not keep_going:
                raise
            (out / name).mkdir(parents=True, exist_ok=True)
            RunDir(out / name).write_text(ERROR_FILE, traceback.format_exc())
            failed.append(name)
            print(f"[{name}] FAILED: see {out / name / ERROR_FILE}", flush=True)
            continue
        print(f"[{name}] done in {done['seconds']:.0f} s", flush=True)
    result = write_report(out)
    result["failed"] = failed
    return result


def assess_recipe(name: str, out: Path) -> dict:
    """Claims and figures of one recipe from its saved results (``not run`` if it has none)."""
    recipe = get_recipe(name)
    path = out / name
    section = {"name": name, "title": recipe.title, "summary": recipe.summary, "figures": [], "claims": [],
               "budget": None, "seconds": None, "expected_time": recipe.expected_time, "error": None}
    if (path / ERROR_FILE).exists():
        section["error"] = (path / ERROR_FILE).read_text()
        section["claims"] = recipe.not_run("not run: the recipe failed (error below)")
        return section
    if not (path / DONE_FILE).exists():
        section["claims"] = recipe.not_run(f"not run: not part of this reproduction (policyscape reproduce {name})")
        return section
    try:
        done = RunDir(path).read_json(DONE_FILE)
        if not isinstance(done, dict) or not {"budget", "seconds"} <= set(done):
            raise InputError(f"{str(path / DONE_FILE)!r} is not a record of a finished run")
        items = recipe.assess(path)
    except Exception as e:  # a corrupt record or missing results: not run (say why), never a crash
        why = f"{type(e).__name__}: {e}" if not isinstance(e, InputError) else str(e)
        section["error"] = f"the saved results cannot be read: {why}\nrun policyscape reproduce {name} to recompute"
        section["claims"] = recipe.not_run("not run: its saved results are missing or unreadable (see below)")
        return section
    section.update(budget=done["budget"], seconds=done["seconds"], versions=done.get("versions"))
    section["figures"] = [i for i in items if isinstance(i, Figure)]
    section["claims"] = [i for i in items if isinstance(i, Claim)]
    assessed = {c.key for c in section["claims"]}
    section["claims"] += [c for c in recipe.not_run("not run at this budget") if c.key not in assessed]
    return section


def write_report(out: Path | str) -> dict:
    """Assess every recipe found in ``out`` and write ``claims.json`` and ``report.html`` (atomically)."""
    from policyscape.recipes.report import render_html

    out = Path(out)
    if not out.is_dir():
        raise InputError(f"{str(out)!r} is not a reproduce directory (expected one made by policyscape reproduce)")
    sections = [assess_recipe(name, out) for name in RECIPE_MODULES]
    if not any(s["budget"] or s["error"] for s in sections):
        raise InputError(f"{str(out)!r} holds no recipe results; run policyscape reproduce --out {out} first")
    claims = [c.to_dict() for s in sections for c in s["claims"]]
    run = RunDir(out)
    run.write_text("claims.json", to_json(claims))
    run.write_text("report.html", render_html(sections, out))
    return {"report": out / "report.html", "claims": claims}


__all__ = ["MAIN_JOB", "RECIPE_MODULES", "get_recipe", "parse_overrides", "reproduce", "resolve_names", "run_recipe", "write_report"]
