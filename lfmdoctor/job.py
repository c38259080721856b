"""The job lfmdoctor does: check -> reproduce -> verify the fixes -> short bench -> the upstream report.

``investigate`` runs the steps and returns one typed result, ``Findings``: ``lfmdoctor report`` renders
it, and ``run`` (``lfmdoctor run``) writes it as one folder, assembled in a temporary sibling and renamed
into place at the end, so an interrupted run leaves the previous result (or nothing), never half of one.
Nothing here writes to the terminal: the caller passes a ``Progress`` to hear about each step.
"""

from __future__ import annotations

import concurrent.futures
import errno
import hashlib
import json
import shutil
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from lfmdoctor.errors import LfmdoctorError
from lfmdoctor.files import TEMPORARIES, exchange, staging_sibling, stale_siblings, write_atomic
from lfmdoctor.repro.deprecations import unique
from lfmdoctor.results import CheckReport, Deprecation, JsonMixin, Outcome, ReproOutcome, VerifyResult, nothing_ran

if TYPE_CHECKING:
    from lfmdoctor.report.compose import ReportData

MARKER = ".lfmdoctor-run"
RELEASES_WAIT_S = 45.0  # how long, from the start, the job waits for the release wheels it fetches
T = TypeVar("T")


class JobError(LfmdoctorError):
    """Bad input for the job: an interpreter that does not run, an output folder lfmdoctor did not write."""


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
    handoff: str = ""
    total_s: float = 0.0


# -- the steps, each a function from inputs to typed results -----------------------------------------------


def run_check(python: str, *, timeout: float = 30.0, fresh: bool = False) -> CheckReport:
    """``lfmdoctor check``'s report for the interpreter ``python``."""
    from lfmdoctor.diagnose.check import build_report
    from lfmdoctor.diagnose.detectors import detect_all
    from lfmdoctor.diagnose.environment import TargetUnusable, collect
    from lfmdoctor.repro.fixture import CacheUnusable, cache_root

    try:
        cache_dir = cache_root()
    except CacheUnusable:  # check needs no cache: it imports torch again instead
        cache_dir = None
    try:
        env = collect(python, timeout=timeout, cache_dir=cache_dir, fresh=fresh)
    except TargetUnusable as exc:
        raise JobError(f"cannot inspect {python}: {exc}; pass --python with a working interpreter") from None
    location = env.liquid_audio.location
    return build_report(env, detect_all(Path(location) if location else None))  # type: ignore[arg-type]


def run_repro(
    python: str, model, bug_ids: list[str] | None = None, emit_dir: Path | None = None, timeout: float = 120.0
) -> list[ReproOutcome]:
    from lfmdoctor.bugs import select
    from lfmdoctor.repro.emit import emit_scripts
    from lfmdoctor.repro.engine import run_cases

    cases = select(bug_ids)
    if emit_dir is not None:
        emit_scripts(cases, model, emit_dir)
    return run_cases(python, cases, model, timeout=timeout)


def run_verify(
    python: str, model, bug_ids: list[str] | None = None, before: list[ReproOutcome] | None = None
) -> list[VerifyResult]:
    """Every reproduction re-run with each fix strategy."""
    from lfmdoctor.patches.verify import verify_strategies

    return verify_strategies(python, model, bug_ids=bug_ids, before=before)


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


def affected_from_cache() -> dict[str, str]:
    """Affected releases per bug, from the liquid-audio wheels ``lfmdoctor matrix`` has cached (no network).

    Static detection only; empty when nothing is cached.
    """
    from lfmdoctor.bugs import BUG_IDS
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
    from lfmdoctor.repro.fixture import cache_root

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
    from lfmdoctor.patches.sourcegen import GenerationError, stored_diffs

    try:
        stale = [path.name for path, text in stored_diffs().items() if not path.is_file() or path.read_text() != text]
    except GenerationError as exc:
        return f"ruff: does not pass yet ({' '.join(str(exc).split())[:200]})."
    except Exception as exc:  # no git, no wheel, no ruff: the line says what stopped it and the run goes on
        return f"ruff: not run ({type(exc).__name__})."
    if stale:
        return f"ruff: not run (the stored diffs are stale: {', '.join(stale)})."
    return "`ruff check` and `ruff format --check` (line length 127) pass on the changed files."


