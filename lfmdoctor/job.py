"""The job lfmdoctor does: check -> reproduce -> verify the fixes -> short bench -> the upstream report.

``investigate`` runs the steps and returns one typed result, ``Findings``: ``lfmdoctor report`` renders
it, and ``run`` (``lfmdoctor run``) writes it as one folder (``lfmdoctor.run_folder``: swapped in whole, so
an interrupted run leaves the previous result, or nothing, never half of one). Nothing here writes to the
terminal: the caller passes a ``Progress`` to hear about each step.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import importlib
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from lfmdoctor import run_folder
from lfmdoctor.cache import cache_root
from lfmdoctor.errors import LfmdoctorError
from lfmdoctor.files import write_atomic
from lfmdoctor.repro.deprecations import unique
from lfmdoctor.repro.models import private_folders
from lfmdoctor.results import CheckReport, Deprecation, JsonMixin, Outcome, ReproOutcome, VerifyResult, nothing_ran

if TYPE_CHECKING:
    from lfmdoctor.report.compose import ReportData

RELEASES_WAIT_S = 45.0  # how long, from the start, the job waits for the release wheels it fetches
T = TypeVar("T")


class JobError(LfmdoctorError):
    """The job cannot go on: no reproduction could run on the interpreter (one line)."""


@dataclass
class StepTime(JsonMixin):
    name: str
    seconds: float
    note: str = ""
    failed: bool = False


class Progress(Protocol):
    """Hears about the steps: ``step`` is entered while a step runs, ``done`` gets what it took and found."""

    def step(self, name: str) -> AbstractContextManager[object]: ...

    def done(self, step: StepTime) -> None: ...


class _Quiet:
    def step(self, name: str) -> AbstractContextManager[object]:
        return nullcontext()

    def done(self, step: StepTime) -> None:
        pass


@dataclass
class Findings:
    """What the job found here: the one result ``lfmdoctor run`` writes and ``lfmdoctor report`` renders."""

    check: CheckReport
    model: str  # the model the reproductions ran on, as the user named it
    repro: list[ReproOutcome]
    verify: list[VerifyResult] | None  # None when not verified
    report: ReportData
    bench_before: dict | None = None  # liquid-audio's documented usage, unpatched (strategy none)
    bench_after: dict | None = None  # with the call-site fix
    patch_name: str | None = None
    diff: str | None = None  # the stored source fix for the installed release
    steps: list[StepTime] = field(default_factory=list)


@dataclass
class RunSummary(JsonMixin):
    out: str
    steps: list[StepTime] = field(default_factory=list)
    reproduced: list[str] = field(default_factory=list)
    fixed: dict[str, list[str]] = field(default_factory=dict)  # strategy -> case ids it fixes
    deprecations: list[Deprecation] = field(default_factory=list)  # library deprecations liquid-audio set off
    notes: list[str] = field(default_factory=list)  # what the user should know (on the terminal only)
    files: list[str] = field(default_factory=list)
    first: list[str] = field(default_factory=list)  # the files to open first, in the run folder
    handoff: str = ""
    total_s: float = 0.0


# -- the steps, each a function from inputs to typed results -----------------------------------------------


def _declined(result) -> bool:
    """A (case, fix) pair not run: the case's bug has no such fix (its reason says why)."""
    from lfmdoctor.bugs import get_bug

    return result.strategy not in get_bug(result.bug).strategies


def run_repro(
    python: str, model, bug_ids: list[str] | None = None, emit_dir: Path | None = None, timeout: float = 120.0
) -> list[ReproOutcome]:
    from lfmdoctor.bugs import select
    from lfmdoctor.repro.engine import run_cases

    cases = select(bug_ids)
    _emit(cases, model, emit_dir)
    return run_cases(python, cases, model, timeout=timeout)


def run_repro_and_verify(
    python: str, model, bug_ids: list[str] | None = None, emit_dir: Path | None = None
) -> tuple[list[ReproOutcome], list[VerifyResult]]:
    """Every reproduction as installed, then re-run with each fix strategy, in one worker."""
    from lfmdoctor.bugs import select
    from lfmdoctor.patches.verify import reproduce_and_verify

    _emit(select(bug_ids), model, emit_dir)
    return reproduce_and_verify(python, model, bug_ids=bug_ids)


def _emit(cases: list, model, emit_dir: Path | None) -> None:
    from lfmdoctor.repro.emit import emit_scripts

    if emit_dir is not None:
        emit_scripts(cases, model, emit_dir)


