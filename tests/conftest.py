"""Shared fixtures: the real liquid-audio install, the built-in tiny checkpoint, editable copies."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from lfmdoctor.bugs._spec import RELEASES

LATEST = RELEASES[-1]


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


def wheel_cache() -> Path:
    return Path(os.environ.get("LFMDOCTOR_CACHE") or Path.home() / ".cache" / "lfmdoctor" / "wheels")


def cached_wheel(release: str, cache: Path) -> Path | None:
    found = sorted(cache.glob(f"liquid_audio-{release}-*.whl"))
    return found[0] if found else None


class WheelUnavailable(Exception):
    """pip could not fetch a release's wheel; the message says why."""


def download_wheel(release: str, cache: Path) -> Path:
    """The release's wheel from the cache, fetched there with pip first if needed."""
    wheel = cached_wheel(release, cache)
    if wheel is not None:
        return wheel
    cache.mkdir(parents=True, exist_ok=True)
    command = [
        *(sys.executable, "-m", "pip", "download", "--no-deps", f"liquid-audio=={release}"),
        *("--python-version", "3.12", "--only-binary=:all:", "-d", str(cache)),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        said = (done.stderr.strip().splitlines() or ["no output"])[-1]
    except (OSError, subprocess.TimeoutExpired) as exc:
        said = str(exc)
    wheel = cached_wheel(release, cache)
    if wheel is None:
        raise WheelUnavailable(f"cannot download the liquid-audio {release} wheel with pip ({said})")
    return wheel


def unpack(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp(wheel.stem)
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target / "liquid_audio"


@pytest.fixture(scope="session")
def release_package(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Returns the unpacked ``liquid_audio`` directory of a release; skips when its wheel cannot be had."""
    unpacked: dict[str, Path] = {}
    unavailable: dict[str, str] = {}

    def get(release: str) -> Path:
        if release not in unpacked and release not in unavailable:
            try:
                unpacked[release] = unpack(download_wheel(release, wheel_cache()), tmp_path_factory)
            except WheelUnavailable as exc:
                unavailable[release] = str(exc)
        if release in unavailable:
            pytest.skip(unavailable[release])
        return unpacked[release]

    return get


@pytest.fixture(scope="session")
def release_findings(release_package: Callable[[str], Path]) -> Callable[[str], dict]:
    """{bug id: BugFinding} for a release's unpacked package, computed once."""
    from lfmdoctor.diagnose.detectors import detect_all

    computed: dict[str, dict] = {}

    def get(release: str) -> dict:
        if release not in computed:
            computed[release] = {finding.id: finding for finding in detect_all(release_package(release))}
        return computed[release]

    return get


@pytest.fixture
def latest_copy(release_package: Callable[[str], Path], tmp_path: Path) -> Path:
    return Path(shutil.copytree(release_package(LATEST), tmp_path / "liquid_audio"))


@pytest.fixture(scope="session")
def dead_pid() -> int:
    """A process id that no process has now: what a killed lfmdoctor leaves in its temporary names."""
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except OSError:
            pass
        pid -= 1


# Tests that share costly session fixtures across files run on one xdist worker (`./dev test` runs two):
# the bugs' reproductions and regression runs, and the matrices. Any other file stays whole on one worker.
SHARED_GROUPS = ("bugs", "matrix")


# The work units of 20 s or more on 2 cores, costliest first (measured with each test's start and end): handed out
# first, so that the two workers end together instead of one finishing a long unit alone.
COSTLIEST_FIRST = (
    "matrix",
    "bugs",
    "repro/test_repro.py",
    "cli/test_faults.py",
    "test_new_bug.py",
    "patches/test_source_faults.py",
    "cli/test_bench.py",
    "patches/test_source_foreign.py",
    "bench/test_fullsize.py",
    "patches/test_runtime.py",
    "report/test_report.py",
    "cli/test_patch.py",
    "cli/test_report.py",
    "triage/test_corpus.py",
    "cli/test_exec_readme.py",
    "repro/test_import_time.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        relative = Path(str(item.path)).relative_to(Path(__file__).parent).as_posix()
        return next(
            (i for i, unit in enumerate(COSTLIEST_FIRST) if relative.startswith(unit + ("/" if "." not in unit else ""))),
            len(COSTLIEST_FIRST),
        )

    items.sort(key=rank)  # stable: the order within each unit stays as collected


def pytest_itemcollected(item: pytest.Item) -> None:
    """Marked as each test is collected: xdist reads the groups before other collection hooks run."""
    relative = Path(str(item.path)).relative_to(Path(__file__).parent)
    group = relative.parts[0] if relative.parts[0] in SHARED_GROUPS else relative.as_posix()
    item.add_marker(pytest.mark.xdist_group(group))
