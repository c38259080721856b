"""Run reproduction cases in one worker process of the target interpreter and classify them.

The engine knows no fix: ``lfmdoctor.patches.verify`` runs the cases with one active by passing the
call-site helpers' file or the patched liquid-audio's PYTHONPATH entry (repro never imports patches).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lfmdoctor import child_protocol
from lfmdoctor.bugs._spec import CALLSITE_RESOURCES, CONDITIONS, RESOURCES, SIMULATIONS, Case
from lfmdoctor.errors import LfmdoctorError
from lfmdoctor.pythonpath import prepend
from lfmdoctor.repro.classify import classify
from lfmdoctor.repro.models import ModelRef
from lfmdoctor.results import ExceptionInfo, Outcome, ReproOutcome

WORKER = Path(__file__).with_name("worker_child.py")


@dataclass
class WorkerCase:
    """What the worker needs of a case (sent as JSON)."""

    id: str
    setup: str
    trigger: str
    needs: list[str] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)
    stubs: list[str] = field(default_factory=list)  # modules made importable for this case (a simulation)
    simulations: list[str] = field(default_factory=list)  # code run in its process before it (a simulation)
    imports: list[str] = field(default_factory=list)  # libraries the worker imports once, before forking


class ReproUsageError(LfmdoctorError):
    pass


def worker_env(simulate: Sequence[str], extra_pythonpath: Sequence[str], base: dict[str, str] | None = None) -> dict:
    env = prepend(extra_pythonpath, base)
    env["HF_HUB_OFFLINE"] = "1"
    env.setdefault("TRANSFORMERS_VERBOSITY", "error")
    for name in simulate:
        env.update(SIMULATIONS[name].simulate.env)
    return env


def _code(case: Case, callsite: bool) -> tuple[str, str]:
    if not callsite:
        return case.setup, case.trigger
    setup = case.setup if case.callsite_setup is None else case.callsite_setup
    return setup, case.trigger if case.callsite_trigger is None else case.callsite_trigger


def build_job(
    cases: Sequence[Case], model: ModelRef, simulate: Sequence[str], timeout: float, callsite_file: str | None = None
) -> dict:
    for name in simulate:
        if name not in SIMULATIONS:
            raise ReproUsageError(f"unknown --simulate {name!r}; choose from {', '.join(SIMULATIONS)}")
    callsite = callsite_file is not None
    chosen = [SIMULATIONS[name] for name in simulate]
    stubs = {c.name: c.simulate.stub for c in chosen if c.simulate.stub}
    code = {c.name: c.simulate.code for c in chosen if c.simulate.code}
    worker_cases = [
        dataclasses.asdict(
            WorkerCase(
                id=c.id,
                setup=_code(c, callsite)[0],
                trigger=_code(c, callsite)[1],
                needs=list(c.needs),
                requires=[r for r in c.requires if r not in stubs and r not in code],
                stubs=[stubs[r] for r in c.requires if r in stubs],
                simulations=[code[r] for r in c.requires if r in code],
                imports=list(c.imports),
            )
        )
        for c in cases
    ]
    required = {name for c in cases for name in c.requires}
    job = {
        "conditions": {name: CONDITIONS[name].holds for name in sorted(required)},
        "fresh_process": sorted(name for name in required if CONDITIONS[name].fresh_process),
        "model": model.argument,
        "model_is_path": model.hub_id is None,
        "model_dir": str(model.folder),
        "resources": CALLSITE_RESOURCES if callsite else RESOURCES,
        "cases": worker_cases,
        "timeout": timeout,
        "parallel": max(1, min(4, os.cpu_count() or 1)),
    }
    if callsite:  # the worker loads the call-site helpers by path: the target needs no lfmdoctor
        job["callsite_file"] = callsite_file
    return job


def error_all(cases: Sequence[Case], reason: str, exc: ExceptionInfo | None = None) -> list[ReproOutcome]:
    return [ReproOutcome(c.id, c.bug, Outcome.ERROR, exc, [], 0.0, reason) for c in cases]


def parse_worker_output(
    cases: Sequence[Case], stdout: str, stderr: str, returncode: int | None, run: str | None = None
) -> list[ReproOutcome]:
    """The outcome of each case from the worker's records (those of ``run``, in a job with several runs)."""
    records = [record for record in child_protocol.records(stdout) if record.get("run", run) == run]
    by_id = {c.id: c for c in cases}
    facts: dict = {}
    outcomes: dict[str, ReproOutcome] = {}
    for record in records:
        kind = record.pop(child_protocol.KEY)
        if kind == "import_error":
            exc = record["exception"]
            info = ExceptionInfo(exc["type"], (exc["message"].strip().splitlines() or [""])[0])
            return error_all(cases, f"liquid-audio does not import: {info.type}: {info.message}", info)
        if kind == "facts":
            facts = record
        elif kind == "case" and record.get("id") in by_id:
            outcomes[record["id"]] = classify(by_id[record["id"]], record, facts)
    missing_reason = "the worker stopped before this case"
    if returncode not in (0, None):
        tail = [line for line in stderr.splitlines() if line.strip()]
        missing_reason += f" (exit {returncode}: {tail[-1] if tail else 'no message'})"
    elif returncode is None:
        missing_reason += " (the worker timed out)"
    return [outcomes.get(c.id) or error_all([c], missing_reason)[0] for c in cases]


