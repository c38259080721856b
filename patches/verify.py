"""``lfmdoctor patch verify``: every reproduction without a fix (before), then with each strategy (after).

One worker for "before" and every strategy (``run_with_strategies``: torch and liquid-audio imported once),
each strategy put in place in a forked child of it: callsite runs each case's call-site variant, runtime runs
the cases with the runtime patch armed, source runs them against a patched copy of the target's liquid_audio
imported instead (the install itself is never written).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from lfmdoctor.patches.bootstrap import CALLSITE_FILE, strategy_in_worker
from lfmdoctor.repro.models import ModelRef
from lfmdoctor.results import Outcome, ReproOutcome, VerifyReport, VerifyResult

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


def run_with_strategies(
    python: str,
    cases: Sequence[Case],
    model: ModelRef,
    strategies: Sequence[str | None],
    *,
    simulate: Sequence[str] = (),
    timeout: float = 120.0,
) -> dict[str | None, list[ReproOutcome]]:
    """The reproduction ``cases`` with each fix ``strategy`` active (None: as installed, no fix), in one worker."""
    from lfmdoctor.bugs import get_bug
    from lfmdoctor.repro.engine import ReproUsageError, Run, error_all, run_in_one_worker

    results: dict[str | None, list[ReproOutcome]] = {}
    runs: dict[str | None, Run] = {}
    for strategy in strategies:
        # a fix a case's bug does not have (the demo's have a source fix only) is not run for it
        skip = tuple(case.id for case in cases if strategy is not None and strategy not in get_bug(case.bug).strategies)
        if strategy is None:
            runs[None] = Run("none")
        elif strategy == "callsite":
            runs[strategy] = Run(strategy, callsite_file=str(CALLSITE_FILE), skip=skip)
        elif strategy in STRATEGIES:
            try:
                runs[strategy] = Run(strategy, **strategy_in_worker(strategy, python), skip=skip)
            except LookupError as exc:
                results[strategy] = error_all(cases, f"the {strategy} strategy cannot run here: {exc}")
        else:
            raise ReproUsageError(f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
    outcomes = run_in_one_worker(python, cases, model, list(runs.values()), simulate=simulate, timeout=timeout)
    results.update(zip(runs, outcomes))
    return {strategy: results[strategy] for strategy in strategies}


def reproduce_and_verify(
    python: str,
    model: ModelRef,
    *,
    bug_ids: list[str] | None = None,
    strategies: Sequence[str] = STRATEGIES,
    simulate: Sequence[str] = (),
    timeout: float = 120.0,
) -> tuple[list[ReproOutcome], list[VerifyResult]]:
    """Every case of ``bug_ids`` (all when None) as installed and with each fix ``strategy``, in one worker: the
    outcomes as installed, and before -> after for every case and strategy, in case order."""
    from lfmdoctor.bugs import get_bug, select

    cases = select(bug_ids)
    outcomes = run_with_strategies(python, cases, model, [None, *strategies], simulate=simulate, timeout=timeout)
    before = {o.id: o for o in outcomes[None]}
    results = []
    for case in cases:
        bug = get_bug(case.bug)
        for strategy in strategies:
            if strategy not in bug.strategies:  # not run: say why the bug has no such fix
                outcome, reason = Outcome.SKIPPED, f"no {strategy} fix: {bug.source_only}"
            else:
                after = next(o for o in outcomes[strategy] if o.id == case.id)
                outcome, reason = after.outcome, after.reason
            results.append(VerifyResult(case.id, case.bug, strategy, before[case.id].outcome, outcome, reason))
    return outcomes[None], results


def verify_report(
    python: str,
    model: ModelRef,
    *,
    bug_ids: list[str] | None = None,
    strategies: Sequence[str] = STRATEGIES,
    simulate: Sequence[str] = (),
    timeout: float = 120.0,
) -> VerifyReport:
    _, results = reproduce_and_verify(
        python, model, bug_ids=bug_ids, strategies=strategies, simulate=simulate, timeout=timeout
    )
    return VerifyReport(model.spec, python, list(simulate), list(strategies), results)
