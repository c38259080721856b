"""Real releases for the matrix tests: wheels fetched once into a persistent cache, then reused offline.

The cache is ``$LFMDOCTOR_TEST_CACHE`` or ``~/.cache/lfmdoctor-test`` (used as ``LFMDOCTOR_CACHE`` by
the CLI runs below), so a rerun, locally or in CI with a cached home, asks the index for nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from lfmdoctor.matrix import MatrixError, MatrixResult, build_matrix

RELEASES = "1.0.0,1.3.0"


@pytest.fixture(scope="session")
def cache_home() -> Path:
    """What LFMDOCTOR_CACHE points at for these tests (the wheels live in its ``wheels/``)."""
    root = Path(os.environ.get("LFMDOCTOR_TEST_CACHE") or Path.home() / ".cache" / "lfmdoctor-test")
    root.mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture(scope="session")
def wheels(cache_home: Path) -> Path:
    return cache_home / "wheels"


@pytest.fixture(scope="session")
def cli_env(cache_home: Path) -> dict[str, str]:
    return dict(os.environ, LFMDOCTOR_CACHE=str(cache_home))


@pytest.fixture(scope="session")
def two_releases(wheels: Path) -> MatrixResult:
    """1.0.0 and 1.3.0 laid over this interpreter, static detection only (no reproductions)."""
    try:
        return build_matrix(sys.executable, RELEASES, repro=False, cache=wheels)
    except MatrixError as exc:
        if "cannot download" in str(exc):
            pytest.skip(f"the package index is unreachable and the wheels are not cached: {exc}")
        raise


@pytest.fixture
def unreachable_index(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """pip sees only an index on a closed local port: any request fails at once."""
    settings = {
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
        "PIP_EXTRA_INDEX_URL": "",
        "PIP_FIND_LINKS": "",
        "PIP_NO_CACHE_DIR": "1",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return settings