def run_bench_pair(python: str) -> tuple[dict | None, dict | None, str]:
    """ASR on the built-in clips as the seed wrote it (strategy none), then with the call-site fix."""
    from lfmdoctor.bench.core import BenchConfig, BenchInputError, run_benches

    configs = [BenchConfig(strategy=s, python=python, runs=1, warmup=0, baselines=False) for s in ("none", "callsite")]
    try:
        before, after = run_benches(configs)
    except BenchInputError as exc:
        return None, None, f"bench could not run: {exc}"
    return before.to_json(), after.to_json(), "ok"


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
    """The PR's style line: regenerate the stored diffs and check ruff at upstream's settings; the answer is
    kept per set of stored diffs, since only they (and the edits that made them) decide it."""
    from lfmdoctor.patches.stored import PATCH_DIR

    key = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(PATCH_DIR.glob("*.patch")))).hexdigest()[:16]
    kept = cache_root() / "ruff-evidence" / key
    try:
        return kept.read_text(encoding="utf-8")
    except OSError:
        pass
    answer = _ruff_evidence()
    if answer.startswith("`ruff check`"):
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(kept, answer)
        except OSError:
            pass  # the cache is a convenience
    return answer


def _ruff_evidence() -> str:
    from lfmdoctor.files import out_of_date
    from lfmdoctor.patches.sourcegen import GenerationError, stored_diffs

    try:
        stale = [path.name for path in out_of_date(stored_diffs())]
    except GenerationError as exc:
        return f"ruff: does not pass yet ({' '.join(str(exc).split())[:200]})."
    except Exception as exc:  # no git, no wheel, no ruff: the line says what stopped it and the run goes on
        return f"ruff: not run ({type(exc).__name__})."
    if stale:
        return f"ruff: not run (the stored diffs are stale: {', '.join(stale)})."
    return "`ruff check` and `ruff format --check` (line length 127) pass on the changed files."


# -- the job ------------------------------------------------------------------------------------------------


