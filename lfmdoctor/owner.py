"""Whose folder the liquid_audio an interpreter imports is: a copy an installer made (lfmdoctor may patch it),
or someone's own files (a link to a folder elsewhere, a git checkout, a project installed with ``pip install -e``),
which lfmdoctor changes only when asked (``--force``)."""

from __future__ import annotations

import os
from pathlib import Path

INSTALL_FOLDERS = ("site-packages", "dist-packages")
PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


def not_an_install(package_dir: Path) -> str | None:
    """Why ``package_dir`` is someone's own files rather than an installed copy, in words; None for a copy."""
    package_dir = Path(package_dir)
    if package_dir.is_symlink():
        return f"{package_dir} is a link to {Path(os.path.realpath(package_dir))}"
    for folder in [package_dir, *package_dir.parents]:
        if folder.name in INSTALL_FOLDERS:
            return None
        if (folder / ".git").exists():
            return f"{package_dir} is in {folder}, a git checkout"
        if any((folder / name).is_file() for name in PROJECT_FILES):
            return f"{package_dir} is in {folder}, a project's source tree (an editable install)"
    return None
