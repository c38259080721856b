"""The stored source patches: one ``liquid-audio+<version>.patch`` per release, patch-package style.

Each is ``git diff`` output against the upstream layout (``src/liquid_audio/...``) behind a short
header (``git apply`` skips text before the first ``diff --git``)::

    lfmdoctor source patch for liquid-audio 1.3.0 ...
    Release: 1.3.0
    Fixes: processor-device, model-device, ...
    Original: src/liquid_audio/processor.py sha256 <hex>

The sha256 lines are how an installed copy is recognised as a release (its version string is only
shown, never trusted). Pure: reads package data, no other I/O.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from lfmdoctor.patches.unidiff import FileDiff, parse

PATCH_DIR = Path(__file__).resolve().parent
UPSTREAM_PREFIX = "src/liquid_audio/"
# {release: {package path: [sha256 of the file as an earlier version of lfmdoctor's patch wrote it]}}, kept by
# ``./dev generate``: how an install patched by an older lfmdoctor is told from a hand edit.
EARLIER = PATCH_DIR / "earlier.json"


def patch_name(release: str) -> str:
    return f"liquid-audio+{release}.patch"


def header(release: str, fixes: list[str], originals: dict[str, str]) -> str:
    """The header lines ``generate`` puts before the diff; ``originals`` maps package paths to sha256."""
    layout = "against upstream's layout (src/liquid_audio/...)."
    lines = [
        f"lfmdoctor source patch for liquid-audio {release}, {layout}",
        f"On a checkout of that release: git apply {patch_name(release)}",
        f"Release: {release}",
        f"Fixes: {', '.join(fixes)}",
        *(f"Original: {UPSTREAM_PREFIX}{path} sha256 {digest}" for path, digest in sorted(originals.items())),
    ]
    return "\n".join(lines) + "\n\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def package_path(upstream_path: str) -> str:
    """``src/liquid_audio/processor.py`` -> ``processor.py`` (the installed layout)."""
    if not upstream_path.startswith(UPSTREAM_PREFIX):
        raise ValueError(f"{upstream_path} is outside {UPSTREAM_PREFIX}")
    return upstream_path[len(UPSTREAM_PREFIX) :]


@dataclass(frozen=True)
class StoredPatch:
    release: str
    name: str  # file name
    text: str
    fixes: tuple[str, ...]
    originals: dict[str, str]  # package path -> sha256 of the release's file
    diffs: dict[str, FileDiff]  # package path -> its diff
    earlier: dict[str, frozenset[str]] = field(default_factory=dict)  # package path -> sha256s earlier patches wrote

    @property
    def paths(self) -> list[str]:
        return sorted(self.diffs)

    @property
    def diff(self) -> str:
        """The diff alone, without lfmdoctor's header: what goes into an upstream pull request."""
        return self.text[self.text.index("diff --git ") :]


def _field(lines: list[str], name: str) -> list[str]:
    return [line[len(name) + 2 :].strip() for line in lines if line.startswith(f"{name}: ")]


def read_patch(path: Path) -> StoredPatch:
    text = path.read_text()
    head = text.split("\ndiff --git ", 1)[0].splitlines()
    releases = _field(head, "Release")
    if len(releases) != 1:
        raise ValueError(f"{path.name} names no single Release")
    fixes = tuple(f.strip() for f in (_field(head, "Fixes") or [""])[0].split(",") if f.strip())
    originals = {}
    for entry in _field(head, "Original"):
        upstream, _, digest = entry.split()
        originals[package_path(upstream)] = digest
    diffs = {package_path(d.old_path): d for d in parse(text)}
    if set(diffs) != set(originals):
        raise ValueError(f"{path.name}: the Original lines and the diffs name different files")
    return StoredPatch(releases[0], path.name, text, fixes, originals, diffs)


@cache
def stored_patches() -> tuple[StoredPatch, ...]:
    """Every stored patch, oldest release first."""
    from packaging.version import Version

    written = read_earlier()
    found = [read_patch(p) for p in PATCH_DIR.glob("liquid-audio+*.patch")]
    found = [replace(p, earlier={k: frozenset(v) for k, v in written.get(p.release, {}).items()}) for p in found]
    return tuple(sorted(found, key=lambda p: Version(p.release)))


def read_earlier() -> dict[str, dict[str, list[str]]]:
    try:
        return json.loads(EARLIER.read_text())
    except FileNotFoundError:
        return {}


def patch_for(release: str) -> StoredPatch | None:
    return next((p for p in stored_patches() if p.release == release), None)