class _Steps:
    """Runs the steps in order: times each, notes what it found, tells ``progress``."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.times: list[StepTime] = []

    def __call__(
        self, name: str, fn: Callable[[], T], note: Callable[[T], str], failed: Callable[[T], bool] = lambda _: False
    ) -> T:
        t0 = time.perf_counter()
        with self.progress.step(name):
            result = fn()
        self.times.append(StepTime(name, round(time.perf_counter() - t0, 2), note(result), failed(result)))
        self.progress.done(self.times[-1])
        return result


def investigate(
    python: str,
    model: str = "fixture",
    *,
    bug_ids: list[str] | None = None,
    verify: bool = True,
    bench: bool = False,
    emit_dir: Path | None = None,
    fetch_releases: bool = False,
    progress: Progress | None = None,
) -> Findings:
    """Check ``python``, reproduce (``bug_ids``, default all), verify each fix, benchmark, compose the report.

    ``emit_dir``: also write each case as a standalone script there. ``fetch_releases``: fetch the released
    wheels meanwhile (for the report's affected releases). Bad input raises an ``LfmdoctorError`` (or an error
    ``lfmdoctor.errors`` maps to one line).
    """
    from lfmdoctor.diagnose.run import run_check
    from lfmdoctor.matrix.cached import affected_from_cache, fetch_release_wheels
    from lfmdoctor.report.compose import compose
    from lfmdoctor.repro.models import resolve_model

    cache_root()  # an unusable cache is one line before any step, not after the first
    step = _Steps(progress or _Quiet())
    started = time.perf_counter()
    fetcher = None
    if fetch_releases:
        fetcher = threading.Thread(target=fetch_release_wheels, args=(python,), daemon=True)
        fetcher.start()
    check = step(
        "check", lambda: run_check(python), lambda r: f"{sum(1 for b in r.bugs if b.present)} known bugs in the installed code"
    )
    model_ref = resolve_model(model, python)
    # The benchmark runs beside the reproductions: both mostly wait on their child interpreters.
    benchmark = concurrent.futures.ThreadPoolExecutor(max_workers=1) if bench else None
    pending = benchmark.submit(_timed, run_bench_pair, python) if benchmark else None
    verified = before = after = None
    try:
        if verify:
            repro, verified = step(
                "reproduce, verify fixes",
                lambda: run_repro_and_verify(python, model_ref, bug_ids, emit_dir=emit_dir),
                lambda r: (
                    _reproduced(r[0])
                    + ("" if nothing_ran(r[0]) else f"; {sum(not _declined(v) for v in r[1])} (case, fix) pairs re-run")
                ),
                lambda r: nothing_ran(r[0]) is not None,
            )
        else:
            repro = step(
                "reproduce",
                lambda: run_repro(python, model_ref, bug_ids, emit_dir=emit_dir),
                _reproduced,
                lambda r: nothing_ran(r) is not None,
            )
        why = nothing_ran(repro)
        if why:  # nothing to verify or report: a report built on this would say nothing true
            raise JobError(
                f"no reproduction could run on {python} ({why}); 'lfmdoctor check --python {python}' says what is missing"
            )
        if pending is not None:
            (before, after, _), _ = step(
                "benchmark",
                pending.result,
                lambda r: (r[0][2] if r[0][2] != "ok" else "unpatched vs call-site fix") + f" ({r[1]:.1f} s beside the cases)",
            )
    finally:
        if benchmark is not None:
            benchmark.shutdown(wait=True, cancel_futures=True)
    if fetcher is not None:
        fetcher.join(timeout=max(0.0, RELEASES_WAIT_S - (time.perf_counter() - started)))
    patch_name, diff = stored_diff(check)
    report = compose(
        check,
        repro,
        bug_ids=bug_ids,
        model=model_ref.spec,
        verify=verified,
        affected=affected_from_cache(),
        bench_before=before,
        bench_after=after,
        ruff=ruff_evidence(python) if diff else None,
    )
    return Findings(check, model_ref.spec, repro, verified, report, before, after, patch_name, diff, step.times)


def _reproduced(outcomes: list[ReproOutcome]) -> str:
    return f"{sum(1 for o in outcomes if o.outcome is Outcome.REPRODUCED)} of {len(outcomes)} cases reproduced"


def _timed(fn: Callable[..., T], *args: object) -> tuple[T, float]:
    started = time.perf_counter()
    return fn(*args), time.perf_counter() - started


# Loaded by run's threads while the main thread loads others; loaded first, in one thread: two threads loading
# modules of one package at once can deadlock (importlib's _DeadlockError, seen with lfmdoctor.matrix).
THREADS_LOAD = (
    "lfmdoctor.matrix.cached",  # investigate's: it loads the whole package, which the series thread uses
    "lfmdoctor.patches.series",
    "lfmdoctor.patches.source",
    "lfmdoctor.report.compose",
    "lfmdoctor.report.plan",
)


def run(
    python: str,
    out: Path,
    *,
    model: str = "fixture",
    with_bench: bool = True,
    redact: bool = True,
    progress: Progress | None = None,
) -> RunSummary:
    """``lfmdoctor run``: every step, written into the folder ``out`` (new, empty, or written by run before).

    Everything under ``out`` is redacted as the report is, unless ``redact`` is False."""

    started = time.perf_counter()
    for name in THREADS_LOAD:
        importlib.import_module(name)
    with run_folder.staged(out) as staging:
        # The patch series depends on the installed release alone: it is written while the cases run.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            series = pool.submit(run_folder.write_series_folder, python, staging.path / "series")
            findings = investigate(
                python,
                model,
                bench=with_bench,
                emit_dir=staging.path / "reproducers",
                fetch_releases=True,
                progress=progress,
            )
            patches, series_notes = series.result()
        first = run_folder.write_folder(findings, staging.path, redact=redact, patches=patches, folders=private_folders(model))
        summary = RunSummary(out=str(out), steps=findings.steps, first=first)
        summary.notes += series_notes
        summary.reproduced = [o.id for o in findings.repro if o.outcome is Outcome.REPRODUCED]
        summary.deprecations = unique(findings.repro)
        for row in findings.verify or []:
            if row.before is Outcome.REPRODUCED and row.after is Outcome.NOT_REPRODUCED:
                summary.fixed.setdefault(row.strategy, []).append(row.id)
        summary.files = sorted(
            str(p.relative_to(staging.path))
            for p in staging.path.rglob("*")
            if p.is_file() and p.name != run_folder.MARKER and "tiny-checkpoint" not in p.parts
        )
    if staging.out != out:
        summary.out = str(staging.out)
        summary.notes.append(
            f"files lfmdoctor did not write arrived in {out} while the run went: {out} is left as it is, "
            f"and this run's folder is {staging.out}"
        )
    summary.handoff = f"what to file upstream, in order, with the commands: {staging.out / 'README.md'}"
    summary.total_s = round(time.perf_counter() - started, 1)
    return summary
