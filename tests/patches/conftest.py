"""Released liquid-audio files for the patch tests: wheels from lfmdoctor's cache (fetched once with pip)."""

from __future__ import annotations

import shutil
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

RELEASES = ("0.0.0a1", "1.0.0", "1.1.0", "1.2.0", "1.3.0")


@pytest.fixture(scope="session")
def release_package(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The unpacked ``liquid_audio`` folder of a release; skips when its wheel cannot be had."""
    from lfmdoctor.matrix.releases import MatrixError, fetch_wheel, pip_command, wheel_cache

    unpacked: dict[str, Path] = {}

    def get(release: str) -> Path:
        if release not in unpacked:
            try:
                wheel = fetch_wheel(release, lambda: pip_command(sys.executable), wheel_cache())
            except MatrixError as exc:
                pytest.skip(f"liquid-audio {release} wheel unavailable: {exc}")
            target = tmp_path_factory.mktemp(f"liquid-audio-{release}")
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(target, [m for m in archive.namelist() if m.startswith("liquid_audio/")])
            unpacked[release] = target / "liquid_audio"
        return unpacked[release]

    return get


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """LFMDOCTOR_CACHE in a temporary folder, so backups never land in the user's cache."""
    root = tmp_path / "cache"
    monkeypatch.setenv("LFMDOCTOR_CACHE", str(root))
    return root


def copy_package(source: Path, root: Path) -> Path:
    """``root/liquid_audio``: a copy of ``source`` to lay over the interpreter with PYTHONPATH=root."""
    return Path(shutil.copytree(source, root / "liquid_audio", ignore=shutil.ignore_patterns("__pycache__")))


def tree(package: Path) -> dict[str, tuple[bytes, int]]:
    """Every file (bytes, mode) below ``package``, __pycache__ aside: for byte-identity checks."""
    return {
        p.relative_to(package).as_posix(): (p.read_bytes(), p.stat().st_mode)
        for p in sorted(package.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }
