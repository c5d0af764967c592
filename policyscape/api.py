"""The Python API in a few functions, for notebooks and for the CLI.

    >>> import policyscape as ps
    >>> objective = ps.exact_objective("policyscape/SymmetricGridworld-v0", entropy=0.01)
    >>> objective.evaluate(thetas)            # thetas [B, n] → dict of [B] arrays
    >>> ps.evaluate("runs/train/final.npz@3")  # one θ from a checkpoint → dict
    >>> ps.evaluate("ppo-Hopper.zip", env="Hopper-v5", obs_norm="vec_normalize.pkl")  # an agent trained elsewhere
    >>> objective = ps.agent_objective("ppo-Hopper.zip", "Hopper-v5")  # θ0: objective.policy.theta0
    >>> policy = ps.policy_from_apply(apply, params, obs_dim=11, act_dim=3)  # any JAX apply(params, obs)
    >>> objective = ps.sampled_objective("Hopper-v5", policy, sigma=None)
"""

from __future__ import annotations

import numpy as np

from policyscape.envs.registry import DEFAULT_ENV_ID, make_tabular
from policyscape.envs.tabular import optimal_value
from policyscape.errors import InputError
from policyscape.objectives.base import PolicyObjective, as_theta_batch
from policyscape.objectives.exact import ExactObjective
from policyscape.objectives.registry import value_meaning
from policyscape.runs.checkpoint import Params, load_params


def exact_objective(env_id: str = DEFAULT_ENV_ID, entropy: float = 0.0, mix: float = 0.0) -> ExactObjective:
    """The exact objective ``J(θ; τ, c)`` of a registered tabular environment."""
    return ExactObjective(make_tabular(env_id), entropy=entropy, mix=mix)


def named_params(name: str, env: str | None) -> Params | None:
    """Named points: toy points (``--env toy/... --at near-optimum``) and, for supervised ids,
    ``init`` (the seed-0 initializer) and ``solution`` (the optimum by Newton's method)."""
    from policyscape.objectives.supervised import SUPERVISED_OBJECTIVES
    from policyscape.objectives.toy import TOY_POINT_FUNCTIONS, TOY_POINTS

    if env is not None and env.startswith("toy/") and name in TOY_POINTS:
        owners = TOY_POINT_FUNCTIONS.get(name, ())
        if owners and env not in owners:
            raise InputError(f"the named point {name!r} belongs to {', '.join(owners)}, not {env!r}; expected a point "
                             f"of {env!r} ({', '.join(k for k, v in TOY_POINT_FUNCTIONS.items() if env in v)}) or "
                             "coordinates such as --at=-2,-0.5")
        return Params(np.array(TOY_POINTS[name], dtype=np.float64), env, None, name)
    if env in SUPERVISED_OBJECTIVES and name in ("init", "solution"):
        objective = SUPERVISED_OBJECTIVES[env]()
        theta = objective.initial_params(0) if name == "init" else objective.solve()
        return Params(theta, env, None, name)
    return None


def resolve_params(at: str | np.ndarray, env: str | None = None) -> tuple[np.ndarray, str]:
    """θ from an ``--at`` value (or an array) and the environment id it belongs to.

    ``at`` is anything :func:`~policyscape.runs.checkpoint.load_params` reads, or a named
    point (:func:`named_params`). The environment is ``env`` if given, else the one recorded
    in a checkpoint, else the paper's gridworld; a checkpoint recorded for another
    environment is refused.
    """
    from policyscape.objectives.registry import is_agent_file

    if isinstance(at, np.ndarray):
        params = Params(np.asarray(at, dtype=np.float64), source="array")
    elif is_agent_file(at):
        raise InputError(f"{at!r} is an agent file: its θ depends on the policy family built from it; use "
                         "agent_objective(path, env) and objective.policy.theta0 (CLI: --at AGENT --env ID)")
    else:
        params = named_params(str(at), env) or load_params(at)
    if env is not None and params.env_id is not None and env != params.env_id:
        raise InputError(f"{params.source!r} was saved for environment {params.env_id!r}, but --env is {env!r}")
    return params.theta, env or params.env_id or DEFAULT_ENV_ID


def objective_for(env_id: str, entropy: float = 0.0, mix: float = 0.0, sampling=None, agent=None):
    """Any objective by id: tabular (exact, or sampled with ``sampling``), ``toy/…``, ``supervised/…``,
    or any Gymnasium id (sampled), with an agent trained elsewhere as the policy family when ``agent``
    (an ``objectives.registry.AgentRef``) is given; see ``objectives.registry``."""
    from policyscape.objectives.registry import make_objective

    return make_objective(env_id, entropy, mix, sampling, agent)


