"""``lfmdoctor matrix --with``: liquid-audio releases x dependency versions, one cell each, in parallel.

A cell is one release with one resolved version of every ``--with`` package. pip resolves
``liquid-audio==V`` together with those pins *against the target environment* (so a release's own
requirements and the packages that must move with a pin, e.g. torchaudio with torch, come along, and
whatever the target already satisfies is left alone); what it would install, less liquid-audio
itself, goes once into a cache folder that is laid over the target after the release (PYTHONPATH),
exactly as ``--provision`` does (``lfmdoctor.matrix.overlay.ensure_packages``). The resolution is
remembered, so a second run neither asks the index nor runs pip.

Every cell then runs as a release does in the plain matrix (``build._evaluate``): the overlay check,
the reproductions in one worker, and the deprecations those reproductions set off. A cell that cannot
be built (no release matches a spec, no wheel for this Python, a resolution conflict) is a result
whose ``import_problem`` says why; it never stops the other cells.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lfmdoctor.matrix import reproduce
from lfmdoctor.matrix.build import Target, _evaluate, _Prepared, inspect_target, prepare_release, release_bugs
from lfmdoctor.matrix.deps import Axis, Resolved, resolve_axis
from lfmdoctor.matrix.overlay import Provision, check_import, ensure_packages, removed_cache_import
from lfmdoctor.matrix.releases import DISTRIBUTION, MatrixError, Runner, pip_command, run, select_versions, wheel_cache
from lfmdoctor.matrix.results import CANNOT_RUN, CellMatrix, CellResult
from lfmdoctor.results import BugFinding

__all__ = ["CellEvents", "build_cells", "cell_jobs"]


class CellEvents:
    """What ``build_cells`` says as it goes (the CLI shows it as a progress display); by default nothing.

    Called from worker threads: implementations must be thread-safe.
    """

    def message(self, text: str) -> None:
        """A step outside the cells (listing, fetching a wheel), or inside one ("<cell>: reproductions")."""

    def start(self, total: int) -> None:
        """The cells are about to run."""

    def cell_started(self, label: str) -> None:
        pass

    def cell_done(self, cell: CellResult) -> None:
        pass


def cell_jobs() -> int:
    """How many cells run at once by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def cell_label(version: str, combo: Sequence[Resolved]) -> str:
    return " × ".join([version] + [f"{r.package} {r.version or r.spec}" for r in combo])


def cell_record(python: str, requirements: Sequence[str]) -> str:
    """The cache record of one cell's resolution for one target interpreter."""
    key = "\n".join([os.path.abspath(python), *sorted(requirements)])
    return f"cell-{hashlib.sha256(key.encode()).hexdigest()[:12]}.json"


def pinned(pins: Sequence[str], package: str) -> str | None:
    return next((pin.split("==", 1)[1] for pin in pins if pin.split("==", 1)[0] == package), None)


def _unbuilt(base: dict, findings: Sequence[BugFinding], overlay: Path, problem: str) -> CellResult:
    bugs = release_bugs(findings, overlay)
    for bug in bugs:
        bug.outcome, bug.reason = CANNOT_RUN, problem
    return CellResult(**base, importable=False, import_problem=problem, bugs=bugs, built=False)


