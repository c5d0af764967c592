"""One id → one objective: tabular ``policyscape/…`` ids (exact, or sampled on request),
``toy/…``, ``supervised/…``, and any other Gymnasium id (sampled).

Every command resolves ``--env`` here. The entropy weight τ and mixing coefficient c apply to
the exact tabular objective; :class:`Sampling` options (σ, episodes, discount, common random
numbers, time limit) to sampled objectives. Every objective :func:`make_objective` returns carries
its :class:`ObjectiveSpec` (``objective.spec``), from which a worker process rebuilds it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from policyscape.errors import InputError
from policyscape.objectives.base import Objective, PolicyObjective, StochasticObjective, as_theta_batch

#: Time limit of sampled episodes on tabular MDPs (which have none): γ^T ≤ 1e-6 truncates at
#: most 1e-6 · max|r| / (1 − γ) of the discounted return.
TABULAR_TRUNCATION = 1e-6


@dataclass(frozen=True)
class Sampling:
    """Options of a sampled (Monte Carlo) objective; see ``objectives.sampled``."""

    sigma: float = 0.1
    episodes: int = 16
    discount: float | None = None  # None: 0.995 (the paper), or the MDP's γ on tabular ids
    crn: bool = True
    seed: int = 0
    max_steps: int | None = None


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

    def build(self) -> Objective:
        return build_objective(self)

    def __call__(self, thetas: np.ndarray) -> dict[str, np.ndarray]:
        return {k: np.asarray(v) for k, v in self.build().evaluate(thetas).items()}


@functools.lru_cache(maxsize=16)
def build_objective(spec: ObjectiveSpec) -> Objective:
    """The objective of ``spec``, built once per process."""
    return make_objective(spec.env_id, spec.entropy, spec.mix, spec.sampling)


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


def make_objective(env_id: str, entropy: float = 0.0, mix: float = 0.0, sampling: Sampling | None = None) -> Objective:
    """The objective of ``env_id``: exact on tabular ids unless ``sampling`` is given; sampled on Gymnasium ids.

    The objective carries ``spec``, an :class:`ObjectiveSpec` of these arguments, from which a worker
    process rebuilds it.
    """
    objective = _make_objective(env_id, entropy, mix, sampling)
    objective.spec = ObjectiveSpec(env_id, float(entropy), float(mix), sampling)
    return objective


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