def _run_worker(python: str, job: dict, env: dict[str, str], timeout: float) -> tuple[str, str, int | None]:
    """(stdout, stderr, exit code or None when it timed out); OSError when ``python`` cannot be run."""
    try:
        done = subprocess.run(
            [python, str(WORKER)],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            errors="replace",  # a target that prints bytes that are not UTF-8 keeps its records readable
            check=False,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return out, "", None
    return done.stdout, done.stderr, done.returncode


def run_cases(
    python: str,
    cases: Sequence[Case],
    model: ModelRef,
    *,
    simulate: Sequence[str] = (),
    timeout: float = 120.0,
    extra_pythonpath: Sequence[str] = (),
    env: dict[str, str] | None = None,
    callsite_file: str | None = None,
) -> list[ReproOutcome]:
    """Run the cases in one worker (torch imported once), each isolated in its own child.

    ``extra_pythonpath`` goes first on the worker's path. ``callsite_file``: run each case's call-site
    variant, with the call-site helpers loaded from that file.
    """
    if not cases:
        return []
    job = build_job(cases, model, simulate, timeout, callsite_file)
    try:
        out, err, code = _run_worker(python, job, worker_env(simulate, extra_pythonpath, env), 120.0 + timeout * len(cases))
    except OSError as exc:
        return error_all(cases, f"cannot run {python}: {exc}")
    return parse_worker_output(cases, out, err, code)


@dataclass(frozen=True)
class Run:
    """One pass over the cases in a worker shared with other runs, and how to put a fix in place for it, in
    the worker's forked child: the call-site helpers' file, the runtime fix to arm, or a patched copy to import
    instead; ``pythonpath`` goes first on the path of the fresh interpreters a case may need."""

    label: str
    callsite_file: str | None = None
    runtime_file: str | None = None
    source_path: str | None = None
    pythonpath: str | None = None
    skip: tuple[str, ...] = ()  # case ids this run leaves out (a fix their bug does not have)


def run_in_one_worker(
    python: str,
    cases: Sequence[Case],
    model: ModelRef,
    runs: Sequence[Run],
    *,
    simulate: Sequence[str] = (),
    timeout: float = 120.0,
) -> list[list[ReproOutcome]]:
    """The cases once per run (less the run's ``skip``), all in one worker: torch and liquid-audio are imported
    once (see ``repro/worker_child.py``). The outcomes, in the order of ``runs``."""
    if not cases or not runs:
        return [[] for _ in runs]
    chosen = [[case for case in cases if case.id not in run.skip] for run in runs]
    jobs = []
    for run, run_cases in zip(runs, chosen):
        job = build_job(run_cases, model, simulate, timeout, run.callsite_file)
        job.update({k: v for k, v in dataclasses.asdict(run).items() if v is not None and k != "skip"})
        jobs.append(job)
    try:
        out, err, code = _run_worker(python, {"runs": jobs}, worker_env(simulate, ()), 120.0 + timeout * sum(map(len, chosen)))
    except OSError as exc:
        return [error_all(run_cases, f"cannot run {python}: {exc}") for run_cases in chosen]
    return [parse_worker_output(run_cases, out, err, code, run.label) for run, run_cases in zip(runs, chosen)]
