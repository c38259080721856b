"""Decide from liquid-audio's source code which known bugs an installed copy contains.

Each bug module's detector (``lfmdoctor.bugs``) parses one file of the ``liquid_audio`` package with
``ast`` and looks for the shape of its bug, never importing the package or reading a version number,
so a patched or reformatted copy reads correctly. A detector that cannot tell gives ``present=None``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from lfmdoctor.bugs import BUGS
from lfmdoctor.bugs._ast import Package
from lfmdoctor.bugs._spec import Bug, CannotTell
from lfmdoctor.results import BugFinding


def _evidence(path: Path, node: ast.AST | None) -> str | None:
    line = getattr(node, "lineno", None)
    return None if line is None else f"{path}:{line}"


def detect(bug: Bug, package: Package) -> BugFinding:
    predates = package.has("__init__.py") and not any(package.has(path) for path in bug.absent_without)
    if bug.absent_without and predates:
        names = " or ".join(bug.absent_without)
        return BugFinding(
            id=bug.id,
            title=bug.title,
            present=False,
            evidence=None,
            detail=f"This release has no {names}, so it cannot have this bug.",
        )
    try:
        source = package.source(bug.module)
        verdict = bug.detect(source)
    except CannotTell as exc:
        return _unknown(bug, str(exc))
    except Exception as exc:
        return _unknown(bug, f"The source check failed on this code ({type(exc).__name__}: {exc}).")
    evidence = _evidence(source.path, verdict.node)
    return BugFinding(id=bug.id, title=bug.title, present=verdict.present, evidence=evidence, detail=verdict.detail)


def _unknown(bug: Bug, reason: str) -> BugFinding:
    return BugFinding(id=bug.id, title=bug.title, present=None, evidence=None, detail=reason)


def detect_all(package_dir: Path) -> list[BugFinding]:
    """One finding per known bug, in registry order, decided from the package's source."""
    package = Package(package_dir)
    return [detect(bug, package) for bug in BUGS]
