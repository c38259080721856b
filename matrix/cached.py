"""The released liquid-audio wheels for ``lfmdoctor run``'s report, without a matrix run.

``fetch_release_wheels`` fills the wheel cache (package index only), in the background of the job;
``affected_from_cache`` then reads, from the source of each cached release, which known bugs it has.
"""

from __future__ import annotations

import time

from lfmdoctor.bugs import BUG_IDS
from lfmdoctor.diagnose.detectors import detect_all
from lfmdoctor.matrix.releases import (
    MatrixError,
    cached_wheels,
    fetch_wheel,
    list_releases,
    pip_command,
    sort_versions,
    unpack,
    wheel_cache,
)
from lfmdoctor.matrix.results import describe_releases


def fetch_release_wheels(python: str, time_limit: float = 40.0) -> str:
    """Fetch the released liquid-audio wheels the matrix uses (package index only); cached after."""
    cache = wheel_cache()
    started = time.monotonic()
    try:
        pip = pip_command(python)
        listing = list_releases(pip, cache)
        for version in listing.versions:
            if time.monotonic() - started > time_limit:
                return "stopped: fetching release wheels took too long"
            if version not in cached_wheels(cache):
                fetch_wheel(version, lambda: pip, cache)
            unpack(cached_wheels(cache)[version], version, cache)
    except (MatrixError, OSError, KeyError) as exc:
        return f"release wheels unavailable: {exc}"
    return "ok"


def affected_from_cache() -> dict[str, str]:
    """Affected releases per bug, from the liquid-audio wheels ``lfmdoctor matrix`` has cached (no network).

    Static detection only; empty when nothing is cached.
    """
    cache = wheel_cache()
    wheels = cached_wheels(cache)
    present: dict[str, list[str]] = {bug_id: [] for bug_id in BUG_IDS}
    checked = []
    for version in sort_versions(wheels):
        try:
            package = unpack(wheels[version], version, cache) / "liquid_audio"
        except OSError:
            continue
        checked.append(version)
        for finding in detect_all(package):
            if finding.present:
                present[finding.id].append(version)
    if not checked:
        return {}
    suffix = f", read from the source of each release ({len(checked)} checked)"
    return {bug_id: describe_releases(found, checked) + suffix for bug_id, found in present.items()}
