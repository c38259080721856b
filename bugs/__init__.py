"""The known liquid-audio bugs, one module each, found on disk and listed by their declared ``order``.

Each module defines ``BUG`` (a ``_spec.Bug``): its text and upstream threads, detector, reproduction
cases, call-site workaround, runtime fix, source edits and upstream regression test. Adding a bug is
adding its module: nothing here lists them. The engines iterate ``BUGS`` and know no bug by name.
Standard library only at import time: the runtime and call-site fixes load this package by path inside
the interpreter under study.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from ._spec import Bug, Case


def _discover() -> tuple[ModuleType, ...]:
    names = [info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")]
    modules = [importlib.import_module(f"{__name__}.{name}") for name in names]
    return tuple(sorted(modules, key=lambda module: (module.BUG.order, module.BUG.id)))


MODULES = _discover()
BUGS: tuple[Bug, ...] = tuple(module.BUG for module in MODULES)
BUG_IDS: tuple[str, ...] = tuple(bug.id for bug in BUGS)
CASES: tuple[Case, ...] = tuple(case for bug in BUGS for case in bug.cases)
CASE_IDS: tuple[str, ...] = tuple(case.id for case in CASES)
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
