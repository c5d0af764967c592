"""One id → one objective: tabular ``policyscape/…`` ids (exact, or sampled on request),
``toy/…``, ``supervised/…``, and any other Gymnasium id (sampled).

Every command resolves ``--env`` here. The entropy weight τ and mixing coefficient c apply to
the exact tabular objective; :class:`Sampling` options (σ, episodes, discount, common random
numbers, time limit) to sampled objectives. Every objective :func:`make_objective` returns carries
its :class:`ObjectiveSpec` (``objective.spec``), from which a worker process rebuilds it.

An agent trained elsewhere (:class:`AgentRef`: the agent file and its frozen normalization,
each with its sha256) gives the sampled objective of its environment with the agent as the
policy family (``policies.agent.AgentPolicy``); θ0 is the loaded weights (``objective.policy.theta0``).
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from policyscape.errors import InputError
from policyscape.objectives.base import Objective, PolicyObjective, StochasticObjective, as_theta_batch

#: Time limit of sampled episodes on tabular MDPs (which have none): γ^T ≤ 1e-6 truncates at
#: most 1e-6 · max|r| / (1 − γ) of the discounted return.
TABULAR_TRUNCATION = 1e-6


@dataclass(frozen=True)
class Sampling:
    """Options of a sampled (Monte Carlo) objective; see ``objectives.sampled``."""

    sigma: float | None = 0.1  # None: a loaded agent's own action distribution
    episodes: int = 16
    discount: float | None = None  # None: 0.995 (the paper), or the MDP's γ on tabular ids
    crn: bool = True
    seed: int = 0
    max_steps: int | None = None


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError as e:
        raise InputError(f"cannot read {str(path)!r}: {e}") from None
    return digest.hexdigest()


@dataclass(frozen=True)
class AgentRef:
    """An agent file (and optional frozen observation statistics), by path and sha256: picklable, so
    that a worker loads the same agent; a file that changed since is refused."""

    path: str
    sha256: str
    obs_norm: str | None = None
    obs_norm_sha256: str | None = None

    @classmethod
    def of(cls, path: str | Path, obs_norm: str | Path | None = None) -> "AgentRef":
        """Reference the files as they are now (absolute paths, so that workers find them)."""
        path = Path(path)
        if not path.is_file():
            raise InputError(f"{str(path)!r}: no such agent file")
        if obs_norm is not None and not Path(obs_norm).is_file():
            raise InputError(f"{str(obs_norm)!r}: no such normalization file (--obs-norm)")
        norm = None if obs_norm is None else str(Path(obs_norm).resolve())
        return cls(str(path.resolve()), sha256_of(path), norm, None if norm is None else sha256_of(norm))

    def load(self, action_space=None):
        """The :class:`~policyscape.agents.spec.AgentSpec`, with its normalization, after checking the checksums.

        CleanRL files do not record their action bounds: they are taken from ``action_space`` (the
        environment's) when given."""
        from policyscape.agents import load_agent

        for path, sha in ((self.path, self.sha256), (self.obs_norm, self.obs_norm_sha256)):
            if path is not None and sha256_of(path) != sha:
                raise InputError(f"{path} changed since it was referenced (sha256 {sha[:16]}…); start again")
        spec = load_agent(self.path, obs_norm=self.obs_norm)
        from gymnasium import spaces

        if spec.source.startswith("cleanrl") and spec.action_low is None and isinstance(action_space, spaces.Box):
            spec = load_agent(self.path, obs_norm=self.obs_norm, action_low=action_space.low,
                              action_high=action_space.high)
        return spec

    def describe(self) -> dict:
        return {"path": self.path, "sha256": self.sha256, "obs_norm": self.obs_norm,
                "obs_norm_sha256": self.obs_norm_sha256, "observations_normalized": self.obs_norm is not None}


def is_agent_file(at: str | Path) -> bool:
    """True when ``at`` names an agent file (SB3/sb3-contrib ``.zip``, CleanRL ``.cleanrl_model``), not θ."""
    path = Path(str(at))
    return path.suffix in (".zip", ".cleanrl_model") and "@" not in str(at)


@dataclass(frozen=True)
class ObjectiveSpec:
    """What :func:`make_objective` needs to rebuild an objective in another process (picklable).

    Calling a spec evaluates its objective, ``spec(θ [C, n]) → {field: [C]}``; the objective is
    built once per process (:func:`build_objective`).
    """

    env_id: str
    entropy: float = 0.0
    mix: float = 0.0
    sampling: Sampling | None = None
    agent: AgentRef | None = None

    def build(self) -> Objective:
        return build_objective(self)

    def __call__(self, thetas: np.ndarray) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) for k, v in self.build().evaluate(thetas).items()}


