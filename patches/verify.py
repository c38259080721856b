"""``lfmdoctor patch verify``: every reproduction without a fix (before), then with each strategy (after).

One worker for "before" and every strategy (torch and liquid-audio imported once), each strategy put in
place in a forked child of it: callsite runs each case's call-site variant, runtime runs the cases with the
runtime patch armed, source runs them against a patched copy of the target's liquid_audio imported instead
(the install itself is never written).
"""

from __future__ import annotations

from collections.abc import Sequence

from lfmdoctor.repro.models import ModelRef
from lfmdoctor.results import ReproOutcome, VerifyReport, VerifyResult

STRATEGIES = ("callsite", "runtime", "source")


def parse_strategies(choice: str) -> list[str]:
    """``--strategy``: one of STRATEGIES or "all"; ValueError names the choices."""
    if choice == "all":
        return list(STRATEGIES)
    if choice not in STRATEGIES:
        raise ValueError(f"unknown strategy {choice!r}; use one of {', '.join(STRATEGIES)} or all")
    return [choice]


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
    from lfmdoctor.repro.engine import run_strategies

    cases = select(bug_ids)
    runs: list[str | None] = [*([] if before is not None else [None]), *strategies]
    outcomes = run_strategies(python, cases, model, runs, simulate=simulate, timeout=timeout)
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
