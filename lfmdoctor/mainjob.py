"""``lfmdoctor run``: check -> repro -> patch verify -> short bench -> report, written as one folder.

The folder is assembled in a temporary sibling and renamed into place at the end, so an interrupted
run leaves the previous result (or nothing), never a half-written one.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from lfmdoctor import pipeline
from lfmdoctor.results import JsonMixin, Outcome

MARKER = ".lfmdoctor-run"


class RunProblem(Exception):
    """Bad input for run (one line)."""


@dataclass
class StepTime(JsonMixin):
    name: str
    seconds: float
    note: str = ""


@dataclass
class RunSummary(JsonMixin):
    out: str
    steps: list[StepTime] = field(default_factory=list)
    reproduced: list[str] = field(default_factory=list)
    fixed: dict[str, list[str]] = field(default_factory=dict)  # strategy -> case ids it fixes
    files: list[str] = field(default_factory=list)
    handoff: str = ""
    total_s: float = 0.0


def _prepare_out(out: Path) -> Path:
    if out.exists() and not out.is_dir():
        raise RunProblem(f"--out {out} is a file; pass a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise RunProblem(f"--out {out} holds files lfmdoctor did not write; pass a new or empty folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))


def _swap_in(staging: Path, out: Path) -> None:
    (staging / MARKER).write_text("written by lfmdoctor run\n")
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(out)


def main_job(
    python: str, out: Path, *, model: str = "fixture", with_bench: bool = True, console: Console | None = None
) -> RunSummary:
    from lfmdoctor.diagnose.environment import TargetUnusable
    from lfmdoctor.report.compose import compose
    from lfmdoctor.report.document import render_document
    from lfmdoctor.report.handoff import handoff
    from lfmdoctor.report.redact import Context
    from lfmdoctor.repro.fixture import FixtureError
    from lfmdoctor.repro.models import ModelUnavailable, resolve_model

    console = console or Console(stderr=True)
    started = time.perf_counter()
    summary = RunSummary(out=str(out))
    staging = _prepare_out(out)
    wheels: dict[str, str] = {}
    fetcher = threading.Thread(target=lambda: wheels.update(status=pipeline.fetch_release_wheels(python)), daemon=True)
    fetcher.start()

    def step(name: str, fn, note=lambda result: ""):
        t0 = time.perf_counter()
        with console.status(f"{name}…"):
            result = fn()
        summary.steps.append(StepTime(name, round(time.perf_counter() - t0, 2), note(result)))
        console.print(f"[green]✓[/green] {name} [dim]{summary.steps[-1].seconds:.1f} s {summary.steps[-1].note}[/dim]")
        return result

    try:
        try:
            check = step(
                "check",
                lambda: pipeline.run_check(python),
                lambda r: f"{sum(1 for b in r.bugs if b.present)} known bugs in the installed code",
            )
            model_ref = resolve_model(model, python)
        except TargetUnusable as exc:
            raise RunProblem(f"cannot inspect {python}: {exc}; pass --python with a working interpreter") from None
        except (ModelUnavailable, FixtureError) as exc:
            raise RunProblem(str(exc)) from None
        repro = step(
            "reproduce",
            lambda: pipeline.run_repro(python, model_ref, emit_dir=staging / "reproducers"),
            lambda r: f"{sum(1 for o in r if o.outcome is Outcome.REPRODUCED)} of {len(r)} cases reproduced",
        )
        verify = step(
            "verify fixes",
            lambda: pipeline.run_verify(python, model_ref, before=repro),
            lambda r: f"{len(r)} (case, fix) pairs re-run",
        )
        before = after = None
        if with_bench:
            before, after, _ = step(
                "benchmark",
                lambda: pipeline.run_bench_pair(python),
                lambda r: r[2] if r[2] != "ok" else "seed code vs call-site fix",
            )
        fetcher.join(timeout=max(0.0, 45 - (time.perf_counter() - started)))
        patch_name, diff = pipeline.stored_diff(check)
        data = compose(
            check,
            repro,
            model=model_ref.spec,
            verify=verify,
            diff=diff,
            patch_name=patch_name,
            affected=pipeline.affected_from_cache(),
            bench_before=before,
            bench_after=after,
            ruff=pipeline.ruff_evidence(python) if diff else None,
        )
        context = Context.from_machine()
        issue = render_document(data, "issue", context)
        pr = render_document(data, "pr", context)
        report_json = render_document(data, "json", context)
        (staging / "report.md").write_text(issue.text)
        (staging / "report.body.md").write_text(issue.body)
        (staging / "pr.md").write_text(pr.text)
        results = {
            "check": check.to_json(),
            "repro": {"results": [o.to_json() for o in repro]},
            "verify": {"results": verify} if verify is not None else None,
            "bench": {"before": before, "after": after},
            "report": json.loads(report_json.text),
            "steps": [s.to_json() for s in summary.steps],
        }
        (staging / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        if diff and patch_name:
            (staging / patch_name).write_text(diff)
        summary.reproduced = [o.id for o in repro if o.outcome is Outcome.REPRODUCED]
        for row in verify or []:
            if row["before"] == Outcome.REPRODUCED.value and row["after"] == Outcome.NOT_REPRODUCED.value:
                summary.fixed.setdefault(row["strategy"], []).append(row["id"])
        summary.handoff = handoff(issue.title, issue.body, str(out / "report.body.md"))
        summary.files = sorted(
            str(p.relative_to(staging))
            for p in staging.rglob("*")
            if p.is_file() and p.name != MARKER and "tiny-checkpoint" not in p.parts
        )
        _swap_in(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    summary.total_s = round(time.perf_counter() - started, 1)
    return summary
