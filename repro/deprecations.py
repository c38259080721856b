"""The deprecations liquid-audio sets off in its libraries, as the repro worker recorded them. Pure.

Each becomes a ``Deprecation`` with the removal version its message names and the known bug whose
``warns`` patterns match it (none: a drift no bug module describes yet).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lfmdoctor.bugs import BUGS
from lfmdoctor.results import Deprecation, ReproOutcome

REMOVAL = re.compile(r"removed (?:in|from) (?:version |v)?(\d+(?:\.\d+)+)", re.IGNORECASE)


def removal_version(message: str) -> str | None:
    found = REMOVAL.search(message)
    return found.group(1) if found else None


def owner(message: str) -> str | None:
    """The known bug this warning is, or None."""
    return next((bug.id for bug in BUGS if any(re.search(pattern, message) for pattern in bug.warns)), None)


def from_records(records: Iterable[dict]) -> list[Deprecation]:
    """The worker's records (library, version, message, frame) as typed deprecations."""
    return [
        Deprecation(
            library=record["library"],
            version=record.get("version"),
            removal_version=removal_version(record["message"]),
            message=record["message"],
            frame=record["frame"],
            bug=owner(record["message"]),
        )
        for record in records
    ]


def unique(outcomes: Iterable[ReproOutcome]) -> list[Deprecation]:
    """Every outcome's deprecations, each once, in the order first seen."""
    return list(dict.fromkeys(d for outcome in outcomes for d in outcome.deprecations))


def collect(outcomes: Iterable[ReproOutcome]) -> list[dict]:
    """``unique`` as JSON: ``{library, version, removal_version, message, frame, bug}`` each."""
    return [d.to_json() for d in unique(outcomes)]
