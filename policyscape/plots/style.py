"""Shared figure helpers: headless backend, one save function."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from policyscape.files import atomic_write_bytes  # noqa: E402


def save_figure(fig, path: Path | str, dpi: int = 120) -> Path:
    """Save ``fig`` as PNG atomically and close it."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(Path(path), buf.getvalue())
    return Path(path)


__all__ = ["plt", "save_figure"]
