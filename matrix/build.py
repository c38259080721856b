"""``lfmdoctor matrix``: fetch, overlay, detect (and reproduce) for each selected release."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.version import InvalidVersion, Version

from lfmdoctor import child_protocol
from lfmdoctor.bugs import BUG_IDS
from lfmdoctor.diagnose.detectors import detect_all
from lfmdoctor.matrix import reproduce
from lfmdoctor.matrix.import_check_child import target_facts
from lfmdoctor.matrix.overlay import (
    IMPORT_CHECK,
    ImportFacts,
    Provision,
    cannot_import_reason,
    check_import,
    ensure_bytecode,
    ensure_provision,
    removed_cache_import,
    resolves_inside,
)
from lfmdoctor.matrix.releases import (
    MatrixError,
    Runner,
    fetch_wheel,
    last_error,
    pip_command,
    run,
    select_versions,
    unpack,
    wheel_cache,
)
from lfmdoctor.matrix.results import CANNOT_RUN, NOT_RUN, MatrixResult, ReleaseBug, ReleaseResult
from lfmdoctor.results import BugFinding

__all__ = ["MatrixError", "build_matrix"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    python: str
    version: str
    transformers: str | None
    platform: str = ""  # "Linux x86_64"


def inspect_target(python: str, runner: Runner = run) -> Target:
    """Python and transformers versions of the target (metadata only, nothing imported).

    When the target is this very interpreter (the default), they are read here, saving a process.
    """
    facts: object = None
    if os.path.abspath(python) == os.path.abspath(sys.executable):
        facts, err = target_facts(), ""
    else:
        code, out, err = runner([python, str(IMPORT_CHECK), "--target"], 60)
        found = child_protocol.records(out, "target") if code == 0 else []
        facts = found[-1] if found else None
    if not isinstance(facts, dict) or not isinstance(facts.get("python"), str):
        raise MatrixError(f"cannot run {python}: {last_error(err)}; pass --python with a working interpreter")
    try:
        too_old = Version(facts["python"]) < Version("3.12")
    except InvalidVersion:
        too_old = False
    if too_old:
        raise MatrixError(
            f"{python} is Python {facts['python']}; every liquid-audio release needs Python >= 3.12, "
            "pass --python with a 3.12+ interpreter"
        )
    return Target(python, facts["python"], facts.get("transformers"), facts.get("platform") or "")


def relative_evidence(evidence: str | None, overlay: Path) -> str | None:
    """ "/cache/overlays/1.3.0/liquid_audio/processor.py:151" -> "liquid_audio/processor.py:151"."""
    if not evidence:
        return evidence
    path, sep, line = evidence.rpartition(":")
    if not sep or not line.isdigit():
        return evidence
    try:
        return f"{Path(path).resolve().relative_to(overlay.resolve()).as_posix()}:{line}"
    except ValueError:
        return evidence


def release_bugs(findings: Sequence[BugFinding], overlay: Path) -> list[ReleaseBug]:
    return [
        ReleaseBug(id=f.id, present=f.present, evidence=relative_evidence(f.evidence, overlay), detail=f.detail)
        for f in findings
    ]


@dataclass
class _Prepared:
    version: str
    overlay: Path
    paths: list[Path]
    provision: Provision | None
    removed_line: int | None  # the release imports a class the transformers it sees lacks
    findings: list[BugFinding]
    blocked: bool = False  # the source says this release cannot import here (nothing laid over fixes it)
    hint: str = "use --provision"  # what to do about it


def _import_problem(prepared: _Prepared, facts: ImportFacts) -> str | None:
    if facts.location is None and facts.error is None:
        return f"import liquid_audio finds nothing under the overlay {prepared.overlay}"
    if facts.location is not None and not resolves_inside(facts.location, prepared.overlay):
        return f"import liquid_audio resolves to {facts.location}, not to the overlay {prepared.overlay}"
    if facts.error is None:
        return None
    if prepared.blocked and "Lfm2HybridConvCache" in facts.error:
        return cannot_import_reason(prepared.version, prepared.removed_line or 0, prepared.hint)
    return facts.error


@dataclass
class _Evaluated:
    facts: ImportFacts
    problem: str | None  # why liquid-audio cannot run here; None: it imports
    bugs: list[ReleaseBug]
    outcome: reproduce.ReleaseRepro | None  # the reproductions, when they ran


def _evaluate(
    python: str, item: _Prepared, repro: bool, facts_of: Callable[[], ImportFacts], say: Progress, label: str
) -> _Evaluated:
    """Reproduce (or only import) one prepared release; ``facts_of`` gives the overlay check's answer.

    With --no-repro, importing is how we learn whether a release runs here. Otherwise the reproduction
    worker imports liquid-audio anyway: only the (fast, no torch) overlay resolution is checked, beside
    the worker. A release whose source says it cannot import with the transformers it sees gets a real
    import instead of a worker run (the worker would only fail to import).
    """
    outcome = None
    if repro and not item.blocked:
        say(f"{label}: reproductions")
        outcome = reproduce.reproduce_release(python, item.paths, BUG_IDS)
    facts = facts_of()
    if repro and item.blocked and _import_problem(item, facts) is None:  # it imports after all
        say(f"{label}: reproductions")
        outcome = reproduce.reproduce_release(python, item.paths, BUG_IDS)
    if outcome is not None:
        facts = replace(facts, error=outcome.import_error or facts.error)
    problem = _import_problem(item, facts)
    cells = outcome.cells if outcome is not None and problem is None else {}
    bugs = release_bugs(item.findings, item.overlay)
    for bug in bugs:
        if problem is not None:
            bug.outcome, bug.reason = CANNOT_RUN, problem
        elif bug.id in cells:
            bug.outcome, bug.reason = cells[bug.id]
        else:
            bug.outcome, bug.reason = NOT_RUN, "--no-repro" if not repro else "no reproduction case for this bug"
    return _Evaluated(facts, problem, bugs, outcome if problem is None else None)


def prepare_release(
    python: str, version: str, target: Target, pip_for: Callable[[], list[str]], cache: Path, runner: Runner, say: Progress
) -> tuple[Path, list[BugFinding]]:
    """The release's wheel fetched (once), unpacked and byte-compiled; its bugs read from the source."""
    say(f"liquid-audio {version}: wheel")
    overlay = unpack(fetch_wheel(version, pip_for, cache, runner=runner), version, cache)
    ensure_bytecode(python, overlay, target.version, runner=runner)
    return overlay, detect_all(overlay / "liquid_audio")


