"""Result objects of ``lfmdoctor matrix``: one column per release, one row per known bug. No I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lfmdoctor.results import JsonMixin

# What ``ReleaseBug.outcome`` holds; None means the reproduction was not run.
REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
CANNOT_RUN = "cannot run"
OUTCOMES = (REPRODUCED, NOT_REPRODUCED, CANNOT_RUN)


@dataclass
class ReleaseBug(JsonMixin):
    id: str
    present: bool | None  # from the release's source (detectors); None: cannot tell
    evidence: str | None  # "liquid_audio/processor.py:151", relative to the overlay
    outcome: str | None = None  # one of OUTCOMES, or None: not run
    reason: str | None = None  # why it cannot run / was not run, or what the reproduction saw
    detail: str = ""  # the detector's sentence


@dataclass
class ReleaseResult(JsonMixin):
    version: str
    importable: bool
    import_problem: str | None  # one line: why ``import liquid_audio`` fails under the overlay
    bugs: list[ReleaseBug] = field(default_factory=list)
    location: str | None = None  # where ``import liquid_audio`` resolved in the target interpreter
    transformers: str | None = None  # the transformers version the release sees (provisioned or the target's)
    overlay: list[str] = field(default_factory=list)  # the PYTHONPATH entries laid over the target
    provisioned: list[str] = field(default_factory=list)  # pins added by --provision, e.g. "transformers==4.57.6"

    def bug(self, bug_id: str) -> ReleaseBug:
        for bug in self.bugs:
            if bug.id == bug_id:
                return bug
        raise KeyError(bug_id)


@dataclass
class MatrixResult(JsonMixin):
    python: str  # the target interpreter
    transformers: str | None  # the target's own transformers version
    listing: str  # where the release list came from (index, cache, or lfmdoctor's built-in list)
    provision: bool
    repro: str  # whether reproductions ran, and if not, why
    versions: list[ReleaseResult] = field(default_factory=list)

    def release(self, version: str) -> ReleaseResult:
        for release in self.versions:
            if release.version == version:
                return release
        raise KeyError(version)

    def to_json(self) -> dict[str, Any]:
        return {
            "python": self.python,
            "transformers": self.transformers,
            "listing": self.listing,
            "provision": self.provision,
            "repro": self.repro,
            "versions": [release.to_json() for release in self.versions],
        }


def affected_releases(result: MatrixResult, bug_id: str) -> list[str]:
    """Releases whose source contains the bug, oldest first (for the report's "affected releases")."""
    return [r.version for r in result.versions if r.bug(bug_id).present]


def describe_releases(chosen: Sequence[str], among: Sequence[str]) -> str:
    """``chosen`` as runs of consecutive releases of ``among`` (ordered), e.g. "1.1.0–1.3.0" or "none".

    "all checked releases (0.0.0a1–1.3.0)" when every release is chosen.
    """
    picked = set(chosen)
    if not picked:
        return "none"
    runs: list[list[str]] = []
    previous_in = False
    for version in among:
        if version in picked:
            if previous_in:
                runs[-1].append(version)
            else:
                runs.append([version])
        previous_in = version in picked
    text = ", ".join(run[0] if len(run) == 1 else f"{run[0]}–{run[-1]}" for run in runs)
    if len(runs) == 1 and len(runs[0]) == len(among) and len(among) > 1:
        return f"all checked releases ({text})"
    return text
