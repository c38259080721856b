"""SEAM: where the matrix runs the reproductions against one release (issue 7, second half).

``engine_available`` and ``reproduce_release`` are the only code to fill in once
``lfmdoctor.repro``'s engine is settled. Everything around them is ready: when ``engine_available()``
is true, ``build_matrix`` skips its own (slow: torch is imported) import check, so a release costs one
worker run, and calls ``reproduce_release`` once per release whose overlay resolves, with the overlay
path (release first, then any --provision folder). ``aggregate`` turns the engine's ``ReproOutcome``
list (several cases per bug, e.g. the audio-format variants) into one table cell per bug.

Sketch, against the engine as it stood when this was written (repro/engine.py)::

    from lfmdoctor.repro.cases import select
    from lfmdoctor.repro.engine import run_cases
    from lfmdoctor.repro.models import resolve_model

    model = resolve_model("fixture", python)   # built once, shared by every release
    outcomes = run_cases(python, select(list(bug_ids)), model, extra_pythonpath=[str(p) for p in overlay])
    # the engine marks every case ERROR with reason "liquid-audio does not import: <Type>: <message>"
    import_error = import_error_of(outcomes)
    return ReleaseRepro(import_error, {} if import_error else aggregate(outcomes))

Note for that step: the fixture's tokenizer_config.json, written by transformers 5, names
``"tokenizer_class": "TokenizersBackend"``, which transformers 4.57 cannot load, so every
processor-based case fails on provisioned releases (<= 1.1.0) until the builder writes
``PreTrainedTokenizerFast`` (both versions load that).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lfmdoctor.matrix.results import CANNOT_RUN, NOT_REPRODUCED, REPRODUCED
from lfmdoctor.results import Outcome, ReproOutcome

# (outcome label, reason) per bug id.
BugOutcomes = dict[str, tuple[str, str | None]]

NOT_WIRED = "not run: the reproduction engine is not wired into the matrix yet"


IMPORT_FAILURE = "liquid-audio does not import: "


@dataclass
class ReleaseRepro:
    import_error: str | None  # "<Type>: <message>" when liquid-audio did not import under the overlay
    cells: BugOutcomes = field(default_factory=dict)


def engine_available() -> bool:
    """SEAM: True once ``reproduce_release`` runs the engine."""
    return False


def reproduce_release(python: str, overlay: Sequence[Path], bug_ids: Sequence[str]) -> ReleaseRepro:
    """SEAM: run every reproduction case of ``bug_ids`` with ``overlay`` prepended to PYTHONPATH."""
    raise NotImplementedError("the reproduction engine is not wired into the matrix yet")


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
