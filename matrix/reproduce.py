"""Run the reproductions against one release laid over the target interpreter.

``build_matrix`` calls ``reproduce_release`` once per release whose overlay resolves, with the overlay
path (release first, then any --provision folder); one worker run per release. ``aggregate`` turns
the engine's ``ReproOutcome`` list (a bug may have several cases, one per variant) into one
table cell per bug.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lfmdoctor.matrix.results import CANNOT_RUN, NOT_REPRODUCED, REPRODUCED
from lfmdoctor.results import Outcome, ReproOutcome

# (outcome label, reason) per bug id.
BugOutcomes = dict[str, tuple[str, str | None]]

IMPORT_FAILURE = "liquid-audio does not import: "


@dataclass
class ReleaseRepro:
    import_error: str | None  # "<Type>: <message>" when liquid-audio did not import under the overlay
    cells: BugOutcomes = field(default_factory=dict)
    outcomes: list[ReproOutcome] = field(default_factory=list)  # what the engine returned, case by case


def reproduce_release(python: str, overlay: Sequence[Path], bug_ids: Sequence[str]) -> ReleaseRepro:
    """Run every reproduction case of ``bug_ids`` with ``overlay`` prepended to PYTHONPATH."""
    from lfmdoctor.bugs import select
    from lfmdoctor.repro.engine import run_cases
    from lfmdoctor.repro.models import resolve_model

    model = resolve_model("fixture", python)
    outcomes = run_cases(python, select(list(bug_ids)), model, extra_pythonpath=[str(p) for p in overlay])
    import_error = import_error_of(outcomes)
    return ReleaseRepro(import_error, {} if import_error else aggregate(outcomes), list(outcomes))


def deprecations(outcomes: Sequence[ReproOutcome]) -> list[dict]:
    """The deprecations liquid-audio set off in its libraries during ``outcomes``, each once
    (``lfmdoctor.repro.deprecations.collect``: ``{library, version, removal_version, message, frame, bug}``);
    none where this lfmdoctor does not collect them."""
    try:
        from lfmdoctor.repro.deprecations import collect
    except ImportError:
        return []
    found = collect(outcomes)
    return [item if isinstance(item, dict) else item.to_json() for item in found]


def import_error_of(outcomes: Sequence[ReproOutcome]) -> str | None:
    """The import failure the engine reports for every case, if that is what happened."""
    if outcomes and all(o.outcome is Outcome.ERROR and o.reason.startswith(IMPORT_FAILURE) for o in outcomes):
        return outcomes[0].reason.removeprefix(IMPORT_FAILURE)
    return None


def aggregate(outcomes: Iterable[ReproOutcome]) -> BugOutcomes:
    """One cell per bug: reproduced if any case reproduced it; not reproduced if every case ran and
    none did; else cannot run, with the first case's reason."""
    by_bug: dict[str, list[ReproOutcome]] = {}
    for outcome in outcomes:
        by_bug.setdefault(outcome.bug, []).append(outcome)
    cells: BugOutcomes = {}
    for bug_id, cases in by_bug.items():
        reproduced = [c for c in cases if c.outcome is Outcome.REPRODUCED]
        ran = [c for c in cases if c.outcome is Outcome.NOT_REPRODUCED]
        if reproduced:
            cells[bug_id] = (REPRODUCED, reproduced[0].reason or None)
        elif ran and len(ran) == len(cases):
            cells[bug_id] = (NOT_REPRODUCED, ran[0].reason or None)
        elif ran:
            blocked = next(c for c in cases if c.outcome is not Outcome.NOT_REPRODUCED)
            skipped = f"{len(cases) - len(ran)} of {len(cases)} cases could not run: {blocked.reason}"
            cells[bug_id] = (NOT_REPRODUCED, skipped)
        else:
            cells[bug_id] = (CANNOT_RUN, cases[0].reason or None)
    return cells
