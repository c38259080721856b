"""The one PYTHONPATH helper: put folders in front of what a child interpreter would search."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path


def prepend(paths: Sequence[str | Path], base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default: this process's environment) with ``paths`` first on PYTHONPATH."""
    env = dict(os.environ if base is None else base)
    parts = [str(p) for p in paths if str(p)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    if parts:
        env["PYTHONPATH"] = os.pathsep.join(parts)
    return env
