"""lfmdoctor's cache folder, shared by every step: checkpoints, wheels, overlays, backups, tools."""

from __future__ import annotations

import os
from pathlib import Path

from lfmdoctor.errors import LfmdoctorError


class CacheUnusable(LfmdoctorError):
    """The cache location is a file, below a file, or where nothing can be written (one line)."""


def cache_root() -> Path:
    """lfmdoctor's cache folder: $LFMDOCTOR_CACHE, else $XDG_CACHE_HOME/lfmdoctor, else ~/.cache/lfmdoctor.

    Raises ``CacheUnusable`` where it cannot be one (a file in the way, a folder nothing can be made in).
    """
    explicit = os.environ.get("LFMDOCTOR_CACHE")
    if explicit:
        root = Path(explicit)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = Path(base) / "lfmdoctor"
    _check_cache(root)
    return root


def _check_cache(root: Path) -> None:
    """``root`` must be a folder, made here if it does not exist yet."""
    if root.is_dir():
        return
    try:
        root.mkdir(parents=True, exist_ok=True)
        return
    except OSError as exc:
        blocker = next((part for part in root.parents if os.path.lexists(part) and not part.is_dir()), None)
        why = f"{blocker or root} is a file, not a folder" if blocker or root.exists() else exc.strerror or str(exc)
    raise CacheUnusable(
        f"the lfmdoctor cache {root} cannot be used ({why}); "
        "set LFMDOCTOR_CACHE to a writable folder (or fix XDG_CACHE_HOME, HOME)"
    )
