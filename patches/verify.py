"""``lfmdoctor patch verify``: every reproduction without a fix (before), then with each strategy (after).

One worker run per strategy plus one for "before", side by side (``run_with_strategy``): callsite runs
each case's call-site variant, runtime runs the cases with the runtime patch armed in the worker, source
runs them against a patched copy of the target's liquid_audio (the install itself is never written).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from lfmdoctor.patches.bootstrap import CALLSITE_FILE, strategy_environment
from lfmdoctor.repro.models import ModelRef
from lfmdoctor.results import ReproOutcome, VerifyReport, VerifyResult

if TYPE_CHECKING:
    from lfmdoctor.bugs._spec import Case

STRATEGIES = ("callsite", "runtime", "source")


def parse_strategies(choice: str) -> list[str]:
    """``--strategy``: one of STRATEGIES or "all"; ValueError names the choices."""
    if choice == "all":
        return list(STRATEGIES)
    if choice not in STRATEGIES:
        raise ValueError(f"unknown strategy {choice!r}; use one of {', '.join(STRATEGIES)} or all")
    return [choice]


def run_with_strategy(
    python: str,
    cases: Sequence[Case],
    model: ModelRef,
    strategy: str | None,
    *,
    simulate: Sequence[str] = (),
    timeout: float = 120.0,
) -> list[ReproOutcome]:
    """The reproduction ``cases`` with the fix ``strategy`` active (None: as installed, no fix)."""
    from lfmdoctor.repro.engine import ReproUsageError, error_all, run_cases

    if strategy is None:
        return run_cases(python, cases, model, simulate=simulate, timeout=timeout)
    if strategy not in STRATEGIES:
        raise ReproUsageError(f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
    if strategy == "callsite":
        return run_cases(python, cases, model, simulate=simulate, timeout=timeout, callsite_file=str(CALLSITE_FILE))
    try:
        extra = strategy_environment(strategy, python)
    except LookupError as exc:
        return error_all(cases, f"the {strategy} strategy cannot run here: {exc}")
    return run_cases(python, cases, model, simulate=simulate, timeout=timeout, extra_pythonpath=[extra["PYTHONPATH"]])


def verify_strategies(
    python: str,
    model: ModelRef,
    *,
    bug_ids: list[str] | None = None,
    strategies: Sequence[str] = STRATEGIES,
    simulate: Sequence[str] = (),
    timeout: float = 120.0,
    before: Sequence[ReproOutcome] | None = None,
) -> list[VerifyResult]:
    """Before -> after for every case of ``bug_ids`` (all when None) and every strategy, in case order.

    ``before``: outcomes of the same cases without a fix, when the caller has just run them.
    """
    from lfmdoctor.bugs import select

    cases = select(bug_ids)

    def run(strategy: str | None) -> list[ReproOutcome]:
        return run_with_strategy(python, cases, model, strategy, simulate=simulate, timeout=timeout)

    runs: list[str | None] = [*([] if before is not None else [None]), *strategies]
    workers = max(1, min(len(runs), (os.cpu_count() or 2) // 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = dict(zip(runs, pool.map(run, runs)))
    if before is not None:
        outcomes[None] = list(before)
    before = {o.id: o for o in outcomes[None]}
    results = []
    for case in cases:
        for strategy in strategies:
            after = next(o for o in outcomes[strategy] if o.id == case.id)
            results.append(VerifyResult(case.id, case.bug, strategy, before[case.id].outcome, after.outcome, after.reason))
    return results


def verify_report(
    python: str,
    model: ModelRef,
    *,
    bug_ids: list[str] | None = None,
    strategies: Sequence[str] = STRATEGIES,
    simulate: Sequence[str] = (),
    timeout: float = 120.0,
) -> VerifyReport:
    results = verify_strategies(python, model, bug_ids=bug_ids, strategies=strategies, simulate=simulate, timeout=timeout)
    return VerifyReport(model.spec, python, list(simulate), list(strategies), results)
