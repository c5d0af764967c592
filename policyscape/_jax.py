"""JAX helpers: float64 without touching the user's global JAX configuration."""

from __future__ import annotations

import functools

import jax


def float64(fn):
    """Run ``fn`` with JAX's 64-bit mode enabled locally (``jax.enable_x64``), restoring it after."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with jax.enable_x64(True):
            return fn(*args, **kwargs)

    return wrapper