def build_matrix(
    python: str,
    versions: str = "all",
    *,
    provision: bool = False,
    repro: bool = True,
    cache: Path | None = None,
    progress: Progress | None = None,
    runner: Runner = run,
) -> MatrixResult:
    """Bug x release matrix for the target interpreter. MatrixError (one line) on bad input or no index.

    Once the wheels are cached, nothing asks the index or runs pip, and a release costs one reproduction
    worker run (the overlay check runs beside it), i.e. about one ``lfmdoctor repro --all``.
    """
    say = progress or (lambda message: None)
    cache = cache or wheel_cache()
    target = inspect_target(python, runner)
    pip: list[str] = []

    def pip_for() -> list[str]:
        if not pip:
            pip.extend(pip_command(python, runner))
        return pip

    chosen, listing = select_versions(versions, pip_for, cache, runner=runner)
    prepared: list[_Prepared] = []
    for version in chosen:
        overlay, findings = prepare_release(python, version, target, pip_for, cache, runner, say)
        removed_line = removed_cache_import(overlay / "liquid_audio", target.transformers)
        extra = None
        if removed_line is not None and provision:
            say(f"liquid-audio {version}: provisioning transformers 4.57 (once)")
            extra = ensure_provision(python, pip_for, cache, runner=runner)
        paths = [overlay] + ([extra.path] if extra and extra.path else [])
        blocked = removed_line is not None and extra is None
        prepared.append(_Prepared(version, overlay, paths, extra, removed_line, findings, blocked))

    ran = False
    releases = []
    say("locating and importing each release in the target interpreter")
    with ThreadPoolExecutor(max_workers=4) as pool:
        checks = [pool.submit(check_import, python, p.paths, import_it=not repro or p.blocked) for p in prepared]
        for item, check in zip(prepared, checks):
            done = _evaluate(python, item, repro, check.result, say, f"liquid-audio {item.version}")
            ran = ran or (done.outcome is not None and bool(done.outcome.cells))
            releases.append(
                ReleaseResult(
                    version=item.version,
                    importable=done.problem is None,
                    import_problem=done.problem,
                    bugs=done.bugs,
                    location=done.facts.location,
                    transformers=done.facts.transformers,
                    overlay=[str(p) for p in item.paths],
                    provisioned=list(item.provision.pins) if item.provision else [],
                )
            )
    if not repro:
        repro_state = "skipped (--no-repro)"
    elif ran:
        repro_state = "ran"
    else:
        repro_state = "not run: no selected release imports here"
    return MatrixResult(
        python=python,
        transformers=target.transformers,
        listing=listing.source if listing else "cached wheels (the index was not asked)",
        provision=provision,
        repro=repro_state,
        versions=releases,
    )
