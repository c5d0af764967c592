"""Parameter layouts: named groups of parameters with shapes ↔ one flat vector θ.

Every policy has a :class:`Layout` (``policy.layout``); everything that needs to know where a
weight lives in θ asks it: the policies' own forward passes (``unravel``), the conversion
between policies (e.g. the tabular softmax θ ↔ the one-hot ``LinearSoftmax`` θ), filter
normalization of directions (``filter_groups``), and the tests.

θ is the concatenation of the groups in order, each raveled row-major (C order)::

    θ = concat(ravel(group_0), ravel(group_1), …),   n = Σ_g prod(shape_g)

``unravel`` and ``ravel`` work on a leading batch: θ ``[..., n]`` ↔ ``{name: [..., *shape]}``,
with numpy or JAX arrays alike (only slicing, ``reshape`` and ``concatenate`` are used; ``ravel``
takes the array namespace ``xp``).

Filters (Li et al. 2018, "Visualizing the loss landscape of neural nets", Section 4): a weight
matrix declares the axis of its *output units* (``filter_axis``); each output unit's incoming
weights form one filter. A group without a filter axis (a bias, a log σ) is one filter of its own.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from policyscape.errors import InputError


class Group(NamedTuple):
    """One named parameter array of a layout."""

    name: str
    shape: tuple[int, ...]
    filter_axis: int | None = None
    """Axis of the output units (one filter per index along it); None: the whole group is one filter."""

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class Layout(NamedTuple):
    """Named groups ↔ flat θ (module docstring). Hashable, so it can key caches."""

    groups: tuple[Group, ...]

    @property
    def size(self) -> int:
        """n, the length of θ."""
        return sum(g.size for g in self.groups)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(g.name for g in self.groups)

    def slices(self) -> dict[str, slice]:
        """Where each group lives in θ: ``{name: slice(start, stop)}``."""
        return dict(_slices(self))

    def indices(self, name: str) -> np.ndarray:
        """Indices into θ of group ``name``, shaped like the group: ``[*shape]`` ints."""
        for g, sl in zip(self.groups, self.slices().values()):
            if g.name == name:
                return np.arange(sl.start, sl.stop).reshape(g.shape)
        raise InputError(f"no parameter group {name!r}; groups: {', '.join(self.names)}")

    def unravel(self, theta) -> dict:
        """θ ``[..., n]`` → ``{name: [..., *shape]}`` (views where the array type allows)."""
        if theta.shape[-1:] != (self.size,):
            raise InputError(f"theta has length {theta.shape[-1:]}, expected {self.size} ({self.describe()})")
        lead = theta.shape[:-1]
        return {g.name: theta[..., sl].reshape(*lead, *g.shape) for g, sl in zip(self.groups, _slices(self).values())}

    def ravel(self, params: Mapping, xp=np):
        """``{name: [..., *shape]}`` (every group, any order) → θ ``[..., n]``; ``xp``: numpy or jax.numpy."""
        missing = [g.name for g in self.groups if g.name not in params]
        extra = sorted(set(params) - set(self.names))
        if missing or extra:
            raise InputError(f"parameters must be exactly the groups {self.names}; missing {missing}, unexpected {extra}")
        parts = []
        for g in self.groups:
            p = params[g.name]
            if tuple(p.shape[p.ndim - len(g.shape):]) != g.shape or p.ndim < len(g.shape):
                raise InputError(f"parameter group {g.name!r} must have trailing shape {g.shape}, got {tuple(p.shape)}")
            parts.append(p.reshape(*p.shape[: p.ndim - len(g.shape)], g.size))
        return xp.concatenate(parts, axis=-1)

    def filter_groups(self) -> list[np.ndarray]:
        """The filters of filter normalization: a partition of ``0 … n − 1`` (module docstring).

        Per group in order: one index array per output unit (along ``filter_axis``, indices in
        increasing order), or the whole group when it has no filter axis.
        """
        out = []
        for g in self.groups:
            idx = self.indices(g.name)
            if g.filter_axis is None:
                out.append(idx.ravel())
            else:
                out.extend(np.sort(f.ravel()) for f in np.moveaxis(idx, g.filter_axis, 0))
        return out

    def describe(self) -> str:
        """E.g. ``weight [11, 3] + bias [3] = 36``."""
        terms = " + ".join(f"{g.name} {list(g.shape)}" for g in self.groups)
        return f"{terms} = {self.size}"


@functools.cache
def _slices(layout: Layout) -> dict[str, slice]:
    out, start = {}, 0
    for g in layout.groups:
        out[g.name] = slice(start, start + g.size)
        start += g.size
    return out
