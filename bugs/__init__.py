"""The known liquid-audio bugs, one module each; this registry lists them in report order.

Each module defines ``BUG`` (a ``_spec.Bug``): its text and upstream threads, detector, reproduction
cases, call-site workaround, runtime fix, source edits and upstream regression test. The engines
iterate ``BUGS`` and know no bug by name. Standard library only at import time: the runtime and
call-site fixes load this package by path inside the interpreter under study.
"""

from __future__ import annotations

from . import (
    audio_format,
    detokenizer_device,
    dtype_mismatch,
    eoa_code,
    flash_attn,
    local_path,
    mimi_device,
    model_device,
    past_key_values,
    processor_device,
    train_mode,
)
from ._spec import Bug, Case, Simulation

MODULES = (
    processor_device,
    model_device,
    audio_format,
    detokenizer_device,
    mimi_device,
    local_path,
    dtype_mismatch,
    train_mode,
    flash_attn,
    eoa_code,
    past_key_values,
)
BUGS: tuple[Bug, ...] = tuple(module.BUG for module in MODULES)
BUG_IDS: tuple[str, ...] = tuple(bug.id for bug in BUGS)
CASES: tuple[Case, ...] = tuple(case for bug in BUGS for case in bug.cases)
CASE_IDS: tuple[str, ...] = tuple(case.id for case in CASES)
SIMULATIONS: dict[str, Simulation] = {sim.name: sim for bug in BUGS for sim in bug.simulations}
_BY_ID = {bug.id: bug for bug in BUGS}


def get_bug(bug_id: str) -> Bug:
    """Return the bug with this id; KeyError names the known ids."""
    try:
        return _BY_ID[bug_id]
    except KeyError:
        raise KeyError(f"unknown bug id {bug_id!r}; known: {', '.join(BUG_IDS)}") from None


def select(wanted: list[str] | None) -> list[Case]:
    """Cases for these bug ids or case ids (all when empty); KeyError names unknown ids."""
    if not wanted:
        return list(CASES)
    chosen: list[Case] = []
    for name in wanted:
        matches = [case for case in CASES if name in (case.bug, case.id)]
        if not matches:
            raise KeyError(f"unknown bug {name!r}; known: {', '.join(BUG_IDS)}")
        chosen += [case for case in matches if case not in chosen]
    return chosen


def callsite_helpers() -> dict[str, object]:
    """The public call-site helpers the bugs contribute, by name."""
    return {helper.__name__: helper for bug in BUGS for helper in bug.callsite.helpers}
