"""The folder ``lfmdoctor run`` writes: assembled in a temporary sibling, then swapped in whole.

``staged(out)`` checks ``out`` before any work (new, empty, or written by run before), hands out the
staging folder and, when the run is done, puts it at ``out`` in one step, so an interrupted run leaves the
previous result (or nothing), never half of one. Files someone else puts in ``out`` meanwhile are never deleted:
the run then goes beside it. ``write_folder`` and ``write_series_folder`` fill it.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lfmdoctor.errors import LfmdoctorError
from lfmdoctor.files import TEMPORARIES, exchange, staging_sibling, stale_siblings
from lfmdoctor.repro.deprecations import unique

if TYPE_CHECKING:
    from lfmdoctor.job import Findings

MARKER = ".lfmdoctor-run"
LEGACY_FILES = ("report.md", "report.body.md", "pr.md", "results.json", "*.patch", "reproducers/*")


class RunFolderError(LfmdoctorError):
    """``--out`` cannot take the run: a file, files lfmdoctor did not write, a place nothing can be written."""


@dataclass
class Staging:
    """The folder to fill (``path``) and, once the block has ended, where the run's folder is (``out``: the
    ``--out`` asked for, or a free sibling of it when files lfmdoctor did not write arrived there meanwhile)."""

    path: Path
    out: Path


@contextmanager
def staged(out: Path) -> Iterator[Staging]:
    """The staging folder to fill; it replaces ``out`` when the block ends without an error, and is removed
    in any case. A full disk (or any failure to write into it) is one ``RunFolderError``: nothing written."""
    staging = Staging(prepare(out), out)
    TEMPORARIES.add(staging.path)
    try:
        yield staging
        staging.out = swap_in(staging.path, out)
    except OSError as exc:
        if str(staging.path) not in str(exc.filename or "") and exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise RunFolderError(
            f"cannot write --out {out}: {exc.strerror or exc}; nothing written; free some space or pass another folder"
        ) from None
    finally:
        shutil.rmtree(staging.path, ignore_errors=True)
        TEMPORARIES.discard(staging.path)


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


def files_not_ours(out: Path) -> list[str]:
    """The files in ``out`` that no run wrote (every file, where run's marker is missing)."""
    if not out.is_dir():
        return []
    listed = _written_before(out) or []
    return sorted(
        str(p.relative_to(out))
        for p in out.rglob("*")
        if not p.is_dir() and p.name != MARKER and str(p.relative_to(out)) not in listed
    )


def prepare(out: Path) -> Path:
    """Check ``out`` before any work (a file, someone else's files, a place nothing can be written) and make the
    staging folder beside it, after removing what killed runs left there."""
    if out.exists() and not out.is_dir():
        raise RunFolderError(f"--out {out} is a file; pass a folder")
    theirs = files_not_ours(out)
    if theirs and _written_before(out) is None:
        raise RunFolderError(f"--out {out} holds files lfmdoctor did not write; pass a new or empty folder")
    if theirs:
        raise RunFolderError(
            f"--out {out} holds files lfmdoctor did not write ({', '.join(theirs[:5])}); "
            "move them, or pass a new folder (run never deletes them)"
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(out)
        staging = staging_sibling(out)
        staging.mkdir()  # the user's umask, as any other tool's output folder
    except OSError as exc:
        raise RunFolderError(f"cannot write --out {out}: {exc.strerror or exc}; pass a folder you may write to") from None
    return staging


def swap_in(staging: Path, out: Path) -> Path:
    """Put the finished folder at ``out`` in one step (exchanging it with an earlier run's), then drop the old one.

    Files lfmdoctor did not write that reached ``out`` while the run went are never deleted: ``out`` is left as
    it is and the run's folder goes to a free sibling instead. Returns where the run's folder is."""
    files = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if not p.is_dir())
    (staging / MARKER).write_text("written by lfmdoctor run\n" + "".join(f"{name}\n" for name in files), encoding="utf-8")
    if files_not_ours(out):
        return _aside(staging, out)
    if not out.exists():
        try:
            staging.rename(out)
        except OSError as exc:  # a folder with files appeared at out in the meantime
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
            return _aside(staging, out)
        return out
    _exchange(staging, out)  # staging now holds the earlier run
    if files_not_ours(staging):  # they arrived between the last look and the exchange: give the folder back
        _exchange(staging, out)
        return _aside(staging, out)
    shutil.rmtree(staging, ignore_errors=True)
    return out


def _exchange(a: Path, b: Path) -> None:
    try:
        exchange(a, b)
    except OSError:
        old = staging_sibling(b)
        b.rename(old)
        a.rename(b)
        old.rename(a)


def _aside(staging: Path, out: Path) -> Path:
    """Move the finished folder to the first free ``out-2``, ``out-3``...; returns it."""
    for number in range(2, 10_000):
        aside = out.with_name(f"{out.name}-{number}")
        if not os.path.lexists(aside):
            staging.rename(aside)
            return aside
    raise RunFolderError(f"--out {out} got files lfmdoctor did not write while the run went; pass a new folder")


def redact_folder(folder: Path, context) -> int:
    """Redact every file below ``folder`` by the one rule (``report.redact.redact_file``: patches untouched, code
    in its string literals, prose and output in full); returns how many items were replaced."""
    from lfmdoctor.report.redact import redact_file

    total = 0
    for path in sorted(folder.rglob("*")):
        if path.is_dir() or path.name == MARKER or path.stat().st_size > 20_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        done = redact_file(path.name, text, context)
        if done.total:
            path.write_text(done.text, encoding="utf-8")
            total += done.total
    return total


def write_series_folder(python: str, folder: Path) -> tuple[dict[str, str], list[str]]:
    """The upstream patch series for the release ``python`` imports, in ``folder``: ({bug id, or ``HARNESS``: its
    commit's patch file}, notes for the run's summary: why there is none, or that the author is a placeholder)."""
    from lfmdoctor.patches.series import git_identity, installed_source, write_series
    from lfmdoctor.report.plan import HARNESS

    try:
        source, release = installed_source(python)
        series = write_series(folder, source, release)
    except (LfmdoctorError, OSError) as exc:
        return {}, [f"no patch series: {exc}"]
    files: dict[str, str] = {}
    for commit, path in zip(series.commits, series.patches):
        for bug in commit.bugs or (HARNESS,):
            files[bug] = f"series/{path.name}"
    notes = []
    if git_identity() is None:
        notes.append(
            "the series' commits carry a placeholder author: set yours with git config --global user.name "
            "'Your Name' and git config --global user.email you@example.com, then run again"
        )
    return files, notes


def write_folder(
    findings: Findings,
    folder: Path,
    *,
    redact: bool = True,
    patches: dict[str, str] | None = None,
    folders: tuple[str, ...] = (),
) -> list[str]:
    """Write the run folder's files: README.md (the overview and what to do upstream, in order, then every file of
    the folder), one issue and one PR body per bug (``issues/<id>.md``, ``prs/<id>.md``: the title line, a blank
    line, the body), results.json; with ``redact``, every file in ``folder`` is redacted by the one rule (patches
    never). Returns the three files to open first: README.md, the first item to file, results.json."""
    from lfmdoctor.report.document import finish, render_document, run_files
    from lfmdoctor.report.plan import PLAN_FILE
    from lfmdoctor.report.redact import Context
    from lfmdoctor.report.upstream import Post, overview

    context = Context.from_machine(folders) if redact else None
    texts, items = run_files(findings.report, context, patches or {})
    texts["README.md"] = finish(Post("README", overview(findings.report, items)), context).body
    texts[PLAN_FILE] = json.dumps([item.to_json() for item in items], indent=2) + "\n"
    report_json = render_document(findings.report, "json", context)
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and "tiny-checkpoint" not in p.parts}
    texts["README.md"] += files_section(sorted(present | set(texts) | {"results.json"}))
    for name, text in texts.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
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
    first_item = next((name for item in items for name in (item.issue, item.pr, item.comment) if name), None)
    return ["README.md", *([first_item] if first_item else []), "results.json"]


def files_section(names: list[str]) -> str:
    """The README's list of every file in the run folder."""
    return "\n## Files in this folder\n\n" + "".join(f"- [{name}]({name})\n" for name in names)
