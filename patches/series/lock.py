"""Upstream's locked environment: the pure-Python pins of liquid-audio's ``uv.lock``, laid over the installed
torch the way the dependency matrix lays its cells (``lfmdoctor.matrix.overlay.ensure_packages``), and cached.

A regression test that upstream runs sees these versions, not the newest ones: "fails before, passes after"
is measured here too (the test suite does it; ``run`` never does).
"""

from __future__ import annotations

from pathlib import Path

# Read from Liquid4All/liquid-audio's uv.lock at 251949e (main when fetched; the lock has not moved since).
# torch, torchaudio and the CUDA wheels stay as installed: only these are laid over them.
UPSTREAM_LOCK = (
    "accelerate==1.10.1",
    "huggingface-hub==0.34.4",
    "safetensors==0.6.2",
    "tokenizers==0.22.0",
    "transformers==4.56.1",
)


def upstream_lock_overlay(python: str, cache: Path) -> Path | None:
    """The folder to put first on ``PYTHONPATH`` for upstream's locked versions (None: the target has them all).

    Resolved and installed once (``MatrixError`` names what failed), then read from the cache offline."""
    from lfmdoctor.matrix.overlay import ensure_packages
    from lfmdoctor.matrix.releases import pip_command

    provision = ensure_packages(
        python,
        UPSTREAM_LOCK,
        lambda: pip_command(python),
        cache,
        record="upstream-lock.json",
        label="upstream-lock",
        what="upstream's locked environment",
        drop=("torch", "torchaudio", "numpy"),
    )
    return provision.path
