"""Stable-Baselines3 / sb3-contrib ``.zip`` agents (what ``model.save()`` writes and the RL Zoo publishes).

Format followed: Stable-Baselines3 2.x (checked against 2.9.0a4, stable_baselines3/common/
save_util.py ``save_to_zip_file`` / ``data_to_json``; sb3-contrib 2.9.0a2), which has kept the
layout of 1.x:

* ``data``: JSON of the algorithm's attributes. A JSON-serializable attribute is stored as is;
  any other is a dict ``{":type:": str(type(x)), ":serialized:": base64(cloudpickle(x)), ...}``
  plus, for dicts and objects with a ``__dict__``, each first-level item as itself if
  JSON-serializable and as ``str(item)`` otherwise. So ``policy_kwargs`` with an
  ``activation_fn`` has ``"activation_fn": "<class 'torch.nn.modules.activation.ReLU'>"``, a
  gymnasium ``Box`` has ``"_shape": [3]``, ``"dtype": "float32"``, ``"low": "[-1. -1. -1.]"``
  (numpy's ``str``), and ``policy_class`` has its ``"__module__"``.
* ``policy.pth``: ``torch.save(policy.state_dict())`` in torch's zip format (read by
  :mod:`policyscape.agents.torch_zip`); also ``pytorch_variables.pth``, ``*.optimizer.pth``,
  ``_stable_baselines3_version``, ``system_info.txt``, which are not needed here.

The ``:serialized:`` cloudpickle blobs are never unpickled: only the JSON's readable fields are
used, and where the only record of a class is the blob (the policy class's name, or an
``activation_fn`` missing from the readable fields), the name is read from the blob's opcodes
(:func:`~policyscape.agents._safe_pickle.referenced_globals`).

The actor, from the state dict's key names (stable_baselines3/common/policies.py, torch_layers.py,
sac/policies.py, sb3_contrib/tqc/policies.py, sb3_contrib/ars/policies.py):

* PPO / A2C / TRPO ``ActorCriticPolicy``: ``mlp_extractor.policy_net.{0,2,…}`` (Linear, then the
  activation; SB3 < 1.8 also ``mlp_extractor.shared_net.{…}`` first), ``action_net`` (μ) and
  ``log_std``: a vector [act] (``DiagGaussianDistribution``), or with ``use_sde`` a matrix
  [latent, act or 1] (gSDE; ``squash_output`` puts tanh on the mean and rescales to the bounds).
  Without squashing, SB3's ``predict`` clips actions to the bounds.
* SAC / TQC ``Actor``: ``actor.latent_pi.{0,2,…}``, ``actor.mu`` and ``actor.log_std`` (a layer
  whose output is clamped to [−20, 2]); with gSDE ``actor.log_std`` is the matrix and ``actor.mu``
  may be ``Sequential(Linear, Hardtanh(±clip_mean))``. Actions are tanh-squashed and rescaled.
* ARS: ``action_net.{0,2,…}`` (``create_mlp``; the last Linear is the output). ``MlpPolicy``
  (``ARSPolicy``) squashes by default (tanh inside ``action_net``, then rescale); ``LinearPolicy``
  (``ARSLinearPolicy``, no bias by default) does not and is clipped. Before sb3-contrib 1.7 the
  linear policy's ``action_net`` was a bare ``nn.Linear`` (``action_net.weight``).

Checked by hand against RL Zoo agents of SB3 1.0–1.3 (DLR-RM/rl-trained-agents: PPO, A2C, TRPO,
SAC, TQC, ARS on MuJoCo), which load as described; they are not part of the tests.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from policyscape.agents._safe_pickle import referenced_globals
from policyscape.agents.spec import AgentSpec, Dense, ObsNormalization
from policyscape.agents.torch_zip import read_state_dict
from policyscape.errors import InputError

__all__ = ["ACTIVATION_CLASSES", "LOG_STD_BOUNDS", "load_sb3", "parse_numpy_str"]

#: torch activation classes (as SB3 serializes ``activation_fn``) -> policyscape activation names.
ACTIVATION_CLASSES = {
    "torch.nn.modules.activation.Tanh": "tanh",
    "torch.nn.modules.activation.ReLU": "relu",
    "torch.nn.modules.activation.ELU": "elu",
    "torch.nn.modules.activation.LeakyReLU": "leaky_relu",
    "torch.nn.modules.activation.Sigmoid": "sigmoid",
    "torch.nn.modules.activation.SiLU": "silu",
    "torch.nn.modules.activation.Softplus": "softplus",
    "torch.nn.modules.linear.Identity": "identity",
}
#: SAC/TQC clamp of the state-dependent log σ (LOG_STD_MIN, LOG_STD_MAX in sac/policies.py).
LOG_STD_BOUNDS = (-20.0, 2.0)
_FAMILY = {"PPO": "actor-critic", "A2C": "actor-critic", "TRPO": "actor-critic", "SAC": "sac", "TQC": "sac",
           "ARS": "ars"}
_CLASS_STR = re.compile(r"^<class '([\w.]+)'>$")
_DEFAULT_ACTIVATION = {"PPO": "tanh", "A2C": "tanh", "TRPO": "tanh", "SAC": "relu", "TQC": "relu", "ARS": "relu"}


# ------------------------------------------------------------------ reading the JSON without its pickles


def _blob_globals(entry: dict, what: str) -> list[tuple[str, str]]:
    try:
        raw = base64.b64decode(str(entry[":serialized:"]).encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise InputError(f"{what}: the :serialized: field is not base64 ({exc})") from None
    return referenced_globals(raw, what)


def _readable(entry: Any) -> dict:
    """The readable first-level fields of a data entry (without the cloudpickle blob)."""
    if isinstance(entry, dict):
        return {k: v for k, v in entry.items() if k not in (":type:", ":serialized:")}
    return {}


def _activation(kwargs_entry: Any, algorithm: str, what: str) -> tuple[str, str | None]:
    """(activation name, note) from ``policy_kwargs``: its readable ``activation_fn`` string,
    else the torch activation class the blob names, else the algorithm's default."""
    readable = _readable(kwargs_entry)
    qualified: str | None = None
    if "activation_fn" in readable:
        match = _CLASS_STR.match(str(readable["activation_fn"]))
        if not match:
            raise InputError(f"{what}: policy_kwargs.activation_fn is {readable['activation_fn']!r}; "
                             "expected \"<class 'torch.nn.modules.activation.X'>\"")
        qualified = match.group(1)
    elif isinstance(kwargs_entry, dict) and ":serialized:" in kwargs_entry:
        names = {f"{m}.{n}" for m, n in _blob_globals(kwargs_entry, f"{what} (policy_kwargs)")}
        acts = sorted(n for n in names if n.startswith("torch.nn.modules.activation.") or n in ACTIVATION_CLASSES)
        if len(acts) > 1:
            raise InputError(f"{what}: policy_kwargs names several activations {acts}; expected one")
        qualified = acts[0] if acts else None
    if qualified is None:
        return _DEFAULT_ACTIVATION[algorithm], f"activation: {algorithm}'s default ({_DEFAULT_ACTIVATION[algorithm]})"
    if qualified not in ACTIVATION_CLASSES:
        raise InputError(f"{what}: activation {qualified} is not supported; expected one of "
                         f"{sorted(c.rsplit('.', 1)[1] for c in ACTIVATION_CLASSES)}")
    return ACTIVATION_CLASSES[qualified], None


