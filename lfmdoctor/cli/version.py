"""``lfmdoctor --version``: lfmdoctor's version and the liquid-audio and torch it sees (nothing imported)."""

from __future__ import annotations

from importlib import metadata

import typer

from lfmdoctor import __version__
from lfmdoctor.errors import ExitCode

SEEN = ("liquid-audio", "torch")


def installed(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions_text() -> str:
    return "\n".join([f"lfmdoctor {__version__}", *(f"{name} {installed(name)}" for name in SEEN)])


def show_version(value: bool) -> None:
    """Eager ``--version`` callback: print, and stop before any command runs."""
    if value:
        print(versions_text())
        raise typer.Exit(ExitCode.OK)
