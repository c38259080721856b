"""The built-in tiny checkpoint: built once per option set in a user cache dir, then reused.

The build runs ``fixture_builder.py`` in the target interpreter (it needs torch and liquid-audio),
into a temporary sibling folder that is renamed into place only when complete, so an interrupted
build never leaves a half-written checkpoint behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from lfmdoctor.cache import cache_root
from lfmdoctor.errors import LfmdoctorError

BUILDER = Path(__file__).with_name("fixture_builder.py")
DEFAULT_SEED = 0


class FixtureError(LfmdoctorError):
    """The checkpoint could not be built (one line: what failed and what to do)."""


def fixture_key(seed: int, detokenizer: bool, mimi: bool, steered: bool = False) -> str:
    digest = hashlib.sha256(BUILDER.read_bytes())
    digest.update(f"seed={seed};detokenizer={detokenizer};mimi={mimi}".encode())
    if steered:
        digest.update(b";steered")
    return digest.hexdigest()[:16]


def builder_argv(python: str, out: Path, seed: int, detokenizer: bool, mimi: bool, steered: bool = False) -> list[str]:
    argv = [python, str(BUILDER), str(out), "--seed", str(seed)]
    flags = {"--detokenizer": detokenizer, "--mimi": mimi, "--steer": steered}
    return argv + [flag for flag, on in flags.items() if on]


def build_into(
    out: Path,
    *,
    python: str | None = None,
    seed: int = DEFAULT_SEED,
    detokenizer: bool = False,
    mimi: bool = False,
    steered: bool = False,
    timeout: float = 600,
) -> Path:
    """Build into ``out`` (must not exist or be empty), atomically. ``steered``: weights that make generation
    follow the builder's SCRIPT (text, audio frames, end of audio, <|im_end|>) instead of random ones."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FixtureError(f"{out} exists and is not an empty folder; choose a new folder or empty it")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        argv = builder_argv(python or sys.executable, staging, seed, detokenizer, mimi, steered)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise FixtureError(f"building the tiny checkpoint took over {timeout:g} s; retry on a less busy machine") from None
        if done.returncode != 0:
            lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
            last = lines[-1] if lines else f"exit code {done.returncode}"
            if last.startswith(("ImportError", "ModuleNotFoundError")) and "'liquid_audio'" not in last:
                from lfmdoctor.diagnose.check import import_fix  # liquid-audio is there, but something it needs is not

                raise FixtureError(f"liquid-audio does not import in {argv[0]} ({last}); {import_fix(last, None)}")
            raise FixtureError(f"building the tiny checkpoint failed: {last} (is liquid-audio installed in {argv[0]}?)")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)  # mkdtemp made it private
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def ensure_fixture(
    *,
    python: str | None = None,
    seed: int = DEFAULT_SEED,
    detokenizer: bool = False,
    mimi: bool = False,
    steered: bool = False,
) -> Path:
    """Return the cached checkpoint for these options, building it on first use."""
    target = cache_root() / "fixtures" / fixture_key(seed, detokenizer, mimi, steered)
    if (target / "model.safetensors").is_file():
        return target
    try:
        return build_into(target, python=python, seed=seed, detokenizer=detokenizer, mimi=mimi, steered=steered)
    except OSError:
        # Another process finished the same build first.
        if (target / "model.safetensors").is_file():
            return target
        raise