def parse_numpy_str(text: str, what: str) -> np.ndarray:
    """The numbers of ``str(ndarray)`` (numpy's print form, e.g. ``"[-1. -1.  0.5]"``) as float64."""
    if "..." in text:
        raise InputError(f"{what}: {text[:40]!r}… was summarized by numpy when saved; the full values are only in "
                         "the pickled blob, which is not read")
    tokens = text.replace("[", " ").replace("]", " ").replace(",", " ").split()
    try:
        return np.array([float(t) for t in tokens], dtype=np.float64)
    except ValueError:
        raise InputError(f"{what}: {text!r} is not a list of numbers") from None


def _space(entry: Any, key: str, what: str) -> tuple[tuple[int, ...], dict]:
    readable = _readable(entry)
    kind = str(entry.get(":type:", "")) if isinstance(entry, dict) else ""
    if not kind.endswith("spaces.box.Box'>"):
        raise InputError(f"{what}: {key} is {kind or entry!r}; expected a gymnasium Box (continuous) space")
    shape = readable.get("_shape", readable.get("shape"))
    if not (isinstance(shape, list) and all(isinstance(n, int) and n >= 0 for n in shape)):
        raise InputError(f"{what}: {key} has no readable shape (found {shape!r})")
    return tuple(shape), readable


