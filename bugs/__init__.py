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


def filing_rank(bug: Bug) -> int:
    """Upstream's order, the one rule ``report``, the series and filing share: first the bugs that fail even with
    explicit arguments, and wrong output; then the other crashes; last, changes of a default (the maintainers
    answered the device PRs #7 and #12 with "use llama.cpp for CPU")."""
    if bug.default_change:
        return 2
    return 0 if bug.explicit or bug.severity == "wrong output" else 1


def filing_groups(bugs: tuple[Bug, ...] | list[Bug] = BUGS) -> list[tuple[Bug, ...]]:
    """``bugs`` as upstream gets them, in filing order: a bug and the bugs it builds on (``after``) form one item
    (one commit, one issue, one pull request), led by the first in ``order``."""
    chosen = {bug.id for bug in bugs}
    lead: dict[str, str] = {}
    for bug in bugs:  # ``after`` always names earlier bugs, so each lead is known before its followers
        first = next((other for other in bug.after if other in chosen), None)
        lead[bug.id] = lead[first] if first else bug.id
    members: dict[str, list[Bug]] = {}
    for bug in bugs:
        members.setdefault(lead[bug.id], []).append(bug)
    grouped = [tuple(group) for group in members.values()]
    return sorted(grouped, key=lambda group: (min(filing_rank(bug) for bug in group), group[0].order))


def filing_order(bugs: tuple[Bug, ...] | list[Bug] = BUGS) -> list[Bug]:
    """``bugs`` in upstream's order, each group's members together."""
    return [bug for group in filing_groups(bugs) for bug in group]
