"""The ruff upstream pins, with upstream's settings: what its CI would say of the changed files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from lfmdoctor.cache import cache_root
from lfmdoctor.patches.series.edits import SeriesError

RUFF_VERSION = "0.13.0"  # what upstream's uv.lock pins

# Folders of the package upstream's ruff leaves alone (vendored code, never formatted).
UPSTREAM_EXCLUDED = ("model/conformer", "moshi")
# Upstream's ruff settings (pyproject.toml of Liquid4All/liquid-audio); its CI runs `ruff check` and
# `ruff format --check` with them. The wheel ships no pyproject, so ``checkout`` writes this one.
UPSTREAM_RUFF = f"""\
[tool.ruff]
line-length = 127 # The GitHub editor is 127 chars wide
extend-exclude = [
{"".join(f'    "src/liquid_audio/{folder}",{chr(10)}' for folder in UPSTREAM_EXCLUDED)}]

[tool.ruff.lint]
select = ["E", "F", "UP", "B", "SIM", "I", "TRY", "PERF", "FURB", "RUF"]
ignore = [
    "W191", "E111", "E114", "E117", "E501", "D206", "D300", "Q000", "Q001", "Q002", "Q003",
    "COM812", "COM819", "ISC001", "ISC002", "SIM108", "E741", "TRY003", "B024",
]
"""


def upstream_ruff(cache: Path | None = None) -> Path:
    """The ruff upstream's lock pins, installed once with pip into the lfmdoctor cache; SeriesError if it cannot be."""
    target = (cache or cache_root()) / "tools" / f"ruff-{RUFF_VERSION}"
    exe = target / "bin" / ("ruff.exe" if os.name == "nt" else "ruff")
    if exe.is_file():
        return exe
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".ruff-", dir=target.parent))
    try:
        argv = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--target"]
        argv += [str(staging), f"ruff=={RUFF_VERSION}"]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0 or not (staging / exe.relative_to(target)).is_file():
            said = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise SeriesError(f"cannot install ruff {RUFF_VERSION} with pip: {said}")
        try:
            os.rename(staging, target)
        except OSError:
            if not exe.is_file():
                raise
    except subprocess.TimeoutExpired:
        raise SeriesError(f"installing ruff {RUFF_VERSION} with pip timed out") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return exe


def ruff_findings(ruff: Path, repo: Path, paths: Iterable[str]) -> list[str]:
    """What upstream's CI would report for ``paths`` of ``repo`` (``ruff check`` and ``ruff format --check`` with
    the repository's own settings, whose excluded folders stay excluded when named); [] when both pass."""
    paths = [path for path in paths if path.endswith(".py")]
    if not paths:
        return []
    found = []
    for argv in (
        ["check", "--no-cache", "--force-exclude", "--output-format", "concise"],
        ["format", "--check", "--no-cache", "--force-exclude"],
    ):
        done = subprocess.run([str(ruff), *argv, *paths], cwd=repo, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            found += [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return found