def fetch_release_wheels(python: str, time_limit: float = 40.0) -> str:
    """Fetch the released liquid-audio wheels the matrix uses (package index only); cached after."""
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
    from lfmdoctor.report.compose import compose
    from lfmdoctor.repro.fixture import cache_root
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
    repro = step(
        "reproduce",
        lambda: run_repro(python, model_ref, bug_ids, emit_dir=emit_dir),
        lambda r: f"{sum(1 for o in r if o.outcome is Outcome.REPRODUCED)} of {len(r)} cases reproduced",
        lambda r: nothing_ran(r) is not None,
    )
    why = nothing_ran(repro)
    if why:  # nothing to verify or report: a report built on this would say nothing true
        raise JobError(
            f"no reproduction could run on {python} ({why}); 'lfmdoctor check --python {python}' says what is missing"
        )
    verified = before = after = None
    # The benchmark runs beside the verification: both mostly wait on their child interpreters.
    benchmark = concurrent.futures.ThreadPoolExecutor(max_workers=1) if bench else None
    pending = benchmark.submit(_timed, run_bench_pair, python) if benchmark else None
    try:
        if verify:
            verified = step(
                "verify fixes",
                lambda: run_verify(python, model_ref, bug_ids, before=repro),
                lambda r: f"{len(r)} (case, fix) pairs re-run",
            )
        if pending is not None:
            (before, after, _), _ = step(
                "benchmark",
                pending.result,
                lambda r: (
                    (r[0][2] if r[0][2] != "ok" else "unpatched vs call-site fix") + f" ({r[1]:.1f} s beside the verify)"
                ),
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


LEGACY_FILES = ("report.md", "report.body.md", "pr.md", "results.json", "*.patch", "reproducers/*")


def _written_before(out: Path) -> list[str] | None:
    """The files an earlier run wrote into ``out`` (its marker lists them), or None when run did not write it."""
    try:
        lines = (out / MARKER).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    listed = [line for line in lines[1:] if line.strip()]
    if listed:
        return listed
    return [str(p.relative_to(out)) for pattern in LEGACY_FILES for p in out.glob(pattern)]  # an older marker


def remove_stale(out: Path) -> list[Path]:
    """Remove the temporary folders a killed run left beside ``out`` (those whose process is gone)."""
    removed = stale_siblings(out)
    for sibling in removed:
        shutil.rmtree(sibling, ignore_errors=True)
    return removed


def _prepare_out(out: Path) -> Path:
    """Check ``out`` before any work (a file, someone else's files, a place nothing can be written) and make the
    staging folder beside it, after removing what killed runs left there."""
    if out.exists() and not out.is_dir():
        raise JobError(f"--out {out} is a file; pass a folder")
    if out.is_dir() and any(out.iterdir()):
        listed = _written_before(out)
        if listed is None:
            raise JobError(f"--out {out} holds files lfmdoctor did not write; pass a new or empty folder")
        theirs = sorted(
            str(p.relative_to(out))
            for p in out.rglob("*")
            if not p.is_dir() and p.name != MARKER and str(p.relative_to(out)) not in listed
        )
        if theirs:
            raise JobError(
                f"--out {out} holds files lfmdoctor did not write ({', '.join(theirs[:5])}); "
                "move them, or pass a new folder (run never deletes them)"
            )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(out)
        staging = staging_sibling(out)
        staging.mkdir()  # the user's umask, as any other tool's output folder
    except OSError as exc:
        raise JobError(f"cannot write --out {out}: {exc.strerror or exc}; pass a folder you may write to") from None
    return staging


def _swap_in(staging: Path, out: Path) -> None:
    """Put the finished folder at ``out`` in one step (exchanging it with an earlier run's), then drop the old one."""
    files = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if not p.is_dir())
    (staging / MARKER).write_text("written by lfmdoctor run\n" + "".join(f"{name}\n" for name in files), encoding="utf-8")
    if not out.exists():
        staging.rename(out)
        return
    try:
        exchange(staging, out)  # staging now holds the earlier run
    except OSError:
        old = staging_sibling(out)
        out.rename(old)
        staging.rename(out)
        old.rename(staging)
    shutil.rmtree(staging, ignore_errors=True)


def redact_folder(folder: Path, context) -> int:
    """Redact every text file below ``folder`` as the report is redacted; returns how many items were replaced."""
    from lfmdoctor.report.redact import redact

    total = 0
    for path in sorted(folder.rglob("*")):
        if path.is_dir() or path.name == MARKER or path.stat().st_size > 20_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        done = redact(text, context)
        if done.total:
            path.write_text(done.text, encoding="utf-8")
            total += done.total
    return total