@functools.lru_cache(maxsize=16)
def build_objective(spec: ObjectiveSpec) -> Objective:
    """The objective of ``spec``, built once per process."""
    return make_objective(spec.env_id, spec.entropy, spec.mix, spec.sampling, spec.agent)


def is_sampled_id(env_id: str) -> bool:
    """True for ids that only have a sampled objective (not tabular, toy or supervised).

    A question about an *id*, asked before any objective exists: which flags apply to ``--env``
    (``--sigma`` or ``--entropy``), which objective to build. Once an objective exists, ask what it
    can do: ``isinstance(objective, StochasticObjective)`` (``objectives.base``).
    """
    from policyscape.envs.registry import TABULAR_ENVS
    from policyscape.objectives.supervised import SUPERVISED_OBJECTIVES
    from policyscape.objectives.toy import TOY_OBJECTIVES

    return env_id not in TABULAR_ENVS and env_id not in TOY_OBJECTIVES and env_id not in SUPERVISED_OBJECTIVES


def known_ids() -> list[str]:
    from policyscape.envs.registry import TABULAR_ENVS
    from policyscape.objectives.supervised import SUPERVISED_OBJECTIVES
    from policyscape.objectives.toy import TOY_OBJECTIVES

    return [*TABULAR_ENVS, *TOY_OBJECTIVES, *SUPERVISED_OBJECTIVES]


def make_objective(env_id: str, entropy: float = 0.0, mix: float = 0.0, sampling: Sampling | None = None,
                   agent: AgentRef | None = None) -> Objective:
    """The objective of ``env_id``: exact on tabular ids unless ``sampling`` is given; sampled on Gymnasium ids.

    With ``agent``, the sampled objective of ``env_id`` with the loaded agent as its policy family
    (``sampling.sigma``: None for the agent's own distribution, a float for its mean action under that σ).
    The objective carries ``spec``, an :class:`ObjectiveSpec` of these arguments, from which a worker
    process rebuilds it.
    """
    if agent is not None:
        objective = _agent_objective(env_id, entropy, mix, sampling or Sampling(sigma=None), agent)
    else:
        objective = _make_objective(env_id, entropy, mix, sampling)
    objective.spec = ObjectiveSpec(env_id, float(entropy), float(mix), sampling, agent)
    return objective


def _agent_objective(env_id: str, entropy: float, mix: float, s: Sampling, agent: AgentRef) -> Objective:
    import gymnasium

    import policyscape.envs  # noqa: F401  (registers the policyscape/ ids with Gymnasium)

    if not is_sampled_id(env_id) or env_id not in gymnasium.registry:
        raise InputError(f"an agent is evaluated on a Gymnasium id (e.g. Hopper-v5), got --env {env_id!r}")
    if entropy != 0.0 or mix != 0.0:
        raise InputError(f"--entropy and --mix apply to exact tabular objectives, not to an agent on {env_id!r}")
    from policyscape.objectives.sampled import SampledObjective
    from policyscape.policies.agent import AgentPolicy

    env = gymnasium.make(env_id)
    try:
        action_space = env.action_space
    finally:
        env.close()
    policy = AgentPolicy(agent.load(action_space), "own" if s.sigma is None else "fixed")
    return SampledObjective(env_id, sigma=s.sigma, episodes=s.episodes,
                            discount=0.995 if s.discount is None else s.discount, crn=s.crn, seed=s.seed,
                            max_steps=s.max_steps, policy=policy)


