"""Run reproduction cases in one worker process of the target interpreter and classify them.

The engine knows no fix: ``lfmdoctor.patches.verify`` runs the cases with one active by passing the
call-site helpers' file or the patched liquid-audio's PYTHONPATH entry (repro never imports patches).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lfmdoctor import bugs, child_protocol
from lfmdoctor.bugs._spec import CALLSITE_RESOURCES, RESOURCES, Case, Simulation
from lfmdoctor.errors import LfmdoctorError
from lfmdoctor.pythonpath import prepend
from lfmdoctor.repro.classify import classify
from lfmdoctor.repro.models import ModelRef
from lfmdoctor.results import ExceptionInfo, Outcome, ReproOutcome

WORKER = Path(__file__).with_name("worker_child.py")
NO_CUDA = Simulation("no-cuda", "hide every GPU (CUDA_VISIBLE_DEVICES='') to show what CPU and Mac users see", "cuda_unusable")
SIMULATIONS: dict[str, Simulation] = {NO_CUDA.name: NO_CUDA, **bugs.SIMULATIONS}


@dataclass
class WorkerCase:
    """What the worker needs of a case (sent as JSON)."""

    id: str
    setup: str
    trigger: str
    needs: list[str] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)
    stub_flash_attn: bool = False


class ReproUsageError(LfmdoctorError):
    pass


def worker_env(simulate: Sequence[str], extra_pythonpath: Sequence[str], base: dict[str, str] | None = None) -> dict:
    env = prepend(extra_pythonpath, base)
    env["HF_HUB_OFFLINE"] = "1"
    env.setdefault("TRANSFORMERS_VERBOSITY", "error")
    if NO_CUDA.name in simulate:
        env["CUDA_VISIBLE_DEVICES"] = ""
        env["PYTORCH_ENABLE_MPS_FALLBACK"] = "0"
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
    active = [SIMULATIONS[name] for name in simulate]
    stubbed = {sim.condition for sim in active if sim.stub_flash_attn}
    worker_cases = [
        dataclasses.asdict(
            WorkerCase(
                id=c.id,
                setup=_code(c, callsite)[0],
                trigger=_code(c, callsite)[1],
                needs=list(c.needs),
                requires=[r for r in c.requires if r not in stubbed],
                stub_flash_attn=bool(stubbed & set(c.requires)),
            )
        )
        for c in cases
    ]
    job = {
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


def parse_worker_output(cases: Sequence[Case], stdout: str, stderr: str, returncode: int | None) -> list[ReproOutcome]:
    records = child_protocol.records(stdout)
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
    overall = 120.0 + timeout * len(cases)
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [python, str(WORKER)],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            errors="replace",  # a target that prints bytes that are not UTF-8 keeps its records readable
            check=False,
            timeout=overall,
            env=worker_env(simulate, extra_pythonpath, env),
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return parse_worker_output(cases, out, "", None)
    except OSError as exc:
        return error_all(cases, f"cannot run {python}: {exc}")
    outcomes = parse_worker_output(cases, done.stdout, done.stderr, done.returncode)
    _ = time.perf_counter() - started
    return outcomes