def agent_objective(path, env: str, obs_norm=None, sigma: float | None = None, episodes: int = 16,
                    discount: float = 0.995, crn: bool = True, seed: int = 0, max_steps: int | None = None):
    """The sampled objective of ``env`` with the agent in ``path`` (SB3/sb3-contrib ``.zip``, CleanRL
    ``.cleanrl_model``) as the policy family, its frozen observation statistics ``obs_norm`` (VecNormalize
    ``.pkl`` or ``.npz``) part of the policy; θ0 = ``objective.policy.theta0``, the loaded weights.

    ``sigma``: None (default) for the agent's own action distribution, a float for its mean action under
    a fixed Gaussian σ (0: deterministic).
    """
    from policyscape.objectives.registry import AgentRef, Sampling

    sampling = Sampling(sigma=sigma, episodes=episodes, discount=discount, crn=crn, seed=seed, max_steps=max_steps)
    return objective_for(env, sampling=sampling, agent=AgentRef.of(path, obs_norm))


def policy_from_apply(apply, params, obs_dim: int, act_dim: int, **kw):
    """A policy family from any JAX ``apply(params, obs)`` and its params pytree (Flax, Equinox, Brax …);
    θ0 = ``jax.flatten_util.ravel_pytree(params)``; see ``policies.jax_apply.JaxApplyPolicy``."""
    from policyscape.policies.jax_apply import JaxApplyPolicy

    return JaxApplyPolicy(apply, params, obs_dim, act_dim, **kw)


def sampled_objective(env_id: str, policy, sigma: float | None = None, episodes: int = 16, discount: float = 0.995,
                      crn: bool = True, seed: int = 0, max_steps: int | None = None):
    """The sampled objective of ``env_id`` with a policy object (e.g. :func:`policy_from_apply`); it runs
    in this process (an objective built from a function has no spec a worker could rebuild it from)."""
    from policyscape.objectives.sampled import SampledObjective

    return SampledObjective(env_id, sigma=sigma, episodes=episodes, discount=discount, crn=crn, seed=seed,
                            max_steps=max_steps, policy=policy)


def evaluate(at: str | np.ndarray, env: str | None = None, entropy: float = 0.0, mix: float = 0.0,
             sampling=None, obs_norm=None) -> dict:
    """Value (and whatever else the objective reports) at one θ; exact tabular MDPs add the optimal return.

    ``at`` may be an agent file (with ``env``, and ``obs_norm`` its frozen statistics): its loaded weights
    are evaluated with its own action distribution, or under ``sampling.sigma`` when that is a float.
    """
    from policyscape.objectives.registry import AgentRef, is_agent_file
    from policyscape.policies.agent import AgentPolicy

    if not isinstance(at, np.ndarray) and is_agent_file(at):
        if env is None:
            raise InputError(f"{at}: an agent file does not record its environment; pass env (--env), e.g. Hopper-v5")
        env_id, agent = env, AgentRef.of(at, obs_norm)
        objective = objective_for(env_id, entropy, mix, sampling, agent)
        theta = objective.policy.theta0
    else:
        if obs_norm is not None:
            raise InputError("--obs-norm applies to agent files (--at AGENT.zip); θ vectors have no observation "
                             "statistics")
        theta, env_id = resolve_params(at, env)
        objective = objective_for(env_id, entropy, mix, sampling)
    theta = as_theta_batch(theta, objective.num_params, what=f"theta for {env_id}")
    result = {"env_id": env_id, **{k: float(v[0]) for k, v in objective.evaluate(theta).items()}}
    policy = objective.policy if isinstance(objective, PolicyObjective) else None
    if isinstance(policy, AgentPolicy):
        result.update(agent=policy.spec.path, algorithm=policy.spec.algorithm,
                      sigma="the agent's own" if objective.sigma is None else objective.sigma,
                      observations_normalized=policy.normalized)
    elif sampling is not None:
        result.update(sigma=sampling.sigma, observations_normalized=False)
    if isinstance(objective, ExactObjective):
        optimal = optimal_value(objective.mdp).value
        result.update(entropy_weight=objective.entropy, mix=objective.mix, optimal_return=optimal,
                      gap_to_optimal=optimal - result["return"])
        # the same word for the same quantity on every objective of a tabular id (exact: discounted)
        result["discounted_return"] = result["return"]
    result["value_meaning"] = value_meaning(objective)
    result["num_params"] = objective.num_params
    return result