def _make_objective(env_id: str, entropy: float, mix: float, sampling: Sampling | None) -> Objective:
    from policyscape.envs.registry import TABULAR_ENVS, make_tabular

    if env_id in TABULAR_ENVS and sampling is None:
        from policyscape.objectives.exact import ExactObjective

        return ExactObjective(make_tabular(env_id), entropy=entropy, mix=mix)
    if not is_sampled_id(env_id) and env_id not in TABULAR_ENVS:
        if entropy != 0.0 or mix != 0.0 or sampling is not None:
            raise InputError(f"--entropy, --mix and sampling options (--sigma, --episodes, …) do not apply to "
                             f"{env_id!r} (got entropy {entropy}, mix {mix})")
        from policyscape.objectives.supervised import SUPERVISED_OBJECTIVES
        from policyscape.objectives.toy import TOY_OBJECTIVES

        return TOY_OBJECTIVES[env_id] if env_id in TOY_OBJECTIVES else SUPERVISED_OBJECTIVES[env_id]()
    import gymnasium

    import policyscape.envs  # noqa: F401  (registers the policyscape/ ids with Gymnasium)

    if env_id not in gymnasium.registry:
        from policyscape.envs.registry import unknown_env_error

        raise unknown_env_error(env_id, known_ids(), sorted(gymnasium.registry))
    if entropy != 0.0 or mix != 0.0:
        raise InputError(f"--entropy and --mix apply to exact tabular objectives; the sampled objective of {env_id!r} "
                         f"takes --sigma instead (got entropy {entropy}, mix {mix})")
    return _sampled(env_id, sampling or Sampling())


def _sampled(env_id: str, s: Sampling) -> Objective:
    from policyscape.envs.registry import TABULAR_ENVS, make_tabular
    from policyscape.objectives.sampled import SampledObjective

    discount, max_steps = s.discount, s.max_steps
    if env_id not in TABULAR_ENVS:
        return SampledObjective(env_id, sigma=s.sigma, episodes=s.episodes,
                                discount=0.995 if discount is None else discount, crn=s.crn, seed=s.seed,
                                max_steps=max_steps)
    mdp = make_tabular(env_id)
    if max_steps is None and mdp.gamma > 0:
        max_steps = max(1, math.ceil(math.log(TABULAR_TRUNCATION) / math.log(mdp.gamma)))
    inner = SampledObjective(env_id, policy_kind="linear_softmax", episodes=s.episodes,
                             discount=mdp.gamma if discount is None else discount, crn=s.crn, seed=s.seed,
                             max_steps=max_steps)
    return TabularLayout(inner, mdp.num_states, mdp.num_actions)


class TabularLayout(StochasticObjective, PolicyObjective):
    """A sampled objective of a tabular id that takes θ in the exact objective's layout.

    ``policy`` is the exact objective's :class:`~policyscape.policies.softmax.TabularSoftmaxPolicy`
    (weight [A, S], bias [A]); the wrapped objective samples with its ``LinearSoftmax`` (weight
    [S, A]), and θ is mapped between the two through their layout objects
    (``TabularSoftmaxPolicy.to_linear_softmax``), so the same checkpoint is evaluated exactly or
    by sampling. Everything else is the wrapped objective's.
    """

    def __init__(self, inner, num_states: int, num_actions: int) -> None:
        from policyscape.policies.softmax import TabularSoftmaxPolicy

        self.inner, self.policy = inner, TabularSoftmaxPolicy(num_states, num_actions)
        self.fields, self.name, self.seed = inner.fields, inner.name, inner.seed

    @property
    def num_params(self) -> int:
        return self.inner.num_params

    def to_sampled_layout(self, thetas) -> np.ndarray:
        return self.policy.to_linear_softmax(as_theta_batch(thetas, self.num_params))

    def evaluate(self, thetas, seed=None) -> dict:
        return self.inner.evaluate(self.to_sampled_layout(thetas), seed=seed)


def value_meaning(objective) -> str:
    """What ``value`` (and ``return``) of ``objective`` are, in words: on a tabular id the exact objective's are
    discounted and the sampled one's undiscounted (its discounted estimate is ``discounted_return``)."""
    from policyscape.objectives.exact import ExactObjective

    if isinstance(objective, ExactObjective):
        return ("value: entropy-regularized discounted value J(θ; τ, c); return = discounted_return: expected "
                "discounted return (exact)")
    if "discounted_return" in getattr(objective, "fields", ()):
        return ("value = return: mean UNDISCOUNTED episodic return (sampled); discounted_return: mean discounted "
                "return (on a tabular id, the estimate of the exact objective's return)")
    return "value: the objective, maximized (a loss enters as its negative)"
