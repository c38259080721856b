"""Shared fixtures: the real liquid-audio install, the built-in tiny checkpoint, editable copies."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def liquid_audio_dir() -> Path:
    spec = importlib.util.find_spec("liquid_audio")
    assert spec is not None and spec.origin, "liquid-audio must be installed in the test interpreter"
    return Path(spec.origin).parent


@pytest.fixture(scope="session")
def tiny_checkpoint() -> Path:
    from lfmdoctor.repro.fixture import ensure_fixture

    return ensure_fixture(detokenizer=True)


class Overlay:
    """A folder holding an editable copy of liquid_audio; put ``str(overlay)`` on PYTHONPATH."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.package = root / "liquid_audio"

    def __str__(self) -> str:
        return str(self.root)

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.package / relative
        text = path.read_text()
        assert old in text, f"{old!r} not found in {relative}"
        path.write_text(text.replace(old, new))


@pytest.fixture
def liquid_audio_copy(tmp_path, liquid_audio_dir) -> Overlay:
    """An editable copy of the installed liquid_audio, to lay over it with PYTHONPATH."""
    overlay = Overlay(tmp_path / "overlay")
    shutil.copytree(liquid_audio_dir, overlay.package, ignore=shutil.ignore_patterns("__pycache__"))
    return overlay


def run_cli(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "lfmdoctor", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="session")
def cli():
    """Run ``python -m lfmdoctor ARGS`` with ``env`` laid over this environment; returns the CompletedProcess."""
    return run_cli