def run_cell(
    python: str,
    target: Target,
    version: str,
    overlay: Path,
    findings: Sequence[BugFinding],
    combo: Sequence[Resolved],
    cache: Path,
    pip_for: Callable[[], list[str]],
    *,
    repro: bool = True,
    runner: Runner = run,
    events: CellEvents | None = None,
) -> CellResult:
    """Build one cell's overlay and run the release in it."""
    events = events or CellEvents()
    label = cell_label(version, combo)
    events.cell_started(label)
    base = {
        "liquid_audio": version,
        "deps": {r.package: r.version for r in combo},
        "specs": {r.package: r.spec for r in combo},
        "platform": target.platform,
        "python": target.version,
    }
    unresolved = [r.problem or f"no {r.package} release matches {r.spec}" for r in combo if r.version is None]
    if unresolved:
        return _unbuilt(base, findings, overlay, "; ".join(unresolved))
    extra: Provision | None = None
    if combo:
        requirements = [f"{DISTRIBUTION}=={version}", *(f"{r.package}=={r.version}" for r in combo)]
        events.message(f"{label}: resolving and laying out its packages")
        try:
            extra = ensure_packages(
                python,
                requirements,
                pip_for,
                cache,
                record=cell_record(python, requirements),
                label="+".join(f"{r.package}-{r.version}" for r in combo),
                what="pip",
                drop=[DISTRIBUTION],
                find_links=[cache],  # the release's wheel, already cached
                runner=runner,
            )
        except (MatrixError, OSError) as exc:
            return _unbuilt(base, findings, overlay, f"cannot build this cell: {exc}")
    paths = [overlay] + ([extra.path] if extra and extra.path else [])
    pins = extra.pins if extra else []
    seen = base["deps"].get("transformers") or pinned(pins, "transformers") or target.transformers
    removed_line = removed_cache_import(overlay / "liquid_audio", seen)
    item = _Prepared(
        version,
        overlay,
        paths,
        extra,
        removed_line,
        list(findings),
        blocked=removed_line is not None,
        hint=f"this cell has transformers {seen}",
    )
    done = _evaluate(
        python,
        item,
        repro,
        lambda: check_import(python, paths, import_it=not repro or item.blocked),
        events.message,
        label,
    )
    problem = done.problem
    wanted = base["deps"].get("transformers")
    if problem is None and wanted and done.facts.transformers and done.facts.transformers != wanted:
        problem = f"the overlay gives transformers {done.facts.transformers}, not {wanted}"
    cell = CellResult(
        **base,
        importable=problem is None,
        import_problem=problem,
        bugs=done.bugs,
        deprecations=reproduce.deprecations(done.outcome.outcomes) if done.outcome is not None else [],
        transformers=done.facts.transformers,
        overlay=[str(p) for p in paths],
        provisioned=list(pins),
    )
    return cell


def build_cells(
    python: str,
    versions: str,
    axes: Sequence[Axis],
    *,
    repro: bool = True,
    cache: Path | None = None,
    events: CellEvents | None = None,
    runner: Runner = run,
    jobs: int | None = None,
) -> CellMatrix:
    """Every cell of the releases ``versions`` names x each axis's specs, ``jobs`` at a time (default:
    the core count). MatrixError (one line) only for bad input or an index that cannot list anything."""
    events = events or CellEvents()
    cache = cache or wheel_cache()
    target = inspect_target(python, runner)
    pip: list[str] = []
    pip_lock = threading.Lock()

    def pip_for() -> list[str]:
        with pip_lock:
            if not pip:
                pip.extend(pip_command(python, runner))
            return list(pip)

    chosen, listing = select_versions(versions, pip_for, cache, runner=runner)
    sources = [f"liquid-audio: {listing.source if listing else 'cached wheels (the index was not asked)'}"]
    resolved_axes: list[list[Resolved]] = []
    for axis in axes:
        events.message(f"{axis.package}: which releases the specs pick")
        resolved, source = resolve_axis(axis, pip_for, cache, runner=runner)
        resolved_axes.append(resolved)
        sources.append(f"{axis.package}: {source}")
    say = events.message
    prepared = {version: prepare_release(python, version, target, pip_for, cache, runner, say) for version in chosen}
    combos = [(version, combo) for version in chosen for combo in itertools.product(*resolved_axes)]
    events.start(len(combos))

    def one(version: str, combo: Sequence[Resolved]) -> CellResult:
        overlay, findings = prepared[version]
        cell = run_cell(
            python, target, version, overlay, findings, combo, cache, pip_for, repro=repro, runner=runner, events=events
        )
        events.cell_done(cell)
        return cell

    workers = max(1, min(jobs or cell_jobs(), len(combos)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        cells = list(pool.map(lambda item: one(*item), combos))
    if not repro:
        state = "skipped (--no-repro)"
    elif any(cell.importable for cell in cells):
        state = "ran"
    else:
        state = "not run: no cell imports here"
    return CellMatrix(
        python=python,
        transformers=target.transformers,
        axes={axis.package: list(axis.specs) for axis in axes},
        listing="; ".join(sources),
        repro=state,
        cells=cells,
    )
