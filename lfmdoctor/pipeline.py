"""The steps of the main job, each a function from inputs to typed results (no terminal output here).

check -> repro -> patch verify -> short bench -> report. ``lfmdoctor run`` and ``lfmdoctor report``
call these; each step that cannot run here comes back as None with the reason, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lfmdoctor.results import CheckReport, ReproOutcome


@dataclass
class Step:
    """What one step produced, or why it produced nothing."""

    name: str
    ok: bool
    detail: str
    seconds: float = 0.0


def run_check(python: str) -> CheckReport:
    from lfmdoctor.diagnose.check import build_report
    from lfmdoctor.diagnose.detectors import detect_all
    from lfmdoctor.diagnose.environment import collect
    from lfmdoctor.repro.fixture import cache_root

    env = collect(python, cache_dir=cache_root())
    location = env.liquid_audio.location
    return build_report(env, detect_all(Path(location) if location else None))  # type: ignore[arg-type]


def run_repro(
    python: str, model, bug_ids: list[str] | None = None, emit_dir: Path | None = None, timeout: float = 120.0
) -> list[ReproOutcome]:
    from lfmdoctor.repro.cases import select
    from lfmdoctor.repro.emit import emit_scripts
    from lfmdoctor.repro.engine import run_cases

    cases = select(bug_ids)
    if emit_dir is not None:
        emit_scripts(cases, model, emit_dir)
    return run_cases(python, cases, model, timeout=timeout)


def affected_from_cache() -> dict[str, str]:
    """Affected releases per bug, from the liquid-audio wheels ``lfmdoctor matrix`` has cached (no network).

    Static detection only; empty when nothing is cached.
    """
    from lfmdoctor.catalog import BUG_IDS
    from lfmdoctor.diagnose.detectors import detect_all
    from lfmdoctor.matrix.releases import cached_wheels, sort_versions, unpack, wheel_cache
    from lfmdoctor.matrix.results import describe_releases

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
    suffix = f", decided from the source of each release ({len(checked)} checked by lfmdoctor matrix)"
    return {bug_id: describe_releases(found, checked) + suffix for bug_id, found in present.items()}


def run_bench_pair(python: str) -> tuple[dict | None, dict | None, str]:
    """ASR on the built-in clips as the seed wrote it (strategy none), then with the call-site fix."""
    from lfmdoctor.bench.core import BenchConfig, BenchInputError, run_bench

    results = []
    for strategy in ("none", "callsite"):
        config = BenchConfig(strategy=strategy, python=python, runs=1, warmup=0, baselines=False)
        try:
            results.append(run_bench(config, None).to_json())
        except BenchInputError as exc:
            return None, None, f"bench could not run: {exc}"
    return results[0], results[1], "ok"


def run_verify(python: str, model, bug_ids: list[str] | None = None, before: list[ReproOutcome] | None = None) -> list[dict]:
    """Every reproduction re-run with each fix strategy: [{id, bug, strategy, before, after, reason}]."""
    from lfmdoctor.patches.verify import verify_strategies

    return [r.to_json() for r in verify_strategies(python, model, bug_ids=bug_ids, before=before)]


def stored_diff(check: CheckReport) -> tuple[str | None, str | None]:
    """(file name, unified diff) of the stored source fix for the installed release, or (None, None).

    The release is recognised from the files' sha256, as ``lfmdoctor patch`` does; a copy that is
    already patched still gets the diff (it is what the maintainers need).
    """
    from lfmdoctor.patches.source import plan
    from lfmdoctor.patches.stored import patch_name

    location = check.environment.liquid_audio.location
    if not location:
        return None, None
    found = plan(Path(location), check.environment.liquid_audio.version).patch
    return (patch_name(found.release), found.diff) if found else (None, None)


def ruff_evidence(python: str) -> str:
    """The PR's style line: regenerate the stored diffs and check ruff at upstream's settings."""
    import subprocess
    import sys

    try:
        done = subprocess.run(
            [sys.executable, "-m", "lfmdoctor.patches.sourcegen", "--check"],
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"ruff: not run ({exc})"
    if done.returncode == 0:
        return (
            "`ruff format --check` and `ruff check` at line length 127 pass on the patched files, and the "
            "stored diffs regenerate identically (`python -m lfmdoctor.patches.sourcegen --check`)"
        )
    tail = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    return f"ruff: the style check did not pass here ({tail[-1] if tail else done.returncode})"


def fetch_release_wheels(python: str, time_limit: float = 40.0) -> str:
    """Fetch the released liquid-audio wheels the matrix uses (package index only); cached after."""
    import time

    from lfmdoctor.matrix.releases import (
        MatrixError,
        cached_wheels,
        fetch_wheel,
        list_releases,
        pip_command,
        unpack,
        wheel_cache,
    )

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