def _bounds(readable: dict, shape: tuple[int, ...], what: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        dtype = np.dtype(str(readable.get("dtype", "float32")))
    except TypeError:
        raise InputError(f"{what}: action_space.dtype {readable.get('dtype')!r} is not a numpy dtype") from None
    out = []
    for name in ("low", "high"):
        if name not in readable:
            raise InputError(f"{what}: action_space has no readable {name}")
        values = parse_numpy_str(str(readable[name]), f"{what} (action_space.{name})")
        if values.size == 1 and int(np.prod(shape)) != 1:
            values = np.full(int(np.prod(shape)), values[0])
        if values.size != int(np.prod(shape)):
            raise InputError(f"{what}: action_space.{name} has {values.size} values; expected {int(np.prod(shape))}")
        out.append(values.astype(dtype).reshape(-1))
    if not (np.all(np.isfinite(out[0])) and np.all(np.isfinite(out[1])) and np.all(out[0] < out[1])):
        raise InputError(f"{what}: action bounds must be finite with low < high")
    return out[0], out[1]


# ------------------------------------------------------------------ state dict -> layers


def _sequential(state: dict[str, np.ndarray], prefix: str, what: str) -> list[tuple[int, Dense]]:
    """The Linear layers of an ``nn.Sequential`` under ``prefix`` as (module index, Dense), in order."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.(\w+)$")
    found: dict[int, dict[str, np.ndarray]] = {}
    for key, value in state.items():
        match = pattern.match(key)
        if match:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = value
    layers = []
    for index in sorted(found):
        params = found[index]
        if set(params) - {"weight", "bias"} or "weight" not in params or params["weight"].ndim != 2:
            raise InputError(f"{what}: {prefix}{index} is not a Linear layer (parameters {sorted(params)}, "
                             f"shapes {[p.shape for p in params.values()]}); only Linear layers and activations "
                             "are supported")
        layers.append((index, Dense(params["weight"], params.get("bias"))))
    return layers


def _hidden_chain(layers: list[tuple[int, Dense]], prefix: str, what: str, start: int = 0) -> list[Dense]:
    """Check the SB3 pattern Linear, activation, Linear, activation … (indices start, start+2, …)."""
    for k, (index, _layer) in enumerate(layers):
        if index != start + 2 * k:
            raise InputError(f"{what}: {prefix} has layers at indices {[i for i, _ in layers]}; expected "
                             f"{[start + 2 * i for i in range(len(layers))]} (Linear then activation)")
    return [layer for _, layer in layers]


def _take(state: dict[str, np.ndarray], key: str, what: str) -> np.ndarray:
    if key not in state:
        raise InputError(f"{what}: the state dict has no {key!r}")
    return state[key]


def _dense(state: dict[str, np.ndarray], prefix: str, what: str) -> Dense:
    return Dense(_take(state, prefix + "weight", what), state.get(prefix + "bias"))


def _check_features(state: dict[str, np.ndarray], prefixes: tuple[str, ...], what: str) -> None:
    extra = sorted(k for k in state if k.startswith(prefixes))
    if extra:
        raise InputError(f"{what}: the policy has a features extractor with parameters ({extra[0]}, …); only "
                         "the default FlattenExtractor (no parameters) is supported")


def _check_arch(hidden: list[Dense], net_arch: Any, what: str) -> None:
    if isinstance(net_arch, dict):
        net_arch = net_arch.get("pi", [])
    if isinstance(net_arch, list) and all(isinstance(n, int) for n in net_arch):
        widths = [layer.n_out for layer in hidden]
        if widths != net_arch:
            raise InputError(f"{what}: policy_kwargs.net_arch says {net_arch} but the weights have hidden widths "
                             f"{widths}")


# ------------------------------------------------------------------ the algorithms


def _algorithm(data: dict, state: dict[str, np.ndarray], policy: tuple[str, str] | None, what: str) -> str:
    module = policy[0] if policy else ""
    if "actor.mu.weight" in state or "actor.mu.0.weight" in state:
        return "TQC" if ("tqc" in module or "top_quantiles_to_drop_per_net" in data) else "SAC"
    if "action_net.weight" in state and "log_std" not in state and not any(k.startswith("mlp_extractor.")
                                                                           for k in state):
        return "ARS"  # sb3-contrib < 1.7: ARSLinearPolicy's action_net is a bare Linear
    if "mlp_extractor.policy_net.0.weight" in state or "action_net.weight" in state:
        if "ppo_recurrent" in module or "ppo_mask" in module:
            raise InputError(f"{what}: {module} (recurrent or maskable PPO) is not supported")
        if "cg_max_steps" in data:
            return "TRPO"
        return "PPO" if "clip_range" in data else "A2C"
    if "action_net.0.weight" in state:  # create_mlp's Sequential: only ARS keeps its actor there
        return "ARS"
    raise InputError(f"{what}: the policy's parameters ({sorted(state)[:4]}…) match no supported SB3 policy "
                     "(PPO/A2C/TRPO MlpPolicy, SAC/TQC MlpPolicy, ARS)")


def _actor_critic(state: dict, data: dict, readable_kwargs: dict, common: dict, what: str) -> AgentSpec:
    _check_features(state, ("features_extractor.", "pi_features_extractor."), what)
    shared = _hidden_chain(_sequential(state, "mlp_extractor.shared_net.", what), "mlp_extractor.shared_net", what)
    policy = _hidden_chain(_sequential(state, "mlp_extractor.policy_net.", what), "mlp_extractor.policy_net", what)
    if not shared:
        _check_arch(policy, readable_kwargs.get("net_arch"), what)
    mu = _dense(state, "action_net.", what)
    log_std = _take(state, "log_std", what)
    use_sde = bool(data.get("use_sde", False))
    if log_std.ndim == 2 and not use_sde:
        use_sde = True  # the matrix only exists under gSDE
    squash = bool(readable_kwargs.get("squash_output", False))
    if squash and not use_sde:
        raise InputError(f"{what}: squash_output without use_sde cannot be built by SB3")
    return AgentSpec(
        layers=tuple(shared + policy), mu=mu,
        log_std="gsde" if use_sde else "parameter", log_std_param=log_std,
        gsde_expln=bool(readable_kwargs.get("use_expln", False)),
        squash=squash, action_transform="rescale" if squash else "clip", **common)


def _sac_actor(state: dict, readable_kwargs: dict, common: dict, what: str) -> AgentSpec:
    _check_features(state, ("actor.features_extractor.",), what)
    hidden = _hidden_chain(_sequential(state, "actor.latent_pi.", what), "actor.latent_pi", what)
    _check_arch(hidden, readable_kwargs.get("net_arch"), what)
    mean_clip = None
    if "actor.mu.0.weight" in state:  # Sequential(Linear, Hardtanh(-clip_mean, clip_mean)), gSDE only
        mu = _dense(state, "actor.mu.0.", what)
        mean_clip = float(readable_kwargs.get("clip_mean", 2.0))
    else:
        mu = _dense(state, "actor.mu.", what)
    if "actor.log_std.weight" in state:
        return AgentSpec(layers=tuple(hidden), mu=mu, log_std="layer", log_std_layer=_dense(state, "actor.log_std.",
                                                                                               what),
                         log_std_bounds=LOG_STD_BOUNDS, mean_clip=mean_clip, squash=True, action_transform="rescale",
                         **common)
    return AgentSpec(layers=tuple(hidden), mu=mu, log_std="gsde", log_std_param=_take(state, "actor.log_std", what),
                     gsde_expln=bool(readable_kwargs.get("use_expln", False)), mean_clip=mean_clip, squash=True,
                     action_transform="rescale", **common)


def _ars(state: dict, readable_kwargs: dict, common: dict, what: str, policy_name: str | None) -> AgentSpec:
    _check_features(state, ("features_extractor.",), what)
    if "action_net.weight" in state:  # sb3-contrib < 1.7 ARSLinearPolicy: nn.Linear, not a Sequential
        layers = [(0, _dense(state, "action_net.", what))]
    else:
        layers = _sequential(state, "action_net.", what)
    if not layers:
        raise InputError(f"{what}: the ARS policy has no action_net layers")
    hidden = _hidden_chain(layers[:-1], "action_net", what)
    linear = policy_name == "ARSLinearPolicy"
    squash = bool(readable_kwargs.get("squash_output", not linear))
    notes = () if policy_name else ("policy class not recorded; squashing taken from policy_kwargs or the MlpPolicy "
                                    "default",)
    common = {**common, "notes": common["notes"] + notes}
    return AgentSpec(layers=tuple(hidden), mu=layers[-1][1], log_std="none", squash=squash,
                     action_transform="rescale" if squash else "clip", **common)


def _policy_class(data: dict, what: str) -> tuple[str, str] | None:
    entry = data.get("policy_class")
    if not isinstance(entry, dict) or ":serialized:" not in entry:
        return None
    found = _blob_globals(entry, f"{what} (policy_class)")
    module = str(_readable(entry).get("__module__", ""))
    for mod, name in found:
        if mod.startswith(("stable_baselines3.", "sb3_contrib.")) and (not module or mod == module):
            return mod, name
    return (module, "") if module.startswith(("stable_baselines3.", "sb3_contrib.")) else None


def load_sb3(path: str | Path, algorithm: str | None = None, obs_norm: ObsNormalization | None = None) -> AgentSpec:
    """The actor of an SB3/sb3-contrib ``.zip`` as an :class:`AgentSpec`.

    ``algorithm`` overrides the name found from the file (which SB3 does not store: it is
    inferred from the policy class and the algorithm's saved settings). ``obs_norm`` attaches
    frozen observation normalization (from ``VecNormalize``) to the policy.
    """
    what = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{what}: cannot read the file ({exc.strerror or exc})") from None
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        names = set(archive.namelist())
        if "data" not in names or "policy.pth" not in names:
            raise InputError(f"{what}: not a Stable-Baselines3 model: the zip has no "
                             f"{'data' if 'data' not in names else 'policy.pth'}")
        data_text = archive.read("data")
        policy_pth = archive.read("policy.pth")
        version = archive.read("_stable_baselines3_version").decode("utf-8", "replace").strip() \
            if "_stable_baselines3_version" in names else None
    except InputError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zipfile.LargeZipFile, NotImplementedError) as exc:
        raise InputError(f"{what}: not a readable Stable-Baselines3 zip file ({type(exc).__name__}: {exc})") from None
    try:
        data = json.loads(data_text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{what}: the data member is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{what}: the data member is {type(data).__name__}; expected a JSON object")

    state = read_state_dict(policy_pth, f"{what} (policy.pth)")
    policy = _policy_class(data, what)
    found = _algorithm(data, state, policy, what)
    name = (algorithm or found).upper()
    if name not in _DEFAULT_ACTIVATION:
        raise InputError(f"{what}: algorithm {algorithm!r} is not supported; expected one of "
                         f"{sorted(_DEFAULT_ACTIVATION)}")
    if _FAMILY[name] != _FAMILY[found]:
        raise InputError(f"{what}: algorithm {algorithm!r} was given, but the policy's parameters are those of {found}")
    kwargs = data.get("policy_kwargs") or {}
    readable_kwargs = kwargs if isinstance(kwargs, dict) and ":serialized:" not in kwargs else _readable(kwargs)
    activation, note = _activation(kwargs, name, what)
    obs_shape, _ = _space(data.get("observation_space"), "observation_space", what)
    act_shape, act_readable = _space(data.get("action_space"), "action_space", what)
    low, high = _bounds(act_readable, act_shape, what)
    notes = tuple(n for n in (
        f"saved by stable-baselines3 {version}" if version else None,
        f"policy class {policy[0]}.{policy[1]}" if policy and policy[1] else None,
        note,
        f"algorithm given as {name}; the file looks like {found}" if algorithm and name != found else None,
    ) if n)
    common = dict(source="sb3-contrib" if name in ("TRPO", "TQC", "ARS") else "stable-baselines3", algorithm=name,
                  path=what, obs_shape=obs_shape, activation=activation, action_low=low, action_high=high,
                  obs_norm=obs_norm, notes=notes)
    if found in ("PPO", "A2C", "TRPO"):
        spec = _actor_critic(state, data, readable_kwargs, common, what)
    elif found in ("SAC", "TQC"):
        spec = _sac_actor(state, readable_kwargs, common, what)
    else:
        spec = _ars(state, readable_kwargs, common, what, policy[1] if policy else None)
    if spec.action_dim != int(np.prod(act_shape)):
        raise InputError(f"{what}: the actor outputs {spec.action_dim} actions but action_space has shape {act_shape}")
    return spec
