"""Real releases for the matrix tests: wheels fetched once into a persistent cache, then reused offline.

The cache is ``$LFMDOCTOR_TEST_CACHE`` or ``~/.cache/lfmdoctor-test`` (used as ``LFMDOCTOR_CACHE`` by
the CLI runs below), so a rerun, locally or in CI with a cached home, asks the index for nothing.

Each matrix is built once per session and shared by the tests that read it: both releases with the
reproductions, in process so the test can see what ran (``repro_matrix``); both releases through the
CLI with --no-repro (``static_json``); and, for the slow test, 1.0.0 through the CLI with --provision
(``provisioned_json``). ``cells_static`` is 1.0.0 and 1.3.0 x transformers 4.57.* and latest (``--with``),
imported for real, without the reproductions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lfmdoctor.matrix import MatrixError, MatrixResult, build_matrix
from lfmdoctor.matrix import build as matrix_build
from lfmdoctor.matrix.cells import build_cells
from lfmdoctor.matrix.deps import parse_with
from lfmdoctor.matrix.results import CellMatrix

RELEASES = "1.0.0,1.3.0"
CELL_RELEASES, CELL_AXES = "1.0.0,1.3.0", ["transformers=4.57.*,latest"]


def _skip_if_offline(exc: MatrixError | str) -> None:
    if "cannot download" in str(exc) or "cannot be reached" in str(exc) or "cannot list" in str(exc):
        pytest.skip(f"the package index is unreachable and the wheels are not cached: {exc}")


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


def cli_json(cli, *args: str, env: dict[str, str]) -> dict[str, Any]:
    done = cli("matrix", *args, "--json", env=env)
    if done.returncode == 2:
        _skip_if_offline(done.stderr)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="session")
def static_json(cli, cli_env: dict[str, str]) -> dict[str, Any]:
    """``lfmdoctor matrix --versions 1.3.0,1.0.0 --no-repro --json``: detection and a real import only."""
    return cli_json(cli, "--versions", "1.3.0,1.0.0", "--no-repro", env=cli_env)


@pytest.fixture(scope="session")
def provisioned_json(cli, cli_env: dict[str, str]) -> dict[str, Any]:
    """``lfmdoctor matrix --versions 1.0.0 --provision --json``: 1.0.0 run with transformers 4.57."""
    return cli_json(cli, "--versions", "1.0.0", "--provision", env=cli_env)


@pytest.fixture(scope="session")
def cuda_usable() -> bool:
    """Whether this interpreter's torch sees a usable GPU: then the device bugs do not show by default."""
    code = "import torch; print(torch.cuda.is_available())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return done.stdout.strip() == "True"


class Calls:
    """What ``build_matrix`` ran in the target interpreter (spied, not replaced)."""

    def __init__(self) -> None:
        self.checks: list[tuple[str, bool]] = []  # (overlay, import_it)
        self.reproductions: list[str] = []  # overlay of each engine run


def _spied_build(versions: str, calls: Calls, **options: Any) -> MatrixResult:
    check, reproduce_release = matrix_build.check_import, matrix_build.reproduce.reproduce_release

    def spy_check(python: str, paths: list[Path], *, import_it: bool = True, **kw: Any) -> Any:
        calls.checks.append((str(paths[0]), import_it))
        return check(python, paths, import_it=import_it, **kw)

    def spy_reproduce(python: str, paths: list[Path], bug_ids: Any) -> Any:
        calls.reproductions.append(str(paths[0]))
        return reproduce_release(python, paths, bug_ids)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matrix_build, "check_import", spy_check)
        patch.setattr(matrix_build.reproduce, "reproduce_release", spy_reproduce)
        try:
            return build_matrix(sys.executable, versions, **options)
        except MatrixError as exc:
            _skip_if_offline(exc)
            raise


@pytest.fixture(scope="session")
def repro_calls() -> Calls:
    return Calls()


@pytest.fixture(scope="session")
def repro_matrix(wheels: Path, repro_calls: Calls) -> MatrixResult:
    """1.0.0 and 1.3.0 laid over this interpreter, the reproductions run against each (no --provision)."""
    return _spied_build(RELEASES, repro_calls, cache=wheels)


@pytest.fixture(scope="session")
def cells_static(wheels: Path) -> CellMatrix:
    """1.0.0 and 1.3.0 x transformers 4.57.* and latest, imported for real, without the reproductions."""
    try:
        result = build_cells(sys.executable, CELL_RELEASES, parse_with(CELL_AXES), repro=False, cache=wheels)
    except MatrixError as exc:
        _skip_if_offline(exc)
        raise
    for cell in result.cells:
        if not cell.built:
            _skip_if_offline(cell.import_problem or "")
    return result


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
