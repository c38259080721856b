"""Gather the typed results of check, repro, verify, bench and matrix into the facts a report states."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lfmdoctor import __version__
from lfmdoctor.bugs import CASES, get_bug
from lfmdoctor.bugs._spec import Bug, Case
from lfmdoctor.report.trim import trim_traceback
from lfmdoctor.repro.emit import render_script
from lfmdoctor.repro.models import ModelRef
from lfmdoctor.results import BugFinding, CheckReport, EnvironmentFacts, JsonMixin, Outcome, ReproOutcome, VerifyResult

REAL_MODEL = "LiquidAI/LFM2.5-Audio-1.5B"


@dataclass
class VerifyRow(JsonMixin):
    strategy: str
    before: Outcome
    after: Outcome


@dataclass
class CaseEvidence(JsonMixin):
    id: str
    summary: str
    expected: str
    outcome: Outcome | None  # None: not run
    exception: str | None  # "Type: message"
    reason: str
    traceback: str | None  # trimmed
    where: str | None  # innermost liquid-audio frame
    script: str  # the standalone reproducer, defaulting to the real model
    verify: list[VerifyRow] = field(default_factory=list)


@dataclass
class BugSection(JsonMixin):
    id: str
    title: str
    trigger: str
    symptom: str
    root_cause: str
    workaround: str
    fix: str
    present: bool | None
    evidence: str | None  # installed "path:line"
    upstream_location: str  # "src/liquid_audio/processor.py:61"
    affected_releases: str | None
    upstream_refs: list[str]
    diff: str  # the hunks of the suggested fix
    cases: list[CaseEvidence]

    @property
    def reproduced(self) -> bool:
        return any(c.outcome is Outcome.REPRODUCED for c in self.cases)


@dataclass
class ReportData(JsonMixin):
    tool_version: str
    liquid_audio_version: str | None
    model: str  # the model the reproductions ran on
    environment: EnvironmentFacts
    bugs: list[BugSection]
    bench_before: dict[str, Any] | None = None
    bench_after: dict[str, Any] | None = None
    ruff: str | None = None  # result of ruff on the patched files, for the PR body
    quickstart: str | None = None  # "README.md:75: <the line>": upstream's quick-start call without device=
    # each cited thread's freshest known state ("open since 2026-06-03 (read 2026-12-04)"), by number
    threads: dict[int, str] = field(default_factory=dict)


def _upstream_location(bug: Bug, finding: BugFinding | None) -> str:
    line = finding.evidence.rsplit(":", 1)[1] if finding and finding.evidence else None
    return f"{bug.upstream_path}:{line}" if line else bug.upstream_path


def _case_evidence(case: Case, outcome: ReproOutcome | None, verify: list[VerifyResult]) -> CaseEvidence:
    real = ModelRef(REAL_MODEL, Path("."), hub_id=REAL_MODEL)
    exc = None
    if outcome and outcome.exception:
        exc = (
            f"{outcome.exception.type}: {outcome.exception.message}"
            if outcome.exception.message
            else f"{outcome.exception.type} (empty message)"
        )
    rows = [VerifyRow(v.strategy, v.before, v.after) for v in verify if v.id == case.id]
    return CaseEvidence(
        id=case.id,
        summary=case.summary,
        expected=case.expected_text,
        outcome=outcome.outcome if outcome else None,
        exception=exc,
        reason=outcome.reason if outcome else "not run",
        traceback=trim_traceback(
            outcome.traceback, {f"<repro {case.id} trigger>": case.trigger, f"<repro {case.id} setup>": case.setup}
        )
        if outcome and outcome.traceback
        else None,
        where=outcome.frames[-1] if outcome and outcome.frames else None,
        script=render_script(case, real),
        verify=rows,
    )


def _diff_for(bug: Bug, package_dir: str | None) -> str:
    """The bug's own fix as a diff that applies alone on the installed release; "" where it cannot be made."""
    from lfmdoctor.errors import LfmdoctorError
    from lfmdoctor.patches.series import standalone_diff

    if not package_dir:
        return ""
    try:
        return standalone_diff(bug, Path(package_dir), short=True)
    except (LfmdoctorError, OSError):
        return ""


def compose(
    check: CheckReport,
    repro: list[ReproOutcome],
    *,
    bug_ids: list[str] | None = None,
    model: str = "fixture",
    verify: list[VerifyResult] | None = None,
    diffs: dict[str, str] | None = None,
    affected: dict[str, str] | None = None,
    bench_before: dict | None = None,
    bench_after: dict | None = None,
    ruff: str | None = None,
) -> ReportData:
    """Bugs to report: those asked for, else every bug present in the code or reproduced here.

    ``diffs``: each bug's fix as a diff, where the caller has them; by default made for the installed release.
    """
    findings = {f.id: f for f in check.bugs}
    outcomes = {o.id: o for o in repro}
    reproduced = {o.bug for o in repro if o.outcome is Outcome.REPRODUCED}
    wanted = bug_ids or [f.id for f in check.bugs if f.present or f.id in reproduced]
    package_dir = check.environment.liquid_audio.location
    sections = []
    for bug_id in wanted:
        bug = get_bug(bug_id)
        finding = findings.get(bug_id)
        cases = [c for c in CASES if c.bug == bug_id]
        sections.append(
            BugSection(
                id=bug.id,
                title=bug.title,
                trigger=bug.trigger,
                symptom=bug.symptom,
                root_cause=bug.root_cause,
                workaround=bug.workaround,
                fix=bug.fix,
                present=finding.present if finding else None,
                evidence=finding.evidence if finding else None,
                upstream_location=_upstream_location(bug, finding),
                affected_releases=(affected or {}).get(bug_id),
                upstream_refs=list(bug.upstream_refs),
                diff=(diffs or {}).get(bug_id) if diffs is not None else _diff_for(bug, package_dir),
                cases=[_case_evidence(c, outcomes.get(c.id), verify or []) for c in cases],
            )
        )
    return ReportData(
        tool_version=__version__,
        liquid_audio_version=check.environment.liquid_audio.version,
        model=model,
        environment=check.environment,
        bugs=sections,
        bench_before=bench_before,
        bench_after=bench_after,
        ruff=ruff,
        quickstart=quickstart_line(package_dir, check.environment.liquid_audio.version),
        threads=thread_states(),
    )


def thread_states() -> dict[int, str]:
    """The freshest known state of every thread the bugs cite: stored, or read later by 'lfmdoctor threads --online'."""
    from lfmdoctor.bugs import BUGS
    from lfmdoctor.triage.threads import known

    return {number: state.describe() for number, state in known(BUGS).items()}


def quickstart_line(package_dir: str | None, version: str | None) -> str | None:
    """Where the installed release's README (its PyPI description) loads the processor without ``device=``:
    "README.md:75: processor = ...". None where the metadata or such a line is missing."""
    if not package_dir or not version:
        return None
    metadata = Path(package_dir).parent / f"liquid_audio-{version}.dist-info" / "METADATA"
    try:
        text = metadata.read_text(encoding="utf-8")
    except OSError:
        return None
    _, blank, description = text.partition("\n\n")  # the headers, then the README verbatim
    for number, line in enumerate(description.splitlines(), 1):
        if "LFM2AudioProcessor.from_pretrained(" in line and "device" not in line:
            return f"README.md:{number}: {line.strip()}" if blank else None
    return None