def _timed(fn: Callable[..., T], *args: object) -> tuple[T, float]:
    started = time.perf_counter()
    return fn(*args), time.perf_counter() - started


def write_series_folder(python: str, folder: Path) -> tuple[dict[str, list[str]], str | None]:
    """The upstream patch series for the release ``python`` imports, in ``folder``: ({bug id: the patch files
    its pull request applies, its own last}, None), or ({}, why there is none)."""
    from lfmdoctor.bugs import get_bug
    from lfmdoctor.patches.series import installed_source, write_series

    try:
        source, release = installed_source(python)
        series = write_series(folder, source, release)
    except (LfmdoctorError, OSError) as exc:
        return {}, f"no patch series: {exc}"
    own = {commit.bug: f"series/{path.name}" for commit, path in zip(series.commits, series.patches) if commit.bug}
    return {bug: [own[b] for b in (*get_bug(bug).after, bug) if b in own] for bug in own}, None


def write_folder(
    findings: Findings, folder: Path, *, redact: bool = True, patches: dict[str, list[str]] | None = None
) -> None:
    """Write the run folder's files: README.md (the overview and what to do upstream, in order), one issue and
    one PR body per bug (``issues/<id>.md``, ``prs/<id>.md``: the title line, a blank line, the body),
    results.json; with ``redact``, every file in ``folder`` is redacted as the report is."""
    from lfmdoctor.report.document import finish, per_bug, render_document
    from lfmdoctor.report.redact import Context
    from lfmdoctor.report.upstream import Post, overview

    context = Context.from_machine() if redact else None
    readme = finish(Post("README", overview(findings.report, patches)), context)
    report_json = render_document(findings.report, "json", context)
    for name in ("issues", "prs"):
        (folder / name).mkdir(exist_ok=True)
    for bug_id, (issue, pr) in per_bug(findings.report, context).items():
        (folder / "issues" / f"{bug_id}.md").write_text(issue.text, encoding="utf-8")
        (folder / "prs" / f"{bug_id}.md").write_text(pr.text, encoding="utf-8")
    (folder / "README.md").write_text(readme.body, encoding="utf-8")
    results = {
        "check": findings.check.to_json(),
        "repro": {
            "results": [o.to_json() for o in findings.repro],
            "deprecations": [d.to_json() for d in unique(findings.repro)],
        },
        "verify": {"results": [r.to_json() for r in findings.verify]} if findings.verify is not None else None,
        "bench": {"before": findings.bench_before, "after": findings.bench_after},
        "report": json.loads(report_json.text),
        "steps": [s.to_json() for s in findings.steps],
    }
    (folder / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if context is not None:
        redact_folder(folder, context)  # results.json and the reproducers carry paths, messages and tracebacks


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
    staging = _prepare_out(out)
    TEMPORARIES.add(staging)
    try:
        findings = investigate(
            python,
            model,
            bench=with_bench,
            emit_dir=staging / "reproducers",
            fetch_releases=True,
            progress=progress,
        )
        patches, series_note = write_series_folder(python, staging / "series")
        write_folder(findings, staging, redact=redact, patches=patches)
        summary = RunSummary(out=str(out), steps=findings.steps)
        if series_note:
            summary.notes.append(series_note)
        summary.reproduced = [o.id for o in findings.repro if o.outcome is Outcome.REPRODUCED]
        summary.deprecations = unique(findings.repro)
        for row in findings.verify or []:
            if row.before is Outcome.REPRODUCED and row.after is Outcome.NOT_REPRODUCED:
                summary.fixed.setdefault(row.strategy, []).append(row.id)
        summary.handoff = f"what to file upstream, in order, with the commands: {out / 'README.md'}"
        summary.files = sorted(
            str(p.relative_to(staging))
            for p in staging.rglob("*")
            if p.is_file() and p.name != MARKER and "tiny-checkpoint" not in p.parts
        )
        _swap_in(staging, out)
    except OSError as exc:
        if str(staging) not in str(exc.filename or "") and exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise JobError(
            f"cannot write --out {out}: {exc.strerror or exc}; nothing written; free some space or pass another folder"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        TEMPORARIES.discard(staging)
    summary.total_s = round(time.perf_counter() - started, 1)
    return summary
