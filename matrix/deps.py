"""Dependency axes of the matrix: ``--with PACKAGE=SPEC[,SPEC...]``, each SPEC resolved to one release.

A SPEC is ``latest`` (the newest final release the target can install), a version (``4.57.6``), a
version pattern (``4.57.*``: the newest release it matches) or a PEP 440 specifier (``<5``, ``~=4.56``).
Versions come from ``pip index versions`` run for the target interpreter, cached for a day in
``<wheels>/index/<package>.json``; when the index cannot be reached, the last listing is used at any
age, so a matrix that ran once runs offline.

A SPEC that matches no release is not an error of the command: the cells that use it are results that
say so (``Resolved.version`` None, ``Resolved.problem`` why).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from lfmdoctor.matrix.releases import (
    DISTRIBUTION,
    LISTING_MAX_AGE_S,
    MatrixError,
    Runner,
    query_index,
    read_listing,
    run,
    sort_versions,
    write_listing,
)

LATEST = "latest"
_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
_OPERATOR = re.compile(r"^(===|==|!=|~=|<=|>=|<|>)")
WITH_EXAMPLE = "use PACKAGE=SPEC[,SPEC...], e.g. --with transformers=4.57.*,latest"


@dataclass(frozen=True)
class Axis:
    package: str  # canonical distribution name, e.g. "transformers"
    specs: tuple[str, ...]  # as given, e.g. ("4.57.*", "latest")


def specifier(spec: str) -> SpecifierSet | None:
    """The SpecifierSet a SPEC stands for; None for ``latest``. MatrixError when it is not a version pattern."""
    text = spec.strip()
    if text.lower() == LATEST:
        return None
    try:
        return SpecifierSet(text if _OPERATOR.match(text) else f"=={text}")
    except InvalidSpecifier:
        raise MatrixError(
            f"invalid version pattern {spec!r} in --with; use 'latest', a version or a pattern like 4.57.*"
        ) from None


def parse_with(values: Sequence[str]) -> list[Axis]:
    """``--with`` options -> axes, in the order given. MatrixError (one line) on bad input."""
    axes: list[Axis] = []
    for value in values:
        name, sep, specs_text = value.partition("=")
        name = name.strip()
        if not sep or not _NAME.match(name):
            raise MatrixError(f"invalid --with {value!r}; {WITH_EXAMPLE}")
        package = canonicalize_name(name)
        if package == DISTRIBUTION:
            raise MatrixError("--with liquid-audio: pick liquid-audio releases with --versions")
        if any(axis.package == package for axis in axes):
            raise MatrixError(f"--with {package} given twice; list its specs once: --with {package}=SPEC,SPEC")
        specs: list[str] = []
        for part in specs_text.split(","):
            part = part.strip()
            if not part:
                continue
            specifier(part)
            canonical = LATEST if part.lower() == LATEST else part
            if canonical not in specs:
                specs.append(canonical)
        if not specs:
            raise MatrixError(f"--with {package} names no version; {WITH_EXAMPLE}")
        axes.append(Axis(package, tuple(specs)))
    return axes


@dataclass(frozen=True)
class Resolved:
    package: str
    spec: str
    version: str | None  # the release the spec picks; None: none matches
    problem: str | None = None  # why there is no version


def pick(spec: str, versions: Sequence[str]) -> str | None:
    """The newest of ``versions`` the SPEC allows (pre-releases only where the pattern names one)."""
    parsed = []
    for version in versions:
        try:
            parsed.append(Version(version))
        except InvalidVersion:
            continue
    wanted = specifier(spec)
    if wanted is None:
        final = [v for v in parsed if not v.is_prerelease]
        return str(max(final or parsed)) if parsed else None
    allowed = list(wanted.filter(parsed))
    return str(max(allowed)) if allowed else None


def listing_name(package: str) -> str:
    return f"index/{package}.json"


def package_versions(
    package: str,
    pip_for: Callable[[], list[str]],
    cache: Path,
    *,
    runner: Runner = run,
    refresh: bool = False,
    now: Callable[[], float] = time.time,
) -> tuple[list[str], str]:
    """Every release of ``package`` the target can install, and where the list came from.

    A listing younger than a day is reused; else the index; else the last listing at any age; else
    MatrixError (the index cannot be reached and nothing was ever listed).
    """
    saved = read_listing(cache, listing_name(package))
    if saved and not refresh and now() - saved[1] < LISTING_MAX_AGE_S:
        return saved[0], "package index (listed within the last day, cached)"
    try:
        versions = query_index(pip_for(), runner, package)
    except MatrixError as exc:
        if saved:
            day = time.strftime("%Y-%m-%d", time.localtime(saved[1]))
            return saved[0], f"cached package-index listing from {day} ({exc})"
        raise
    if not versions:
        raise MatrixError(f"the package index has no release of {package} for this interpreter")
    write_listing(cache, versions, now(), listing_name(package))
    return versions, "package index"


def resolve_axis(
    axis: Axis, pip_for: Callable[[], list[str]], cache: Path, *, runner: Runner = run, now: Callable[[], float] = time.time
) -> tuple[list[Resolved], str]:
    """Each SPEC of the axis resolved to a release; a cached listing is refreshed once when a spec
    matches nothing in it (a release newer than the listing)."""
    versions, source = package_versions(axis.package, pip_for, cache, runner=runner, now=now)
    if any(pick(spec, versions) is None for spec in axis.specs) and source != "package index":
        try:
            versions, source = package_versions(axis.package, pip_for, cache, runner=runner, refresh=True, now=now)
        except MatrixError:
            pass
    resolved = []
    for spec in axis.specs:
        version = pick(spec, versions)
        problem = None
        if version is None:
            known = sort_versions(versions)
            shown = ", ".join(known[-5:]) if known else "none"
            problem = f"no {axis.package} release matches {spec} for this interpreter (newest: {shown})"
        resolved.append(Resolved(axis.package, spec, version, problem))
    return resolved, source
