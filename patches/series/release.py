"""A liquid-audio release on disk (I/O): read its package from a ``liquid_audio`` folder or a wheel, tell which
release it is, and find the one an interpreter imports; ``standalone_diff`` is one bug's change on it."""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

from lfmdoctor.bugs import BUGS, get_bug
from lfmdoctor.bugs._spec import RELEASES, Bug
from lfmdoctor.patches.series.build import standalone_text
from lfmdoctor.patches.series.edits import SeriesError


def read_package(source: Path) -> dict[str, bytes]:
    """Every file of a ``liquid_audio`` folder or of a wheel's ``liquid_audio/``: path inside the package -> bytes."""
    source = Path(source)
    if source.is_file():
        try:
            with zipfile.ZipFile(source) as archive:
                return {
                    name.removeprefix("liquid_audio/"): archive.read(name)
                    for name in archive.namelist()
                    if name.startswith("liquid_audio/") and not name.endswith("/") and "__pycache__" not in name
                }
        except zipfile.BadZipFile:
            raise SeriesError(f"{source} is not a wheel; pass a liquid_audio folder or a liquid-audio wheel") from None
    if not (source / "__init__.py").is_file():
        raise SeriesError(f"{source} is not a liquid_audio package folder (no __init__.py); pass the folder or a wheel")
    return {
        path.relative_to(source).as_posix(): path.read_bytes()
        for path in sorted(source.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def _stored_release(files: Mapping[str, bytes], hint: str | None) -> str | None:
    """The release whose stored-patch originals (sha256) these files match; ``hint`` wins among equals."""
    from lfmdoctor.patches.stored import stored_patches

    matches = [
        patch.release
        for patch in stored_patches()
        if all(path in files and hashlib.sha256(files[path]).hexdigest() == digest for path, digest in patch.originals.items())
    ]
    return hint if hint in matches else (matches[-1] if matches else None)


def _metadata_version(source: Path) -> str | None:
    if source.is_file():
        match = re.match(r"liquid_audio-([^-]+)-", source.name)
        return match.group(1) if match else None
    for info in sorted(source.parent.glob("liquid_audio-*.dist-info")):
        return info.name.removeprefix("liquid_audio-").removesuffix(".dist-info")
    return None


def release_of(source: Path, files: Mapping[str, bytes] | None = None) -> str:
    """Which known release a ``liquid_audio`` folder or wheel is: by the files' sha256, else its version."""
    source = Path(source)
    files = read_package(source) if files is None else files
    version = _metadata_version(source)
    found = _stored_release(files, version)
    if found is None and version in RELEASES:
        found = version
    if found is None:
        raise SeriesError(
            f"{source} is no known liquid-audio release ({', '.join(RELEASES)}) by its files or its version; "
            "pass --python with an unpatched release installed"
        )
    return found


def package_texts(files: Mapping[str, bytes], release: str) -> dict[str, str]:
    """The text of every file a known bug's edits or detector read on ``release``."""
    needed = {edit.path for bug in BUGS for edit in bug.edits if edit.applies(release)} | {bug.module for bug in BUGS}
    return {path: files[path].decode("utf-8") for path in needed if path in files}


def standalone_diff(bug: Bug | str, source: Path, release: str | None = None, short: bool = False) -> str:
    """One bug's change as a small unified diff that applies alone (``git apply``) on the release in
    ``source`` (its ``liquid_audio`` folder or wheel); "" when the release needs no change for it."""
    bug = get_bug(bug) if isinstance(bug, str) else bug
    files = read_package(Path(source))
    release = release or release_of(Path(source), files)
    return standalone_text(bug, release, package_texts(files, release), short)


def installed_source(python: str) -> tuple[Path, str]:
    """Where to read the release that ``python`` imports, and which release it is: the installed folder
    when its files are the release's, else the release's wheel (cached, or downloaded with pip)."""
    from lfmdoctor.matrix.releases import fetch_wheel, pip_command, wheel_cache
    from lfmdoctor.patches import source as installed

    package_dir, version = installed.locate(python)
    plan = installed.plan(package_dir, version)
    if plan.state == installed.APPLICABLE and plan.patch is not None:
        return package_dir, plan.patch.release
    release = plan.patch.release if plan.patch else version
    if release not in RELEASES:
        raise SeriesError(
            f"the liquid_audio in {package_dir} is no known release ({plan.detail}); "
            f"pass --python with one of {', '.join(RELEASES)} installed"
        )
    return fetch_wheel(release, lambda: pip_command(python), wheel_cache()), release
